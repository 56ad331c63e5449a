"""When a tick of the session monitor makes a task's timeline out of date (`timeline_stale`).

A session's diff size arrives every few seconds, and only for sessions in view: the first
size reported may already include an artifact the session rewrote after the timeline was
built. Taking it as the baseline left that writer off the timeline until something else
changed (seen on a busy machine: tests/test_task_view_ui.py, the writer that shows up while
the session still works)."""

from __future__ import annotations

from tui.sessions.diff import DiffStat
from tui.views.task_view import timeline_stale

BEFORE = DiffStat(files=0, added=0, removed=0)
AFTER = DiffStat(files=1, added=2, removed=0)


def test_a_diff_size_seen_for_the_first_time_rebuilds() -> None:
    assert timeline_stale({"s1": "working"}, {}, {"s1": "working"}, {"s1": AFTER})


def test_the_same_diff_size_again_does_not() -> None:
    assert not timeline_stale({"s1": "working"}, {"s1": AFTER}, {"s1": "working"}, {"s1": AFTER})


def test_a_diff_that_grew_does() -> None:
    assert timeline_stale({"s1": "working"}, {"s1": BEFORE}, {"s1": "working"}, {"s1": AFTER})


def test_a_tick_without_sizes_rebuilds_only_on_a_new_state_or_a_session_gone() -> None:
    assert not timeline_stale({"s1": "working"}, {"s1": BEFORE}, {"s1": "working"}, {})
    assert timeline_stale({"s1": "working"}, {}, {"s1": "waiting"}, {})
    assert timeline_stale({"s1": "working"}, {}, {}, {})
    assert not timeline_stale({"s1": "removed"}, {}, {}, {})
