"""Who wrote a task's artifact, when no phase was started to write it: the sessions of the task
whose worktree changed it (real tmux, real git, scripted agents; issue 14)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fixtures.phases import QUESTIONS, TICKET
from tests.fixtures.sessions import SessionsHarness
from tests.test_phases_sessions import WAITER, kind, make_task
from tui.phases.lookup import find_task
from tui.phases.timeline import Kind, timeline, worktree_changes
from tui.sessions.model import Session

pytestmark = pytest.mark.slow

# Started by hand on the task: revises the questions and adds a note in its worktree, commits
# the note, then waits.
REVISER = """\
printf '\\n2. And who reads them?\\n' >> .loupe/tasks/stats/01-research-questions.md
echo "a note" > .loupe/tasks/stats/notes.md
git add .loupe/tasks/stats/notes.md && git commit -q -m "a note"
echo "revised"
read answer
"""


def test_a_session_whose_worktree_changed_an_artifact_is_its_writer_one_diff_each(
    sessions: SessionsHarness,
) -> None:
    repo = sessions.repo
    task = make_task(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS, "notes.md": "old\n"})
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "the task")
    reviser = sessions.start(kind(sessions, "reviser", REVISER), task="stats", task_dir=task.path,
                             prompt="revise the questions")
    idle = sessions.start(kind(sessions, "idle", WAITER), task="stats", task_dir=task.path, prompt="wait")
    sessions.wait_screen(reviser, "revised", timeout=30)

    asked: Counter[str] = Counter()
    diff_paths = worktree_changes(sessions.manager)

    def counted(session: Session) -> list[str]:
        asked[session.id] += 1
        return diff_paths(session)

    events = timeline(find_task(task.path.parent, "stats"), sessions=sessions.manager.sessions(include_removed=True),
                      diff_paths=counted)
    writers = {e.title: [(w.session_id, w.reason) for w in e.writers] for e in events if e.kind is Kind.ARTIFACT}
    # Changed on disk and committed alike; the other session of the task changed nothing.
    assert writers == {"ticket.md": [], "01-research-questions.md": [(reviser.id, "its diff changed it")],
                       "notes.md": [(reviser.id, "its diff changed it")]}
    # Three artifacts, two sessions: each diff was taken once.
    assert asked == Counter({reviser.id: 1, idle.id: 1})

    # Removed, its worktree is gone: it is listed as removed and no longer as a writer (the
    # branch it leaves is not read), and the timeline still builds.
    sessions.manager.remove(reviser, confirm=True)
    events = timeline(find_task(task.path.parent, "stats"), sessions=sessions.manager.sessions(include_removed=True),
                      diff_paths=counted)
    assert all(e.writers == () for e in events if e.kind is Kind.ARTIFACT)
    assert [e.state for e in events if e.session_id == reviser.id and e.kind is Kind.SESSION] == ["removed"]
