"""Change marks on their own: no screen, time from a clock the test moves."""

from __future__ import annotations

from tests.helpers import ManualClock
from widgets.artifact_marks import ChangeMarks, Seen


def test_a_mark_goes_once_its_block_was_on_screen_long_enough() -> None:
    clock = ManualClock(100.0)
    marks = ChangeMarks(2.0, clock)
    marks.mark(changed=[1, 2], removed_before=[3])
    assert marks.kind(1, 0, 3) == "changed" and marks.kind(1, 2, 3) == ""  # not its blank line
    assert marks.kind(3, 0, 3) == "removed" and marks.kind(3, 1, 3) == ""
    assert marks.tick(visible=[1, 3]) == Seen()
    clock.now += 1.9
    assert marks.tick(visible=[1, 3]) == Seen()
    clock.now += 0.1
    assert marks.tick(visible=[1, 3]) == Seen(document=True, marks=True)
    assert 1 not in marks and 3 not in marks and 2 in marks
    # Block 2 only now comes on screen: its own time starts now.
    assert marks.tick(visible=[2]) == Seen()
    clock.now += 2.0
    assert marks.tick(visible=[2]) == Seen(marks=True)
    assert not marks and marks.idle


def test_time_off_screen_does_not_count() -> None:
    clock = ManualClock(100.0)
    marks = ChangeMarks(2.0, clock)
    marks.tick(visible=[])
    clock.now += 1.5
    marks.hide()
    clock.now += 10
    assert marks.tick(visible=[]) == Seen()  # on screen again: counting starts over
    clock.now += 2.0
    assert marks.tick(visible=[]) == Seen(document=True)
    assert marks.idle


def test_read_blocks_stay_unmarked_until_the_read_is_recorded() -> None:
    clock = ManualClock(100.0)
    marks = ChangeMarks(0.0, clock)
    marks.mark(changed=[7], removed_before=[])
    assert marks.tick(visible=[7]) == Seen(document=True, marks=True)
    # The same diff arrives again before the owner saved the read version.
    marks.mark(changed=[7], removed_before=[])
    assert 7 not in marks
    marks.reset_read()
    marks.mark(changed=[7], removed_before=[])
    assert 7 in marks


def test_a_new_version_is_not_seen_yet_and_drops_marks_of_gone_blocks() -> None:
    clock = ManualClock(100.0)
    marks = ChangeMarks(1.0, clock)
    marks.mark(changed=[1, 2], removed_before=[])
    marks.tick(visible=[])
    clock.now += 1.0
    assert marks.tick(visible=[]).document
    marks.new_document({2, 5})
    assert 1 not in marks and 2 in marks and not marks.idle
    assert marks.tick(visible=[]) == Seen()
    clock.now += 1.0
    assert marks.tick(visible=[]) == Seen(document=True)
