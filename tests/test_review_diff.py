"""Comments on a session's diff and "since you last looked", on a real git working tree
(the session record points at it; no agent is needed to change files)."""

from __future__ import annotations


import pytest

from tests.fixtures.git import RepoWithRemote
from tui.agent.snapshot import snapshot_tree
from tui.diffs import FileDiff, Hunk
from tui.review import delivery
from tui.review.commenting import comment_on_diff
from tui.review.errors import NotCommentable, StaleHunk
from tui.review.model import Side, Status, Target, Verdict
from tui.review.session_files import FolderFiles, HostFiles
from tui.review.store import ReviewStore
from tui.review.tracking import track_rounds
from tui.review.turns import diff_since, last_seen_turn, mark_turn_seen, turns
from tui.review.viewed import keys_of, since_last_look
from tui.sessions.diff import session_diff
from tui.sessions.manager import SessionManager
from tui.sessions.model import Session
from tui.sessions.store import SessionStore
from tui.threads.store import ThreadStore

BASE = "".join(f"line {n}\n" for n in range(1, 61))


@pytest.fixture
def session(repo: RepoWithRemote) -> Session:
    """A session record whose worktree is the test repository itself (nothing runs in it)."""
    base = repo.commit_file("app.py", BASE, "base")
    record = Session(id="ab12cd", repo=repo.path, number=0, agent="shell", status_source="screen", task="t",
                     branch="main", worktree=repo.path, worktree_name="w", base_commit=base,
                     base_branch="main", tmux_socket="unused", port_base=0)
    return SessionStore().add(record, port_start=40000, port_free=lambda base: True)


def write(session: Session, text: str, name: str = "app.py") -> None:
    (session.worktree / name).write_bytes(text.encode())


def the_file(session: Session, name: str = "app.py") -> FileDiff:
    return next(f for f in session_diff(session).files if f.path == name)


def test_a_comment_on_new_lines_is_tracked_in_the_worktree_file(store: ReviewStore, session: Session) -> None:
    write(session, BASE.replace("line 10\n", "line 10 changed\nline 10b\n"))
    file = the_file(session)
    (hunk,) = file.hunks
    comment = comment_on_diff(store, session.repo, session.id, FolderFiles(session.worktree), file, hunk, Side.NEW,
                              10, 11, "Why two lines?")
    assert comment.anchor.quote == "line 10 changed\nline 10b"
    assert store.round(comment.round_id).target == Target.diff(session.id)
    text = delivery.submit_copy(store, comment.round_id, Verdict.REQUEST_CHANGES).text
    assert f"## [{comment.id}] `app.py:10-11`\n\n```\nline 10 changed\nline 10b\n```" in text
    assert "no longer in the file" not in text
    # The agent edits those lines again: addressed.
    write(session, BASE.replace("line 10\n", "line 10 changed again\nline 10b\n"))
    worktrees = {session.id: FolderFiles(session.worktree)}
    (tracked,) = track_rounds([store.round(comment.round_id)], store.comments([comment.round_id]), worktrees)
    assert tracked.status is Status.ADDRESSED


def test_a_comment_on_removed_lines_is_on_the_old_side(store: ReviewStore, session: Session) -> None:
    write(session, BASE.replace("line 20\n", ""))
    file = the_file(session)
    comment = comment_on_diff(store, session.repo, session.id, FolderFiles(session.worktree), file, file.hunks[0],
                              Side.OLD, 20, None, "Keep this one")
    assert comment.anchor.quote == "line 20" and comment.side is Side.OLD
    text = delivery.submit_copy(store, comment.round_id, Verdict.COMMENT).text
    assert "`app.py:20` (old side: the code before your change)" in text


def test_a_hunk_changed_since_the_diff_was_shown_is_refused(store: ReviewStore, session: Session) -> None:
    write(session, BASE.replace("line 30\n", "line 30 new\n"))
    shown = the_file(session)
    write(session, BASE.replace("line 30\n", "line 30 newer\n"))
    with pytest.raises(StaleHunk, match=r"app.py:27-33 changed since this diff was shown"):
        comment_on_diff(store, session.repo, session.id, FolderFiles(session.worktree), shown, shown.hunks[0],
                        Side.NEW, 30, None, "too late")
    assert store.rounds(session.repo) == []


def test_binary_files_and_lines_outside_the_hunk_are_refused(store: ReviewStore, session: Session) -> None:
    (session.worktree / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    write(session, BASE.replace("line 40\n", "line 40 new\n"))
    files = {f.path: f for f in session_diff(session).files}
    with pytest.raises(NotCommentable, match="logo.png is a binary file"):
        comment_on_diff(store, session.repo, session.id, FolderFiles(session.worktree), files["logo.png"],
                        Hunk(1, 0, 1, 0, ()), Side.NEW, 1, None, "what is this")
    app = files["app.py"]
    with pytest.raises(NotCommentable, match="not all on the new side"):
        comment_on_diff(store, session.repo, session.id, FolderFiles(session.worktree), app, app.hunks[0],
                        Side.NEW, 2, None, "far away")


def test_a_session_in_place_comments_on_files_of_the_main_checkout(store: ReviewStore, repo: RepoWithRemote) -> None:
    """Its diff names files from the checkout's root; its record names its task folder."""
    base = repo.commit_file("docs/plan.md", BASE, "plan")
    record = Session(id="ef34ab", repo=repo.path, number=1, agent="shell", status_source="screen", task="docs",
                     branch="", worktree=repo.path / "docs", worktree_name="", base_commit=base,
                     base_branch="main", tmux_socket="unused", port_base=0)
    session = SessionStore().add(record, port_start=40000, port_free=lambda base: True)
    (repo.path / "docs" / "plan.md").write_text(BASE.replace("line 7\n", "line 7, planned\n"))
    (file,) = session_diff(session).files
    manager = SessionManager(repo.path)
    try:
        comment = comment_on_diff(store, repo.path, session.id, HostFiles(manager, session), file, file.hunks[0],
                                  Side.NEW, 7, None, "Plan what?")
        # Names that lead out of the checkout read nothing.
        assert manager.read_texts(session, ["../outside.txt", "/etc/hostname", "docs"]) == {
            "../outside.txt": None, "/etc/hostname": None, "docs": None}
    finally:
        manager.close()
    assert (comment.path, comment.anchor.quote) == ("docs/plan.md", "line 7, planned")


def test_since_last_look_shows_only_new_or_changed_hunks(store: ReviewStore, session: Session) -> None:
    write(session, BASE.replace("line 5\n", "line 5 a\n").replace("line 50\n", "line 50 a\n"))
    first = session_diff(session).files
    look = since_last_look(first, store.viewed(session.id))
    assert look.first_look and look.unseen == 2
    store.mark_viewed(session.id, keys_of(first))
    # Lines added above the second hunk move it without changing it; the first hunk changes.
    write(session, "new top\n" + BASE.replace("line 5\n", "line 5 b\n").replace("line 50\n", "line 50 a\n"))
    again = since_last_look(session_diff(session).files, store.viewed(session.id))
    assert not again.first_look
    assert (again.unseen, again.seen) == (1, 1)
    (file,) = again.files
    assert [line.text for hunk in file.hunks for line in hunk.lines if line.kind == "+"] == ["new top", "line 5 b"]
    store.mark_viewed(session.id, keys_of(again.files))
    assert since_last_look(session_diff(session).files, store.viewed(session.id)).unseen == 0


def test_a_ten_thousand_line_diff_is_remembered_hunk_by_hunk(store: ReviewStore, session: Session) -> None:
    big = "".join(f"row {n}\n" for n in range(10_000))
    write(session, big, "big.txt")
    files = session_diff(session).files
    store.mark_viewed(session.id, keys_of(files))
    write(session, big.replace("row 9999\n", "row 9999 edited\n"), "big.txt")
    look = since_last_look(session_diff(session).files, store.viewed(session.id))
    assert look.unseen == 1 and look.files[0].path == "big.txt"


def test_a_built_in_agent_session_shows_what_changed_since_the_turn_you_looked_at(
        store: ReviewStore, session: Session) -> None:
    with ThreadStore() as threads:
        assert turns(threads, session.id) == []  # not a built-in agent: no recorded trees
        thread = threads.create_thread("agent", kind="agent", meta={"session": session.id})
        threads.append(thread.id, "user", "Make the change")
        write(session, BASE.replace("line 5\n", "line 5 turn one\n"))
        first = threads.append(thread.id, "assistant", "Changed line 5.")
        threads.set_snapshot(first.id, snapshot_tree(session.worktree))
        write(session, BASE.replace("line 5\n", "line 5 turn one\n").replace("line 50\n", "line 50 turn two\n"))
        second = threads.append(thread.id, "assistant", "Changed line 50.")
        threads.set_snapshot(second.id, snapshot_tree(session.worktree))
        found = turns(threads, session.id)
    assert [(t.number, t.message_id) for t in found] == [(1, first.id), (2, second.id)]
    assert last_seen_turn(store, session.id, found) is None
    mark_turn_seen(store, session.id, found[0])
    assert last_seen_turn(store, session.id, found) == found[0]
    (changed,) = diff_since(session, found[0].tree)
    assert changed.path == "app.py"
    assert [line.text for hunk in changed.hunks for line in hunk.lines if line.kind == "+"] == ["line 50 turn two"]
    assert diff_since(session, found[1].tree) == []
