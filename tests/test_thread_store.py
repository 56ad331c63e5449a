"""The thread store on a real SQLite file: tree operations, immutability, GC, search, merge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui.threads import (
    MessageFinished,
    Role,
    Status,
    StoreError,
    ThreadBusy,
    ThreadStore,
    UnknownThread,
    UnsafeForkPoint,
    Usage,
)
from tui.threads.db import SCHEMA_VERSION
from tui.threads.merge import concatenate_branches
from tui.threads.search import fts_query


@pytest.fixture
def store(tmp_path: Path) -> ThreadStore:
    with ThreadStore(tmp_path / "threads.sqlite") as opened:
        yield opened


def counts(store: ThreadStore) -> dict[str, int]:
    conn = sqlite3.connect(store.path)
    try:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("messages", "threads", "message_sources")
        }
    finally:
        conn.close()


def conversation(store: ThreadStore, turns: int = 2, title: str = "design") -> str:
    thread = store.create_thread(title, system="You review designs.", endpoint="e", model="m")
    for n in range(turns):
        store.append(thread.id, "user", f"question {n}")
        store.append(thread.id, "assistant", f"answer {n}", model="m")
    return thread.id


def test_a_new_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "threads.sqlite"
    ThreadStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"messages", "threads", "message_sources", "messages_fts"} <= tables
    conn.close()
    # Opening again is a no-op, and the data survives.
    with ThreadStore(path) as again:
        thread = again.create_thread("kept")
    with ThreadStore(path) as third:
        assert [t.title for t in third.list_threads()] == ["kept"]


def test_a_file_from_a_newer_loupe_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer loupe"):
        ThreadStore(path)


def test_a_file_that_is_not_a_database_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="move it aside"):
        ThreadStore(path)


def test_history_is_the_chain_from_root_to_head(store: ThreadStore) -> None:
    thread_id = conversation(store)
    history = store.history(thread_id)
    assert [(m.role, m.content) for m in history] == [
        (Role.SYSTEM, "You review designs."),
        (Role.USER, "question 0"),
        (Role.ASSISTANT, "answer 0"),
        (Role.USER, "question 1"),
        (Role.ASSISTANT, "answer 1"),
    ]
    assert [m.depth for m in history] == [0, 1, 2, 3, 4]
    assert {m.root_id for m in history} == {history[0].id}
    assert store.thread(thread_id).length == 5


def test_a_fork_adds_exactly_one_row_and_shares_history(store: ThreadStore) -> None:
    thread_id = conversation(store)
    at = store.history(thread_id)[2]
    before = counts(store)
    fork = store.fork(thread_id, at.id, title="perf")
    assert counts(store) == {**before, "threads": before["threads"] + 1}
    assert [m.id for m in store.history(fork.id)] == [m.id for m in store.history(thread_id)[:3]]
    assert (fork.forked_from, fork.fork_point_id, fork.endpoint, fork.model) == (thread_id, at.id, "e", "m")
    # Writing to the fork never changes the original.
    store.append(fork.id, "user", "what about speed?")
    assert [m.content for m in store.history(thread_id)][-1] == "answer 1"
    assert store.threads_containing(at.id) == sorted([thread_id, fork.id])


def test_finished_messages_are_immutable_in_the_database(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    answer = store.history(thread_id)[-1]
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE messages SET content = 'rewritten' WHERE id = ?", (answer.id,))
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE messages SET status = 'streaming' WHERE id = ?", (answer.id,))
    conn.close()
    with pytest.raises(MessageFinished):
        store.append_partial(answer.id, "rewritten")
    with pytest.raises(MessageFinished):
        store.finish(answer.id, Status.ERROR)
    assert store.message(answer.id).content == "answer 0"


def test_streaming_content_is_saved_then_frozen(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=0)
    store.append(thread_id, "user", "hi")
    reply = store.start_reply(thread_id, model="m", endpoint="e")
    assert reply.status is Status.STREAMING
    with pytest.raises(ThreadBusy):
        store.append(thread_id, "user", "too early")
    with pytest.raises(UnsafeForkPoint, match="streaming"):
        store.fork(thread_id)
    clock = [0.0]
    writer = store.stream_writer(reply.id, interval=0.25, clock=lambda: clock[0])
    writer.append("Hel")
    writer.append("lo")
    assert store.message(reply.id).content == ""  # not yet: bounded rate
    clock[0] = 0.3
    writer.append(", world")
    assert store.message(reply.id).content == "Hello, world"
    finished = writer.finish(Status.COMPLETE, usage=Usage(12, 3))
    assert (finished.status, finished.content, finished.usage) == (
        Status.COMPLETE, "Hello, world", Usage(12, 3, 15)
    )
    assert finished.finished_at is not None


def test_edits_are_siblings_in_creation_order(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    question = store.history(thread_id)[1]
    edits = [store.edit(thread_id, question.id, f"question v{n}") for n in range(2, 6)]
    siblings = store.siblings(question.id)
    assert [m.content for m in siblings] == ["question 0"] + [f"question v{n}" for n in range(2, 6)]
    assert [m.id for m in siblings] == sorted(m.id for m in siblings)
    positions = store.sibling_positions([question.id, edits[1].id, edits[-1].id])
    assert (positions[question.id].index, positions[question.id].count) == (1, 5)
    assert positions[question.id].previous_id is None
    assert positions[edits[1].id] == positions[edits[1].id].__class__(3, 5, edits[0].id, edits[2].id)
    assert positions[edits[-1].id].next_id is None
    # The head follows the last edit; the first branch is still there to switch back to.
    assert store.history(thread_id)[-1].id == edits[-1].id
    store.switch_branch(thread_id, question.id)
    assert [m.content for m in store.history(thread_id)][-2:] == ["question 0", "answer 0"]


def test_switch_branch_goes_to_the_newest_leaf(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    question = store.history(thread_id)[1]
    store.append(thread_id, "user", "follow-up")
    newest = store.append(thread_id, "assistant", "newest answer")
    store.edit(thread_id, question.id, "another question")
    thread = store.switch_branch(thread_id, question.id)
    assert thread.head_id == newest.id


def test_seen_from_a_thread_other_forks_are_not_its_siblings(store: ThreadStore) -> None:
    # Map: two forks at one answer, then a merge in the parent. Each thread's ‹ n/m › counts
    # its own alternatives (edits, regenerations, inherited ones), not the other forks.
    parent = conversation(store, turns=1)
    answer = store.history(parent)[-1]
    forks = [store.fork(parent, answer.id, title=f"branch {n}") for n in range(2)]
    questions = [store.append(f.id, "user", f"branch question {n}") for n, f in enumerate(forks)]
    merged = store.merge(parent, [f.id for f in forks], "both", kind="reduce", role="assistant")
    assert store.sibling_positions([merged.id], thread_id=parent)[merged.id].count == 1
    for fork, question in zip(forks, questions):
        assert store.sibling_positions([question.id], thread_id=fork.id)[question.id].count == 1
    # Without a thread, every child of the parent message counts (the tree's own view).
    assert store.sibling_positions([merged.id])[merged.id].count == 3
    # An edit in a fork of an inherited message is a sibling there, not in the parent.
    inherited = store.history(parent)[1]
    edit = store.edit(forks[0].id, inherited.id, "asked differently")
    seen = store.sibling_positions([inherited.id, edit.id], thread_id=forks[0].id)
    assert (seen[inherited.id].count, seen[edit.id].index) == (2, 2)
    assert store.sibling_positions([inherited.id], thread_id=parent)[inherited.id].count == 1
    # Switching back in the fork returns to the fork's own newest leaf, not the parent's merge.
    store.switch_branch(forks[0].id, inherited.id)
    assert store.thread(forks[0].id).head_id == questions[0].id


def test_switching_back_stays_in_the_thread_when_a_fork_wrote_below(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=2)
    history = store.history(thread_id)
    fork = store.fork(thread_id, history[2].id)
    store.append(fork.id, "user", "only in the fork")  # newer than anything in the thread
    store.edit(thread_id, history[1].id, "edited first question")
    thread = store.switch_branch(thread_id, history[1].id)
    assert thread.head_id == history[-1].id


def test_tool_call_turns_are_never_split(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=0)
    store.append(thread_id, "user", "list files")
    calls = [
        {"id": "call_a", "type": "function", "function": {"name": "list_dir", "arguments": "{}"}},
        {"id": "call_b", "type": "function", "function": {"name": "read_file", "arguments": "{}"}},
    ]
    asking = store.append(thread_id, "assistant", "", tool_calls=calls)
    with pytest.raises(UnsafeForkPoint, match="tool calls"):
        store.fork(thread_id)
    with pytest.raises(UnsafeForkPoint, match="no results yet"):
        store.append(thread_id, "user", "never mind")
    with pytest.raises(UnsafeForkPoint, match="call_zzz"):
        store.append(thread_id, "tool", "x", tool_call_id="call_zzz")
    first = store.append(thread_id, "tool", "a.txt", tool_call_id="call_a")
    assert store.fork_point_problem(first.id) is not None
    last = store.append(thread_id, "tool", "contents", tool_call_id="call_b")
    assert store.fork_point_problem(last.id) is None
    store.fork(thread_id, last.id)
    problems = store.fork_point_problems(store.history(thread_id))
    assert set(problems) == {asking.id, first.id}


def test_a_failed_reply_is_not_a_fork_point(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=0)
    question = store.append(thread_id, "user", "hi")
    reply = store.start_reply(thread_id, model="m", endpoint="e")
    store.finish(reply.id, Status.ERROR, error="500 from the server")
    with pytest.raises(UnsafeForkPoint, match="failed"):
        store.fork(thread_id)
    assert store.fork(thread_id, question.id).head_id == question.id


def test_deleting_a_fork_collects_only_what_nothing_else_reaches(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    question = store.history(thread_id)[1]
    edit = store.edit(thread_id, question.id, "question, edited")
    store.switch_branch(thread_id, question.id)
    fork = store.fork(thread_id)
    own = [store.append(fork.id, "user", "fork only"), store.append(fork.id, "assistant", "fork answer")]
    grandchild = store.fork(fork.id, title="grandchild")
    store.append(grandchild.id, "user", "deeper")
    before = counts(store)["messages"]

    collected = store.delete_thread(fork.id)

    # The grandchild still reaches the fork's messages, so nothing goes yet; it moves up.
    assert collected == 0
    assert store.thread(grandchild.id).forked_from == thread_id
    collected = store.delete_thread(grandchild.id)
    assert collected == 3
    assert counts(store)["messages"] == before - 3
    for message in own:
        with pytest.raises(Exception, match="no message"):
            store.message(message.id)
    # The edit left behind in the live thread stays switchable.
    assert store.message(edit.id).content == "question, edited"
    assert len(store.history(thread_id)) == 3
    assert store.search("fork only") == []


def test_search_finds_finished_messages_across_threads(store: ThreadStore) -> None:
    first = conversation(store, turns=0, title="first")
    store.append(first, "user", "How does the retry backoff work?")
    second = conversation(store, turns=0, title="second")
    store.append(second, "user", "unrelated")
    reply = store.start_reply(second, model="m", endpoint="e")
    store.append_partial(reply.id, "the backoff doubles")
    hits = store.search("backoff")
    assert [hit.thread_ids for hit in hits] == [[first]]
    assert "[backoff]" in hits[0].snippet
    store.finish(reply.id, Status.COMPLETE)
    assert {hit.thread_ids[0] for hit in store.search("BACKOFF")} == {first, second}
    assert [h.thread_ids for h in store.search("back*")] == [h.thread_ids for h in store.search("backoff")]
    assert store.search('retry "OR" NEAR(') == []  # FTS syntax in input is just words
    assert len(store.search("retry backoff")) == 1
    store.archive(first)
    assert [hit.thread_ids for hit in store.search("backoff")] == [[second]]
    assert len(store.search("backoff", include_archived=True)) == 2
    assert fts_query('a "b" c*') == '"a" "b" "c"*'


def test_merge_records_sources_and_is_idempotent(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    branches = []
    for n in range(3):
        fork = store.fork(thread_id, title=f"branch {n}")
        store.append(fork.id, "user", f"follow-up {n}")
        store.append(fork.id, "assistant", f"finding {n}")
        branches.append(fork.id)
    text = concatenate_branches(store, branches)
    assert "## branch 1" in text and "finding 2" in text and "answer 0" not in text

    reduced = store.merge(thread_id, branches, text, kind="reduce")
    again = store.merge(thread_id, list(reversed(branches)), text, kind="reduce")
    assert again.id == reduced.id
    assert store.history(thread_id)[-1].id == reduced.id
    assert [s.source_thread_id for s in store.sources(reduced.id)] == branches
    assert {s.kind for s in store.sources(reduced.id)} == {"reduce"}
    assert store.merged_message_ids([reduced.id, store.history(thread_id)[0].id]) == {reduced.id}
    # A branch that moved on merges again, as a new message.
    store.append(branches[0], "user", "more")
    assert store.merge(thread_id, [branches[0]], "delta", kind="merge").id != reduced.id
    with pytest.raises(StoreError, match="itself"):
        store.merge(thread_id, [thread_id], "x")
    # Sources keep the branches alive after their threads are deleted.
    for branch in branches:
        store.delete_thread(branch)
    assert store.message(store.sources(reduced.id)[1].source_head_id).content == "finding 1"


def test_family_lists_forks_under_their_parent(store: ThreadStore) -> None:
    root = conversation(store, turns=1, title="root")
    a = store.fork(root, title="a")
    b = store.fork(root, title="b")
    a1 = store.fork(a.id, title="a1")
    family = [(member.thread.title, member.level) for member in store.family(a1.id)]
    assert family == [("root", 0), ("a", 1), ("a1", 2), ("b", 1)]
    assert store.branch_delta(a1.id) == []


def test_find_thread_by_prefix_or_title(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=0, title="unique title")
    assert store.find_thread(thread_id[:-2].lower()).id == thread_id
    assert store.find_thread("unique title").id == thread_id
    conversation(store, turns=0, title="other")
    with pytest.raises(UnknownThread, match="matches 2"):
        store.find_thread(thread_id[:2])
    with pytest.raises(UnknownThread, match="loupe thread list"):
        store.find_thread("nope")


def test_rename_archive_and_list(store: ThreadStore) -> None:
    first = conversation(store, turns=0, title="first")
    second = conversation(store, turns=0, title="second")
    store.rename(first, "renamed")
    # Most recent activity first; a rename is not activity.
    assert [t.title for t in store.list_threads()] == ["second", "renamed"]
    store.archive(first)
    assert [t.id for t in store.list_threads()] == [second]
    assert len(store.list_threads(include_archived=True)) == 2
    with pytest.raises(UnknownThread):
        store.rename("missing", "x")


def test_snapshot_is_recorded_once(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    answer = store.history(thread_id)[-1]
    assert store.set_snapshot(answer.id, "a" * 40).snapshot == "a" * 40
    with pytest.raises(MessageFinished, match="snapshot"):
        store.set_snapshot(answer.id, "b" * 40)


def test_a_thread_with_a_new_root_and_set_head(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    first_head = store.thread(thread_id).head_id
    new_root = store.append(thread_id, "user", "fresh start", parent_id=None)
    assert (new_root.parent_id, new_root.depth) == (None, 0)
    assert store.set_head(thread_id, first_head).head_id == first_head


def test_export_to_markdown(store: ThreadStore) -> None:
    from tui.threads.export import to_markdown

    thread_id = conversation(store, turns=1, title="Export me")
    store.append(thread_id, "user", "run it")
    call = {"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}}
    store.append(thread_id, "assistant", "", tool_calls=[call], usage=Usage(5, 7))
    store.append(thread_id, "tool", "a.txt\n```\nb.txt", tool_call_id="call_1")
    reply = store.start_reply(thread_id, model="m", endpoint="e")
    store.finish(reply.id, Status.CANCELLED, content="partial")
    text = to_markdown(store.thread(thread_id), store.history(thread_id))
    assert text.startswith("# Export me\n")
    assert "## Assistant · 5 in, 7 out" in text
    assert "Tool call `shell` (`call_1`)" in text and '"command": [' in text
    assert "````\na.txt\n```\nb.txt\n````" in text
    assert text.rstrip().endswith("partial\n\n_cancelled_")


def test_edited_first_messages_are_root_siblings_across_the_fork_family(store: ThreadStore) -> None:
    thread = store.create_thread("no system prompt")
    first = store.append(thread.id, "user", "first question")
    store.append(thread.id, "assistant", "first answer")
    fork = store.fork(thread.id, title="fork")
    edited = store.edit(thread.id, first.id, "better first question")
    in_fork = store.edit(fork.id, first.id, "the fork's first question")
    assert [m.id for m in store.siblings(first.id)] == [first.id, edited.id, in_fork.id]
    positions = store.sibling_positions([first.id, edited.id])
    assert (positions[edited.id].index, positions[edited.id].count) == (2, 3)
    assert positions[edited.id].previous_id == first.id
    # An unrelated thread's root is not a sibling.
    other = store.create_thread("other")
    lone = store.append(other.id, "user", "unrelated")
    assert store.sibling_positions([lone.id])[lone.id].count == 1
    store.switch_branch(thread.id, first.id)
    assert [m.content for m in store.history(thread.id)] == ["first question", "first answer"]


def test_loaded_messages_equal_constructed_ones(store: ThreadStore) -> None:
    from dataclasses import fields

    from tui.threads.model import Message

    thread_id = conversation(store, turns=1)
    loaded = store.history(thread_id)[-1]
    rebuilt = Message(**{f.name: getattr(loaded, f.name) for f in fields(Message)})
    assert loaded == rebuilt and repr(loaded) == repr(rebuilt)
    assert set(vars(loaded)) == {f.name for f in fields(Message)}
    with pytest.raises(AttributeError):
        loaded.content = "changed"  # type: ignore[misc]


def test_search_points_to_a_surviving_thread_when_the_writer_is_gone(store: ThreadStore) -> None:
    thread_id = conversation(store, turns=1)
    fork = store.fork(thread_id, title="writer")
    written = store.append(fork.id, "user", "a remarkable sentence")
    keeper = store.fork(fork.id, written.id, title="keeper")
    assert [h.thread_ids for h in store.search("remarkable")] == [[fork.id, keeper.id]]
    store.delete_thread(fork.id)
    assert [h.thread_ids for h in store.search("remarkable")] == [[keeper.id]]


def test_a_closed_store_says_so_and_closes_once(tmp_path: Path) -> None:
    store = ThreadStore(tmp_path / "threads.sqlite")
    store.create_thread("kept")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.list_threads()
    with ThreadStore(tmp_path / "threads.sqlite") as again:
        assert [t.title for t in again.list_threads()] == ["kept"]


def test_a_fork_made_mid_thread_never_switches_to_the_parents_continuation(store: ThreadStore) -> None:
    # sys, q0, a0, q1, a1: a fork at a0 asks something else. The parent's q1 is not one of
    # the fork's alternatives (← on the fork's question would show the parent's branch).
    parent = conversation(store, turns=2)
    history = store.history(parent)
    fork = store.fork(parent, history[2].id, title="side")
    own = store.append(fork.id, "user", "a different follow-up")
    assert store.sibling_positions([own.id], thread_id=fork.id)[own.id].count == 1
    assert store.sibling_positions([history[3].id], thread_id=parent)[history[3].id].count == 1
    # Its own edit is its sibling; switching back stays in the fork.
    edit = store.edit(fork.id, own.id, "asked again")
    seen = store.sibling_positions([own.id, edit.id], thread_id=fork.id)
    assert (seen[own.id].count, seen[edit.id].index, seen[edit.id].previous_id) == (2, 2, own.id)
    assert store.switch_branch(fork.id, own.id).head_id == own.id
    # A fork at a question: its own answer is not paired with the parent's.
    at_question = store.fork(parent, history[3].id, title="answer it again")
    answer = store.append(at_question.id, "assistant", "the fork's answer")
    assert store.sibling_positions([answer.id], thread_id=at_question.id)[answer.id].count == 1
    # A fork of the fork inherits that: the grandparent's continuation stays out too.
    deeper = store.fork(fork.id, edit.id, title="deeper")
    seen = store.sibling_positions([edit.id], thread_id=deeper.id)
    assert (seen[edit.id].count, seen[edit.id].index) == (2, 2)
    below = store.fork(at_question.id, answer.id, title="below")
    assert store.sibling_positions([answer.id], thread_id=below.id)[answer.id].count == 1


def test_a_thread_without_a_title_takes_its_first_questions(store: ThreadStore) -> None:
    untitled = store.create_thread(system="You review designs.")
    assert store.thread(untitled.id).title == ""
    store.append(untitled.id, "user", "\n  How do   forks work?  \nAnd the rest of the question.")
    store.append(untitled.id, "assistant", "They share history.")
    store.append(untitled.id, "user", "A second question")
    assert store.thread(untitled.id).title == "How do forks work?"
    titled = store.create_thread("chosen")
    store.append(titled.id, "user", "not a title")
    assert store.thread(titled.id).title == "chosen"
    long = store.create_thread()
    store.append(long.id, "user", "word " * 30)
    title = store.thread(long.id).title
    assert len(title) <= 60 and title.endswith("word…") and "  " not in title


def test_a_reduce_names_its_sources_by_the_questions_they_asked(store: ThreadStore) -> None:
    from tui.threads.provenance import source_questions

    parent = conversation(store, turns=1)
    answer = store.history(parent)[-1]
    forks = [store.fork(parent, answer.id, title=f"design ⑂ same context · {n}") for n in range(3)]
    for n, fork in enumerate(forks[:2]):
        store.append(fork.id, "user", f"What about\n option {n}?")
        store.append(fork.id, "assistant", f"Option {n} is fine.")
    store.append(parent, "user", "meanwhile, in the parent")
    merged = store.merge(parent, [f.id for f in forks], "all three", kind="reduce", role="assistant")
    store.delete_thread(forks[2].id)
    assert source_questions(store, merged.id) == ["What about option 0?", "What about option 1?",
                                                  forks[2].id[:8]]


def test_a_message_shared_by_four_threads_is_found_once_with_all_of_them(store: ThreadStore) -> None:
    parent = conversation(store, turns=0, title="parent")
    shared = store.append(parent, "user", "the ospreys question everyone forked from")
    forks = [store.fork(parent, shared.id, title=f"fork {n}") for n in range(3)]
    for n, fork in enumerate(forks):
        store.append(fork.id, "assistant", f"answer {n}")
    elsewhere = conversation(store, turns=0, title="unrelated")
    store.append(elsewhere, "user", "nothing shared here")
    hits = store.search("ospreys")
    assert [h.message.id for h in hits] == [shared.id]
    assert hits[0].thread_ids == [parent, *(f.id for f in forks)]
    # Archived threads drop out of the list; the message stays findable through the others.
    store.archive(parent)
    store.archive(forks[0].id)
    assert [h.thread_ids for h in store.search("ospreys")] == [[forks[1].id, forks[2].id]]
    assert store.search("ospreys", include_archived=True)[0].thread_ids[0] == parent
