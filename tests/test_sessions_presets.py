"""The presets' screen contracts, read the way a poll reads them (no tmux: the screens are
given), and what config does to them."""

from __future__ import annotations

from pathlib import Path

from tui.config import AgentKindConfig
from tui.sessions import agents
from tui.sessions.model import Session
from tui.sessions.observer import Observer
from tui.sessions.status import DEBOUNCE, PROMPT_QUIET
from tui.sessions.status_file import State, Status
from tui.sessions.tmux import PaneInfo

PANE = PaneInfo("s", 1, False, None, None, 0, 80, 24)

AIDER_ASKS = """\
Aider v0.86.1
Main model: openai/scripted with diff edit format
─────────────────────────────────────────────────
> build the parser

a.py
Add file to the chat? (Y)es/(N)o/(D)on't ask again [Yes]: """

AIDER_ANSWERED = AIDER_ASKS + "y\n"
AIDER_EDITING = AIDER_ANSWERED + "Applied edit to a.py\nCommit 1a2b3c4 feat: parser\n"
AIDER_IDLE = AIDER_EDITING + "─────────────────────────────────────────────────\n> \n\n\n"

CODEX_APPROVAL = """\
› run the tests

• Working (4s • esc to interrupt)

  Would you like to run the following command?

  Reason: the tests need the network

  $ cargo test --workspace \\
      --features net \\
      -- --nocapture

› 1. Yes, proceed (y)
  2. Yes, and don't ask again for this command (a)
  3. No, and tell Codex what to do differently (esc)

  Press enter to confirm or esc to cancel
"""

CODEX_TRUST = """\
> You are in /home/me/.local/share/loupe/worktrees/app/login-bug-1

  Trust this folder? Working with untrusted contents comes with higher risk of prompt
  injection.

› 1. Yes, continue
  2. No, quit

  ⏎ select   esc quit
"""

CODEX_WORKING = """\
› refactor the parser

• Working (3s • esc to interrupt)

› Ask Codex to do anything
  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit
"""


def _session(agent: str, status: str) -> Session:
    return Session(id=f"{agent}1", repo=Path("/nonexistent"), number=0, agent=agent, status_source=status,
                   task="t", branch="b", worktree=Path("/nonexistent"), worktree_name="w", base_commit="c",
                   base_branch="main", tmux_socket="s", port_base=20000)


class Watch:
    """One session's screens, shown at given times, as polls see them."""

    def __init__(self, tmp_path: Path, agent: str, status: str = "screen", configured: dict | None = None) -> None:
        # Each watch its own memory: a screen remembered by another would not look new.
        self.observer = Observer(agents.agent_kinds(configured or {}), memory_dir=tmp_path / str(id(self)))
        self.session = _session(agent, status)

    def show(self, screen: str, at: float, reported: Status | None = None) -> State:
        return self.observer.observe(self.session, PANE, screen, at, reported=reported).state

    def quiet(self, screen: str, at: float, reported: Status | None = None) -> State:
        """The state once `screen` has stood still from `at` until `at` plus the debounce."""
        self.show(screen, at, reported)
        return self.show(screen, at + DEBOUNCE + 0.1, reported)


def test_an_answered_aider_question_is_neither_a_wait_nor_a_stuck_state(tmp_path: Path) -> None:
    watch = Watch(tmp_path, "aider")
    assert watch.quiet(AIDER_ASKS, 0.0) is State.NEEDS_INPUT
    # Answered: the question is still on the screen, but the answer follows it.
    watch.show(AIDER_EDITING, 10.0)
    assert watch.show(AIDER_EDITING, 10.0 + PROMPT_QUIET + 0.1) is State.WORKING
    assert watch.quiet(AIDER_IDLE, 20.0) is State.IDLE


def test_aider_reads_idle_as_soon_as_its_input_prompt_stands_still(tmp_path: Path) -> None:
    watch = Watch(tmp_path, "aider")
    watch.show(AIDER_IDLE, 0.0)
    assert watch.show(AIDER_IDLE, PROMPT_QUIET + 0.1) is State.IDLE
    # Without its prompt on the last line, a quiet screen needs the whole debounce.
    watch.show(AIDER_EDITING, 10.0)
    assert watch.show(AIDER_EDITING, 10.0 + PROMPT_QUIET + 0.1) is State.WORKING


def test_prompt_patterns_from_config_replace_the_presets_and_extra_ones_add(tmp_path: Path) -> None:
    replaced = Watch(tmp_path, "aider", configured={"aider": AgentKindConfig(prompt_patterns=[r"^Proceed\?$"])})
    assert replaced.quiet(AIDER_ASKS, 0.0) is State.IDLE
    assert replaced.quiet("work\nProceed?\n", 10.0) is State.NEEDS_INPUT
    added = Watch(tmp_path, "aider", configured={"aider": AgentKindConfig(extra_prompt_patterns=[r"^Proceed\?$"])})
    assert added.quiet(AIDER_ASKS, 0.0) is State.NEEDS_INPUT
    assert added.quiet("work\nProceed?\n", 10.0) is State.NEEDS_INPUT


def test_a_codex_question_far_from_the_bottom_needs_you_and_is_the_question_shown(tmp_path: Path) -> None:
    approval = Watch(tmp_path, "codex", "codex")
    assert approval.quiet(CODEX_APPROVAL, 0.0) is State.NEEDS_INPUT
    snapshot = approval.observer.observe(approval.session, PANE, CODEX_APPROVAL, 5.0)
    assert snapshot.question == "Would you like to run the following command?"


def test_codex_asking_to_trust_the_worktree_needs_you(tmp_path: Path) -> None:
    assert Watch(tmp_path, "codex", "codex").quiet(CODEX_TRUST, 0.0) is State.NEEDS_INPUT


def test_a_busy_codex_screen_is_working_whatever_notify_said_last(tmp_path: Path) -> None:
    watch = Watch(tmp_path, "codex", "codex")
    watch.show(CODEX_WORKING, 0.0)
    # A turn-complete report written after the screen last changed, while it says Working.
    idle = Status(State.IDLE, event="codex", source="codex-notify", time=0.5)
    assert watch.show(CODEX_WORKING, 0.6, reported=idle) is State.WORKING
    assert watch.show(CODEX_WORKING, 0.6 + DEBOUNCE, reported=idle) is State.WORKING
    # Its approval question stands under the busy line: the question wins.
    assert watch.quiet(CODEX_APPROVAL, 5.0, reported=idle) is State.NEEDS_INPUT
    done = CODEX_WORKING.replace("• Working (3s • esc to interrupt)", "• Refactored the parser.")
    assert watch.show(done, 10.0, reported=Status(State.IDLE, source="codex-notify", time=10.1)) is State.IDLE


def test_every_preset_compiles_and_typed_presets_know_their_input_prompt() -> None:
    kinds = agents.agent_kinds({})
    for kind in kinds.values():
        assert kind.screen_rules is not None
        if not kind.takes_prompt_argument:
            assert kind.ready_pattern or kind.name == "shell", f"{kind.name} types its prompt blind"
    assert kinds["aider"].screen_rules.is_ready(["Aider v0.86.1", "> "[:-1]])
    assert kinds["aider"].screen_rules.is_ready(["architect multi>"])
    assert not kinds["aider"].screen_rules.is_ready(["> half typed"])
