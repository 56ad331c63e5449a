"""The review store: a real SQLite file, shared by several connections and processes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui.review.anchoring import DocumentIndex
from tui.review.errors import NoSuchComment, NoSuchRound, ReviewError, RoundNotDraft
from tui.review.model import Destination, RoundState, Target, Verdict
from tui.review.store import ReviewStore, default_path

DOC = "# Plan\n\nStep one.\nStep two.\n"


def anchor(line: int = 3):  # noqa: ANN201 - a test helper
    return DocumentIndex(DOC).anchor_lines(line)


def test_one_draft_per_document_whoever_asks(store: ReviewStore, tmp_path: Path) -> None:
    target = Target.document("plan.md")
    first = store.draft(tmp_path, target)
    with ReviewStore() as other:
        assert other.draft(tmp_path, target).id == first.id
    assert store.draft(tmp_path, Target.document("other.md")).id != first.id
    assert store.draft(tmp_path, Target.diff("abc123")).id not in (first.id,)
    assert first.state is RoundState.DRAFT and store.find_draft(tmp_path, target) == first


def test_the_store_is_private_to_the_user(store: ReviewStore, loupe_dirs: dict[str, Path]) -> None:
    store.draft(loupe_dirs["data"], Target.document("plan.md"))
    assert store.path == default_path()
    for path in (store.path, Path(f"{store.path}-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_new_data_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOUPE_DATA_DIR", str(tmp_path / "fresh"))
    with ReviewStore() as opened:
        assert opened.path.parent == tmp_path / "fresh"
        assert stat.S_IMODE(opened.path.parent.stat().st_mode) == 0o700


def test_the_stamp_moves_with_every_write_from_any_connection(store: ReviewStore, tmp_path: Path) -> None:
    before = store.stamp()
    with ReviewStore() as other:
        assert other.stamp() == before  # opening and reading change nothing
        draft = other.draft(tmp_path, Target.document("plan.md"))
        other.add_comment(draft.id, path="plan.md", anchor=anchor(), body="why?")
    assert store.stamp() == before + 2
    store.viewed("s1")
    assert store.stamp() == before + 2


def test_comments_go_only_into_drafts_and_are_resolved_only_once_sent(store: ReviewStore, tmp_path: Path) -> None:
    draft = store.draft(tmp_path, Target.document("plan.md"))
    comment = store.add_comment(draft.id, path="plan.md", anchor=anchor(), body="Split it")
    assert store.comment(comment.id).anchor == anchor()
    with pytest.raises(RoundNotDraft, match="never sent"):
        store.resolve(comment.id, by="you")
    store.mark_submitted(draft.id, verdict=Verdict.REQUEST_CHANGES, destination=Destination.COPY,
                         message="msg", sent={comment.id: (anchor(4), "h")})
    sent = store.comment(comment.id)
    assert sent.anchor.first_line == 4 and sent.sent_hash == "h"
    with pytest.raises(RoundNotDraft, match="already submitted"):
        store.add_comment(draft.id, path="plan.md", anchor=anchor(), body="late")
    with pytest.raises(RoundNotDraft):
        store.edit_comment(comment.id, "changed")
    resolved = store.resolve(comment.id, by="a1b2c3", note="split into two steps")
    assert resolved.resolution is not None
    assert (resolved.resolution.by, resolved.resolution.note) == ("a1b2c3", "split into two steps")
    assert store.unresolve(comment.id).resolution is None
    # The next comment on the document starts a new draft.
    assert store.draft(tmp_path, Target.document("plan.md")).id != draft.id


def test_drafts_can_be_edited_and_discarded(store: ReviewStore, tmp_path: Path) -> None:
    draft = store.draft(tmp_path, Target.document("plan.md"))
    kept = store.add_comment(draft.id, path="plan.md", anchor=anchor(), body="one")
    dropped = store.add_comment(draft.id, path="plan.md", anchor=anchor(4), body="two")
    assert store.edit_comment(kept.id, "one, better").body == "one, better"
    store.delete_comment(dropped.id)
    assert [c.id for c in store.comments([draft.id])] == [kept.id]
    with pytest.raises(ReviewError, match="needs some text"):
        store.add_comment(draft.id, path="plan.md", anchor=anchor(), body="  ")
    store.discard(draft.id)
    with pytest.raises(NoSuchRound, match="no review round"):
        store.round(draft.id)
    with pytest.raises(NoSuchComment):
        store.comment(kept.id)


def test_rounds_are_listed_by_repository_path_and_recipient(store: ReviewStore, tmp_path: Path) -> None:
    one = store.draft(tmp_path / "a", Target.document("plan.md"))
    two = store.draft(tmp_path / "b", Target.document("plan.md"))
    store.mark_submitted(two.id, verdict=Verdict.COMMENT, destination=Destination.SESSION, message="m",
                         sent={}, to_session="s1")
    assert [r.id for r in store.rounds(tmp_path / "a")] == [one.id]
    assert [r.id for r in store.rounds(to_session="s1")] == [two.id]
    assert [r.id for r in store.rounds(states=[RoundState.SUBMITTED])] == [two.id]
    assert [r.id for r in store.rounds(path="plan.md")] == [one.id, two.id]


def test_viewed_hunks_are_remembered_per_session(store: ReviewStore) -> None:
    store.mark_viewed("s1", ["h1", "h2"])
    store.mark_viewed("s1", ["h2"])
    store.mark_viewed("s2", ["h3"])
    assert store.viewed("s1") == {"h1", "h2"}
    store.forget_viewed("s1")
    assert store.viewed("s1") == set() and store.viewed("s2") == {"h3"}


def test_a_store_from_a_newer_loupe_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite"
    ReviewStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ReviewError, match="newer loupe"):
        ReviewStore(path)


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "reviews.sqlite")
    store.close()
    with pytest.raises(ReviewError, match="closed"):
        store.stamp()


WRITER = """
import sys
from pathlib import Path
from tui.review.anchoring import DocumentIndex
from tui.review.model import Target
from tui.review.store import ReviewStore

anchor = DocumentIndex("# Plan\\n\\nStep one.\\n").anchor_lines(3)
with ReviewStore(Path(sys.argv[1]), busy_timeout_ms=60_000) as store:
    for n in range(40):
        draft = store.draft(Path(sys.argv[2]), Target.document("plan.md"))
        store.add_comment(draft.id, path="plan.md", anchor=anchor, body=f"{sys.argv[3]} {n}")
"""


def test_processes_writing_at_once_all_land_in_one_draft(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite"
    ReviewStore(path).close()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(tmp_path), name],
                                stderr=subprocess.PIPE, text=True) for name in ("left", "right", "third")]
    try:
        errors = [w.communicate(timeout=120)[1] for w in writers]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    with ReviewStore(path) as store:
        (draft,) = store.rounds(tmp_path)
        bodies = [c.body for c in store.comments([draft.id])]
    assert sorted(bodies) == sorted(f"{name} {n}" for name in ("left", "right", "third") for n in range(40))


def test_a_name_that_is_not_utf8_is_refused_with_a_reason_not_a_sqlite_error(tmp_path: Path) -> None:
    # Its document opened with "Could not load ...: UnicodeEncodeError" from deep in SQLite.
    from tui.review.errors import NotCommentable
    from tui.review.model import document_key

    path = tmp_path / os.fsdecode(b"caf\xe9.md")
    with pytest.raises(NotCommentable, match="not UTF-8"):
        document_key(tmp_path, path)
    assert document_key(tmp_path, tmp_path / "café.md") == "café.md"
