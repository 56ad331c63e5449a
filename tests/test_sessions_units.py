"""Session pieces without tmux: templates, status rules, hooks, the store."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.config import AgentKindConfig
from tui.locations import loupe_command
from tui.sessions import agents, hook_cli, hooks
from tui.sessions.errors import AgentNotInstalled, SessionError, UnknownAgent
from tui.sessions.local_files import sessions_dir
from tui.sessions.model import Session
from tui.sessions.status import DEBOUNCE, PROMPT_QUIET, ScreenTracker, resolve, screen_lines
from tui.sessions.status_file import State, Status, read_status, write_status
from tui.sessions.store import SessionStore
from tui.sessions.tmux import PaneInfo


def _values(**overrides: str) -> dict[str, str]:
    values = agents.placeholder_values(
        prompt="fix it; rm -rf / 'now'", worktree=Path("/w t"), task="t", task_dir=None,
        session="abc123", loupe=["/py", "-P", "-m", "tui"], hook_command=["/py", "-m", "tui", "hook", "abc123"],
    )
    values.update(overrides)
    return values


def test_render_quotes_every_value() -> None:
    command = agents.render_command("claude [{prompt}] --dir {worktree}", _values())
    assert shlex.split(command) == ["claude", "fix it; rm -rf / 'now'", "--dir", "/w t"]


def test_render_drops_optional_groups_when_empty() -> None:
    assert agents.render_command("{loupe} agent [--prompt {prompt}]", _values(prompt="")) == "/py -P -m tui agent"
    assert agents.render_command("claude [{prompt}]", _values(prompt="")) == "claude"


def test_render_codex_notify_is_toml_array() -> None:
    command = agents.render_command(agents.PRESETS["codex"].command, _values(prompt="go"))
    words = shlex.split(command)
    assert words[:2] == ["codex", "-c"]
    assert words[2] == 'notify=["/py", "-m", "tui", "hook", "abc123", "codex"]'
    assert words[3:] == ["--", "go"]  # a prompt starting with "-" stays the prompt


def test_render_unknown_placeholder_is_a_clear_error() -> None:
    with pytest.raises(SessionError, match=r"unknown placeholder \{nope\}"):
        agents.render_command("x {nope}", _values())


def test_config_kinds_extend_presets_and_report_problems() -> None:
    problems: list[str] = []
    kinds = agents.agent_kinds(
        {
            "claude": AgentKindConfig(command="claude --model opus [{prompt}]"),
            "mine": AgentKindConfig(command="my-agent {prompt}", status="codex", prompt_patterns=["ok\\?"]),
            "broken": AgentKindConfig(command="x", status="psychic", prompt_patterns=["("]),
            "empty": AgentKindConfig(),
        },
        problems,
    )
    assert kinds["claude"].status == "claude"  # the preset's hooks are kept
    assert kinds["claude"].command.startswith("claude --model opus")
    assert kinds["mine"].status == "codex" and "ok\\?" in kinds["mine"].prompt_patterns
    assert kinds["broken"].status == "screen"
    assert "empty" not in kinds
    text = "\n".join(problems)
    assert "psychic" in text and "prompt pattern '('" in text and "[agents.empty] has no command" in text
    with pytest.raises(UnknownAgent, match="known kinds"):
        agents.get_kind(kinds, "nobody")


def test_check_installed(tmp_path: Path) -> None:
    agents.check_installed("sh -c true", "/bin:/usr/bin")
    agents.check_installed("FOO=1 sh -c true", "/bin:/usr/bin")
    with pytest.raises(AgentNotInstalled, match="'claude' is not installed"):
        agents.check_installed("claude 'hi'", str(tmp_path))
    with pytest.raises(AgentNotInstalled, match="does not exist"):
        agents.check_installed(f"{tmp_path}/agent", "/bin")


def test_screen_tracker_debounce_and_prompts() -> None:
    patterns = agents.AgentKind("x", "x").screen_rules
    tracker = ScreenTracker()
    tracker.observe("building...\n", now=100.0)
    assert tracker.state(screen_lines("building...\n"), patterns, now=100.2) is State.WORKING
    assert tracker.state(screen_lines("building...\n"), patterns, now=100.0 + DEBOUNCE + 0.1) is State.IDLE
    asking = "did things\nOverwrite file? [y/N] \n\n\n"
    tracker.observe(asking, now=200.0)
    assert tracker.state(screen_lines(asking), patterns, now=200.0 + PROMPT_QUIET / 2) is State.WORKING
    assert tracker.state(screen_lines(asking), patterns, now=200.0 + PROMPT_QUIET + 0.05) is State.NEEDS_INPUT
    # The same screen again is not a change.
    assert not tracker.observe(asking, now=300.0)


def _pane(dead: bool = False, status: int | None = None) -> PaneInfo:
    return PaneInfo("s", 1, dead, status, None, 0, 80, 24)


def test_resolve_priorities() -> None:
    hook_idle = Status(State.IDLE, event="Stop", time=100.0)
    common = dict(screen_state=State.WORKING, screen_changed_at=101.0)
    # A dead pane wins over everything, with the wrapper's exit code.
    exited = Status(State.EXITED, exit_code=4, time=100.0)
    assert resolve(status_source="claude", reported=exited, pane=_pane(True, 9), **common).exit_code == 4
    assert resolve(status_source="claude", reported=None, pane=_pane(True, 9), **common).exit_code == 9
    assert resolve(status_source="screen", reported=None, pane=None, **common).state is State.EXITED
    # Claude's hooks are trusted over a busy screen (its spinner redraws).
    assert resolve(status_source="claude", reported=hook_idle, pane=_pane(), **common).state is State.IDLE
    # Codex only reports turn ends: newer screen activity means a new turn.
    late = dict(screen_state=State.WORKING, screen_changed_at=100.0 + DEBOUNCE + 1)
    assert resolve(status_source="codex", reported=hook_idle, pane=_pane(), **late).state is State.WORKING
    assert resolve(status_source="codex", reported=hook_idle, pane=_pane(), **common).state is State.IDLE
    assert resolve(status_source="screen", reported=None, pane=_pane(), **common).state is State.WORKING


@pytest.mark.parametrize(
    ("event", "payload", "state"),
    [
        ("UserPromptSubmit", {}, State.WORKING),
        ("PreToolUse", {"tool_name": "Bash"}, State.WORKING),
        ("PreToolUse", {"tool_name": "AskUserQuestion"}, State.NEEDS_INPUT),
        ("Notification", {"notification_type": "permission_prompt"}, State.NEEDS_INPUT),
        ("Notification", {"message": "Claude needs your permission to use Bash"}, State.NEEDS_INPUT),
        ("Notification", {"notification_type": "idle_prompt"}, State.IDLE),
        ("Notification", {"notification_type": "elicitation_dialog"}, State.NEEDS_INPUT),
        # A login that worked is news, not a question.
        ("Notification", {"notification_type": "auth_success", "message": "Logged in"}, None),
        ("Stop", {}, State.IDLE),
        ("SessionEnd", {"reason": "clear"}, None),
        ("SubagentStop", {}, None),
    ],
)
def test_claude_events(event: str, payload: dict, state: State | None) -> None:
    assert hooks.claude_state(event, payload) is state


@pytest.mark.parametrize(
    ("payload", "state"),
    [
        ({"type": "session.status", "status": "busy"}, State.WORKING),
        ({"type": "session.status", "status": "retry"}, State.WORKING),
        ({"type": "session.status", "status": "idle"}, State.IDLE),
        ({"type": "session.idle"}, State.IDLE),
        ({"type": "permission.asked", "title": "git push"}, State.NEEDS_INPUT),
        ({"type": "permission.updated", "title": "git push"}, State.NEEDS_INPUT),  # before 1.x
        ({"type": "permission.replied"}, State.WORKING),
        ({"type": "question.asked", "title": "Which file?"}, State.NEEDS_INPUT),
        ({"type": "question.rejected"}, State.WORKING),
        ({"type": "message.part.updated"}, None),
    ],
)
def test_opencode_events(payload: dict, state: State | None) -> None:
    assert hooks.opencode_state(payload) is state


def test_install_claude_hooks_keeps_user_settings(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.local.json"
    settings.parent.mkdir()
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(ls)"]}, "hooks": {"PreToolUse": [mine]}}))
    command = ["/py", "-m", "tui", "hook", "abc"]
    hooks.install_claude_hooks(tmp_path, command)
    hooks.install_claude_hooks(tmp_path, command)  # twice: still one loupe entry per event
    data = json.loads(settings.read_text())
    assert data["permissions"] == {"allow": ["Bash(ls)"]}
    assert data["hooks"]["PreToolUse"][0] == mine
    assert len(data["hooks"]["PreToolUse"]) == 2
    ours = data["hooks"]["Notification"][0]["hooks"][0]["command"]
    assert ours.startswith("/py -m tui hook abc Notification")
    assert set(hooks.CLAUDE_EVENTS) <= set(data["hooks"])


def test_hook_cli_writes_status(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = sessions_dir() / "abc123"
    folder.mkdir(parents=True)
    payload = json.dumps({"hook_event_name": "Notification", "notification_type": "permission_prompt",
                          "message": "Claude needs your permission to use Bash"})
    # As Claude runs it: the loupe command, JSON on stdin, and nothing printed.
    done = subprocess.run([*loupe_command(), "hook", "abc123", "Notification"], input=payload,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "")
    status = read_status(folder / "status.json")
    assert status is not None and status.state is State.NEEDS_INPUT
    assert status.source == "claude-hook" and "permission" in status.detail
    assert hook_cli.main(["abc123", "codex", json.dumps({"type": "agent-turn-complete"})]) == 0
    assert read_status(folder / "status.json").state is State.IDLE
    monkeypatch.setattr(sys, "stdin", io.StringIO("{}"))
    assert hook_cli.main(["abc123", "UserPromptSubmit"]) == 0
    assert read_status(folder / "status.json").state is State.WORKING
    assert hook_cli.main(["abc123", "needs-input", "which", "one?"]) == 0
    assert read_status(folder / "status.json").detail == "which one?"


def test_codex_notify_skips_side_turns_and_other_threads() -> None:
    folder = sessions_dir() / "c0dex1"
    folder.mkdir(parents=True)

    def notify(thread: str, first_input: str) -> State | None:
        (folder / "status.json").unlink(missing_ok=True)
        payload = {"type": "agent-turn-complete", "thread-id": thread, "turn-id": "1", "cwd": "/w",
                   "input-messages": [first_input], "last-assistant-message": "ok"}
        assert hook_cli.main(["c0dex1", "codex", json.dumps(payload)]) == 0
        status = read_status(folder / "status.json")
        return status.state if status else None

    title = "Generate a concise, single-line task title for this request: fix the parser"
    assert notify("thread-title", title) is None
    assert notify("thread-main", "fix the parser") is State.IDLE
    # Once the session's own thread is known, another thread's turn is not its turn.
    assert notify("thread-review", "review the diff") is None
    assert notify("thread-main", "and the tests") is State.IDLE
    assert notify("thread-main", title) is None


def test_hook_cli_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert hook_cli.main(["abc123"]) == 2
    assert hook_cli.main(["../etc", "idle"]) == 2
    assert hook_cli.main(["ffffff", "idle"]) == 1
    assert "no session 'ffffff'" in capsys.readouterr().err


def _session(repo: Path, sid: str) -> Session:
    return Session(id=sid, repo=repo, number=-1, agent="shell", status_source="screen", task="t",
                   branch=f"loupe/t/{sid}", worktree=repo / sid, worktree_name=sid, base_commit="0" * 40,
                   base_branch="main", tmux_socket="s", port_base=0)


def test_store_numbers_ports_and_queue(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite")
    busy = {30010}  # something else listens in the second block
    add = lambda sid, repo=tmp_path: store.add(_session(repo, sid), port_start=30000,  # noqa: E731
                                               port_free=lambda base: base not in busy)
    a, b, c = add("a"), add("b"), add("c")
    assert [a.number, b.number, c.number] == [0, 1, 2]
    assert [a.port_base, b.port_base, c.port_base] == [30000, 30020, 30030]
    other = add("x", repo=tmp_path / "other")
    assert other.number == 0  # numbers are per repository, ports per machine
    assert other.port_base == 30040
    store.update("b", removed_at=time.time())
    store.mark_ended("a", 0)
    d = add("d")
    assert d.number == 1 and d.port_base == 30000  # freed number and freed ports are reused
    assert [s.id for s in store.list(tmp_path)] == ["a", "d", "c"]
    assert store.get("a").exit_code == 0 and not store.mark_ended("a", 5)

    first = store.enqueue("c", "one")
    store.enqueue("c", "two")
    assert [q.text for q in store.pending("c")] == ["one", "two"]
    assert store.claim(first) and not store.claim(first)
    store.unclaim(first)
    assert [q.text for q in store.pending("c")] == ["one", "two"]
    assert store.drop_queue("c") == 2 and store.pending() == []


def test_status_file_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status(path, Status(State.NEEDS_INPUT, event="x", source="hook"))
    assert read_status(path).state is State.NEEDS_INPUT
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
    assert re.search(r'"state": "needs-input"', path.read_text())


def test_select_by_number_id_and_prefix(tmp_path: Path) -> None:
    from tui.config import Config
    from tui.sessions.errors import NoSuchSession
    from tui.sessions.manager import SessionManager

    store = SessionStore(tmp_path / "s.sqlite")
    repo = tmp_path / "repo"
    for sid in ("7a3f21", "b00b1e", "123456"):
        store.add(_session(repo, sid), port_start=31000, port_free=lambda base: True)
    manager = SessionManager(repo, Config(), store=store)
    assert [s.id for s in manager.select("0,2")] == ["7a3f21", "123456"]
    assert [s.id for s in manager.select("b00")] == ["b00b1e"]
    assert [s.id for s in manager.select("123456")] == ["123456"]  # an old all-digit id
    assert len(manager.select("all")) == 3
    with pytest.raises(NoSuchSession, match="'7' matches no session"):
        manager.select("7")  # a number is never read as an id prefix


def test_a_redraw_while_the_same_question_stands_is_not_a_new_wait() -> None:
    from tui.sessions.agents import PRESETS
    from tui.sessions.observer import Observer

    observer = Observer(dict(PRESETS))
    session = _session(Path("/nonexistent-repo"), "w41t00")
    session.agent = "shell"
    asked = "line 1\nline 2\ncontinue? [y/n] "
    seen = []

    def look(screen: str, at: float) -> None:
        snapshot = observer.observe(session, _pane(), screen, at)
        seen.append((snapshot.state, snapshot.wait_id, snapshot.question))

    look("starting", 0.0)
    look(asked, 1.0)
    look(asked, 1.0 + PROMPT_QUIET + 0.1)
    assert seen[-1] == (State.NEEDS_INPUT, 1, "continue? [y/n]")
    # An attaching client resizes the window: the screen changes, the question stays.
    look("\n" + asked, 5.0)
    assert seen[-1][0] is State.WORKING
    look("\n" + asked, 5.0 + PROMPT_QUIET + 0.1)
    assert seen[-1] == (State.NEEDS_INPUT, 1, "continue? [y/n]")
    # Answered, and at once a different question: a new wait.
    look(asked + "y\nand the tests? [y/n] ", 8.0)
    look(asked + "y\nand the tests? [y/n] ", 8.0 + PROMPT_QUIET + 0.1)
    assert seen[-1] == (State.NEEDS_INPUT, 2, "and the tests? [y/n]")
    # The same question again after real work in between: a new wait too.
    look("working hard\n" * 3, 10.0)
    look("working hard\n" * 3, 10.0 + DEBOUNCE + 0.1)
    assert seen[-1][0] is State.IDLE
    look("done\nand the tests? [y/n] ", 20.0)
    look("done\nand the tests? [y/n] ", 20.0 + PROMPT_QUIET + 0.1)
    assert seen[-1] == (State.NEEDS_INPUT, 3, "and the tests? [y/n]")
