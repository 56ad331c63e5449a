"""Reviewing the diff of a session that runs on an SSH host: a real sshd on 127.0.0.1, the
host's own clone, real tmux there. The comment is checked against, and placed in, the file
where the session runs; submitted, the round reaches the session once; the agent's change
shows as addressed.

The far side is this same machine, so this process could read its files by path and pass
for working. An audit hook makes every `open` of a far-side path here fail, as it would on
a machine that is really elsewhere, and the test checks that none was tried."""

from __future__ import annotations

import errno
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.remote_sessions import HOST, RemoteHarness
from tests.helpers import shows, wait_until
from tests.test_remote_sessions import write_user_config
from tests.test_session_diff_review import READER, comment_at, got, open_diff, row_of
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.comment import CommentScreen
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.locations import loupe_command
from tui.review.model import RoundState, Verdict
from tui.sessions.status_file import State
from tui.workspace import open_workspace

pytestmark = pytest.mark.slow

# What the session's agent makes of src/app.txt ("one" in the clone).
CHANGED = "one\nthe retry delay doubles each time\nthree\n"

# Folders of the far side while a test seals them, and the paths this process tried to open.
_SEALED: list[str] = []
_TRIED: list[str] = []
_HOOKED = False


def _refuse_far_side(event: str, args: tuple) -> None:
    if event != "open" or not _SEALED or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    if any(path == root or path.startswith(root + os.sep) for root in _SEALED):
        _TRIED.append(path)
        raise FileNotFoundError(errno.ENOENT, "a file of the far side, opened on this machine", path)


@pytest.fixture
def far_side(remote_sessions: RemoteHarness) -> Iterator[RemoteHarness]:
    """The harness, with the far side's clone and data folder unreadable here."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_refuse_far_side)  # hooks cannot be removed: it acts only while sealed
        _HOOKED = True
    harness = remote_sessions
    _SEALED[:] = [str(harness.clone.resolve()), str(harness.remote_data.resolve())]
    _TRIED.clear()
    try:
        yield harness
    finally:
        _SEALED.clear()


async def test_a_comment_on_a_remote_sessions_diff_goes_through_its_host(far_side: RemoteHarness) -> None:
    harness = far_side
    received = harness.scripts / "received.txt"
    kind = harness.script_kind("reader", READER.format(received=shlex.quote(str(received))))
    session = harness.start(kind, "remote review")
    harness.wait_state(session, State.IDLE)
    changed = harness.manager.run(session, ["sh", "-c", f"printf '%s' {shlex.quote(CHANGED)} > src/app.txt"], timeout=60)
    assert changed.returncode == 0, changed.stderr
    workspace = open_workspace(harness.repo.path)
    workspace.config.sessions.tmux_socket = harness.manager.socket
    workspace.config.hosts[HOST] = harness.host.config
    workspace.config.agents[kind] = AgentKindConfig(command=f"sh {harness.scripts / 'reader.sh'}")
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(150, 44)) as pilot:
        lines = (await open_diff(app, pilot)).lines
        lines.focus()
        dialog = await comment_at(pilot, app, lines, row_of(lines, "+", "the retry delay doubles each time"),
                                  "Why two")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentScreen),
                         f"the comment saved ({dialog.query_one('#error').render()})", timeout=30)
        (made,) = app.services.review.store.comments(repo=app.services.review.repo)
        assert (made.path, made.anchor.first_line, made.anchor.quote) == (
            "src/app.txt", 2, "the retry delay doubles each time")
        await wait_until(pilot, lambda: set(lines._row_mark.values()) == {"draft"}, "the draft in the margin",
                         timeout=30)

        await pilot.press("R")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the submit dialog", timeout=30)
        assert app.screen.choices.default_session == session.id and app.screen.verdict is Verdict.REQUEST_CHANGES
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SubmitRoundScreen), "the round sent", timeout=60)
        await wait_until(pilot, lambda: "prints this round again" in got(received), "the round there", timeout=60)
        text = got(received)
        assert text.count("# Review round") == 1 and text.count("Why two") == 1
        assert "`src/app.txt:2`" in text and "no longer in the file" not in text
        # The text is on the agent's screen before loupe has seen it arrive and recorded it.
        await wait_until(pilot, lambda: app.services.review.rounds(session_id=session.id)[0].state
                         is RoundState.DELIVERED, "the round recorded as delivered", timeout=30)
        (round_,) = app.services.review.rounds(session_id=session.id)

        # The agent changes the line; the next look places the comment as addressed.
        edited = harness.manager.run(session, ["sh", "-c", f"printf '%s' {shlex.quote(CHANGED.replace('each time', 'each time, up to a minute'))} "
                                                                 "> src/app.txt"],
                                     timeout=60)
        assert edited.returncode == 0, edited.stderr
        await pilot.press("r")
        await wait_until(pilot, lambda: set(lines._row_mark.values()) == {"addressed"}, "the comment addressed",
                         timeout=60)
    assert _TRIED == [], f"files of the far side were opened here: {_TRIED}"

    # The command line asks the host too, and closes its connection when done (the
    # harness fails the test on an ssh process left behind).
    write_user_config(harness)
    listed = subprocess.run([*loupe_command(), "review", "list", "--json"], cwd=harness.repo.path,
                            capture_output=True, text=True, timeout=120, env=os.environ)
    assert listed.returncode == 0, listed.stderr
    (record,) = json.loads(listed.stdout)
    assert [(c["path"], c["status"]) for c in record["comments"]] == [("src/app.txt", "addressed")]
