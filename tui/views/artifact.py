"""One open markdown artifact: loaded and parsed off the UI loop, followed live, read-tracked.

The pane (`widgets.artifact_pane`) shows; this view feeds it. On every change on disk it
reparses in a worker thread, diffs the blocks against what is shown (so the reader keeps
their place and only changed blocks are re-rendered) and against the version last read (the
gutter marks). It answers the pane's requests: the editor (`e`), the diff since last read
(`d`), and links.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.worker import get_current_worker

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.events import SessionsUpdated

from tui.docs.block_diff import BlockDiff, diff_blocks
from tui.docs.blocks import MarkdownDoc, head_of, split_blocks
from tui.docs.links import resolve_link
from tui.docs.loader import DocumentError, DocumentMissing, LoadedText, load_text, stamp_of
from tui.messages import LeavingPlace, OpenPath, RunPhase
from tui.relative_time import relative_time
from tui.views.artifact_review import DocumentReviewer
from tui.views.browser import open_web_link
from tui.views.editing import edit_file
from tui.views.follow import FileFollower
from widgets.artifact_pane import ArtifactPane
from widgets.artifact_view import ArtifactView

if TYPE_CHECKING:
    from tui.views.artifact_review import Placed
    from widgets.diff_view import DiffLines


# A first load of a text longer than this paints its head first (`head_of`): splitting the
# whole of a 3,000-line plan delays its first screen by ~60 ms of CPU.
HEAD_FIRST_CHARS = 16_000
# At most this long (seconds) the rest of a document waits for its head to be painted.
HEAD_PAINT_WAIT = 1.0


@dataclass
class _Loaded:
    loaded: LoadedText
    doc: MarkdownDoc
    diff: BlockDiff | None
    # Against the last-read version (None: nothing to mark).
    since_read: BlockDiff | None
    # Review comments placed in this version (None: placed after it is shown).
    review: Placed | None = None


@dataclass
class _Failed:
    error: DocumentError


class ArtifactDocument(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    ArtifactDocument {
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("p", "run_phase", "Phase", id="artifact.run_phase"),
    ]

    def __init__(self, path: Path, *, anchor: str = "", line: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.doc: MarkdownDoc | None = None
        self.text: str | None = None
        self.deleted = False
        self._stamp: tuple[int, int, int] | None = None
        self._goto: tuple[str, int | None] | None = (anchor, line) if (anchor or line) else None
        # The last-read version, parsed once (marks are diffs against it).
        self._read_text: str | None = None
        self._read_doc: MarkdownDoc | None = None
        # The text shown when the reader opened their editor, until it is reloaded.
        self._editing: str | None = None

    def compose(self) -> ComposeResult:
        services = self.app.services
        self.workspace = services.workspace
        self.settings = services.config.docs
        self.snapshots = services.snapshots
        self._pane = ArtifactPane(
            self.path.name,
            max_width=self.settings.max_width,
            seen_seconds=self.settings.read_after_seconds,
            # The app's clock, so a test (or a snapshot) decides when time on screen passes.
            clock=self.app.clock,
        )
        self.follower = FileFollower(self.path, self._load, self._apply, poll_seconds=self.settings.poll_seconds)
        self.reviewer = DocumentReviewer(self.path, self._pane)
        yield self._pane
        yield self.follower
        yield self.reviewer

    @property
    def pane(self) -> ArtifactPane:
        return self._pane

    def on_mount(self) -> None:
        self.follower.start()
        self.app.channel.subscribe(self, SessionsUpdated)

    @on(received(SessionsUpdated))
    def _sessions_updated(self, message: Received[SessionsUpdated]) -> None:
        # Two live sessions set to write this file would overwrite each other's work.
        from tui.phases.contested import same_folder

        writers = sorted(s.session.number for s in message.event.snapshots
                         if s.live and s.session.output == self.path.name
                         and same_folder(s.session.task_dir, self.path.parent))
        self.pane.set_contested(f"contested by sessions {', '.join(map(str, writers))}"
                                if len(writers) > 1 else "")

    def action_run_phase(self) -> None:
        """The next phase of the task this artifact belongs to."""
        self.post_message(RunPhase(self.path))

    def focus_document(self) -> bool:
        """Focus the reading view; False if it is not composed yet (the caller tries again)."""
        panes = self.query(ArtifactPane)
        return bool(panes) and panes.first().focus_document()

    def document_commands(self) -> list[tuple[str, str, object]]:
        return [*self.pane.document_commands(),
                ("Phases: run the next phase of this document's task",
                 "Shows the exact prompt first, then starts its session (p)", self.action_run_phase)]

    def go_to(self, anchor: str = "", line: int | None = None) -> None:
        """Scroll to a heading (by slug) or a source line, now or once loaded."""
        if self.text is None:
            self._goto = (anchor, line)
            return
        view = self.pane.view
        if anchor:
            if not view.scroll_to_slug(anchor):
                self.notify(f"No heading #{anchor} in {self.path.name}.", severity="warning")
        elif line:
            view.scroll_to_block(self.doc.block_at_line(line - 1))

    # ------------------------------------------------------------------ loading (worker thread)

    def _load(self, reason: str) -> _Loaded | _Failed | None:
        stamp = stamp_of(self.path)
        if reason == "poll" and stamp is not None and stamp == self._stamp and not self.deleted:
            return None
        if reason == "poll" and stamp is None and (self.deleted or self.doc is None and self.text is None):
            return None
        try:
            loaded = load_text(self.path, max_bytes=self.settings.max_file_mb * 1_000_000)
        except DocumentError as error:
            return _Failed(error)
        if loaded.text == self.text and not self.deleted:
            self._stamp = loaded.stamp
            return None
        if self.doc is None:
            # A document of more than a few screens: its first screens are split and
            # painted before the rest.
            head = head_of(loaded.text, min_chars=HEAD_FIRST_CHARS)
            if head is not None:
                head_doc = split_blocks(head)
                self._pane.view.prepare(head_doc)
                # Waits until the head is shown: the whole document is then diffed against it,
                # so the reader keeps their place (a message could arrive after the result);
                # and until it is painted, which splitting the rest would otherwise hold up.
                painted = self.app.call_from_thread(self._apply_head, head_doc)
                painted.wait(HEAD_PAINT_WAIT)
        previous = self.doc
        # An agent appending to the file: only the last blocks are split again.
        doc = split_blocks(loaded.text, previous)
        if get_current_worker().is_cancelled:
            return None
        diff = diff_blocks(previous.blocks, doc.blocks) if previous is not None else None
        # Lay out what the reader will see here, so the UI loop only has to paint it.
        self._pane.view.prepare(doc, diff)
        if reason == "edited":
            self._own_edit(loaded.text)
        return _Loaded(loaded, doc, diff, self._changes_since_read(doc), self.reviewer.place(doc))

    def _changes_since_read(self, doc: MarkdownDoc) -> BlockDiff | None:
        read_text = self.snapshots.last_read_text(self.path)
        if read_text is None:
            return None
        if read_text == doc.text:
            self._read_text = read_text
            return None
        if read_text != self._read_text or self._read_doc is None:
            self._read_doc = split_blocks(read_text)
            self._read_text = read_text
        return diff_blocks(self._read_doc.blocks, doc.blocks)

    def _own_edit(self, text: str) -> None:
        """The reader's own edit (`e`) is read: where they had read all before editing, the
        edited text becomes the read version (the task list's mark does not light up)."""
        before, self._editing = self._editing, None
        if before is not None and before != text and self.snapshots.last_read_text(self.path) == before:
            self.snapshots.mark_read(self.path, text)

    # ------------------------------------------------------------------ applying (UI loop)

    def _apply_head(self, head: MarkdownDoc) -> threading.Event:
        painted = threading.Event()
        if self.doc is None and self.is_mounted:
            self.doc = head
            self.pane.show_document(head)
            self.pane.set_status("loading…")
            self.call_after_refresh(painted.set)
        else:
            painted.set()
        return painted

    def _apply(self, result: _Loaded | _Failed | None) -> None:
        if result is None or not self.is_mounted:
            return
        pane = self.pane
        if isinstance(result, _Failed):
            self._stamp = None
            if isinstance(result.error, DocumentMissing) and self.doc is not None:
                self.deleted = True
                pane.set_status("deleted on disk")
                self.reviewer.refresh_review(None)
                pane.set_notice(
                    f"{self.path.name} was deleted on disk. Showing the last version; it comes back "
                    "live if the file reappears.",
                    "warning",
                )
            else:
                pane.set_status("cannot show")
                pane.set_notice(str(result.error), "error")
            return
        first = self.text is None
        self.deleted = False
        self.doc = result.doc
        self.text = result.loaded.text
        self._stamp = result.loaded.stamp
        pane.set_notice(result.loaded.notice, "warning")
        pane.show_document(result.doc, result.diff)
        marks = result.since_read
        if marks is None:
            pane.set_marks(())
        else:
            pane.set_marks(sorted(marks.changed), sorted(marks.removed_before), sorted(marks.moved), marks.changed_lines)
        pane.set_status("live")
        # Comments are placed again in every version shown: rewritten text moves them.
        self.reviewer.shown(result.doc, result.review)
        if first and self._goto is not None:
            anchor, line = self._goto
            self._goto = None
            self.call_after_refresh(self.go_to, anchor, line)

    # ------------------------------------------------------------------ read tracking

    def on_artifact_view_marks_read(self, message: ArtifactView.MarksRead) -> None:
        message.stop()
        self._mark_read()

    def on_artifact_view_document_seen(self, message: ArtifactView.DocumentSeen) -> None:
        message.stop()
        if not self.pane.view.marked_blocks and self.text is not None and self._read_text != self.text:
            self._mark_read()

    def _mark_read(self) -> None:
        text = self.text
        if text is None:
            return

        def save() -> None:
            self.snapshots.mark_read(self.path, text)
            self.call_later(self._marked_read, text)

        self.run_worker(save, thread=True, group="artifact-read", exit_on_error=False)

    def _marked_read(self, text: str) -> None:
        self._read_text = text
        self._read_doc = None
        self.pane.view.reset_read()
        if not self.deleted:
            self.pane.set_status("live")

    # ------------------------------------------------------------------ requests from the pane

    def on_artifact_pane_changes_requested(self, message: ArtifactPane.ChangesRequested) -> None:
        message.stop()
        self.run_worker(self._changes, thread=True, group="artifact-changes", exclusive=True, exit_on_error=False)

    def _changes(self) -> None:
        from tui.diffs import diff_texts

        record = self.snapshots.last_read(self.path)
        read_text = self.snapshots.last_read_text(self.path)
        current = self.text or ""
        try:
            shown = str(self.path.relative_to(self.workspace.root))
        except ValueError:
            shown = str(self.path)
        summary = ""
        if record is None or read_text is None:
            diffs, empty = [], "You have not read this document before, so there is nothing to compare with."
            summary = "not read before"
        else:
            diff = diff_texts(read_text, current, shown)
            diffs = [] if diff.unchanged else [diff]
            empty = f"No changes since you last read it ({relative_time(record.time, time.time(), ago=True)})."
        self.call_later(self.pane.show_changes, diffs, empty, summary)

    def on_artifact_pane_review_requested(self, message: ArtifactPane.ReviewRequested) -> None:
        message.stop()
        self.reviewer.request(message.action)

    def on_artifact_view_copy_requested(self, message: ArtifactView.CopyRequested) -> None:
        message.stop()
        self.app.copy_text(message.text)

    def on_diff_lines_copy_requested(self, message: DiffLines.CopyRequested) -> None:
        # `y` in the changes view (`d`): its lines are copied as in the file.
        message.stop()
        self.app.copy_text(message.text)

    def on_artifact_pane_edit_requested(self, message: ArtifactPane.EditRequested) -> None:
        message.stop()
        # The editor opens where the reader is: at the first line of the block on top.
        view = self.pane.view
        line = view.doc.blocks[view.anchor[0]].start + 1 if view.doc is not None and view.doc.blocks else None
        self._editing = self.text
        edit_file(self, self.path, self.workspace.config.general.editor, lambda: self.follower.request("edited"), line)

    def top_line(self) -> int | None:
        """The source line (1-based) of the block at the top of the view; None before loading."""
        view = self.pane.view
        if view.doc is None or not view.doc.blocks:
            return None
        return view.doc.blocks[view.anchor[0]].start + 1

    def on_artifact_view_link_activated(self, message: ArtifactView.LinkActivated) -> None:
        message.stop()
        target = resolve_link(message.href, self.path, self.workspace.root)
        here = LeavingPlace(self.path, self.top_line())
        if target.kind == "url":
            open_web_link(self, target.url)
        elif target.kind == "anchor":
            if self.pane.view.scroll_to_slug(target.anchor):
                self.post_message(here)
            else:
                self.notify(f"No heading #{target.anchor} in {self.path.name}.", severity="warning")
        elif target.kind == "file" and target.path is not None:
            if target.path == self.path:
                self.post_message(here)
                self.go_to(target.anchor, target.line)
            elif not target.path.exists():
                self.notify(f"{message.href}: no such file ({target.path}).", severity="warning")
            else:
                self.post_message(here)
                self.post_message(OpenPath(target.path, target.line, anchor=target.anchor))
        else:
            self.notify(f"{message.href}: {target.reason}", severity="warning")
