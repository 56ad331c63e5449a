"""The artifact pane: header, notices, table of contents, the reading view, search, changes
and review comments.

It arranges `ArtifactView`, `DiffView` and `ReviewBar` and handles the reader's keys. It does
no I/O: its owner (`tui.views.artifact`) loads files, watches them and answers the requests
it posts (`EditRequested`, `ChangesRequested`, `ReviewRequested`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Spacing
from textual.message import Message
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.visual import Padding
from textual.widgets.option_list import Option

from tui.docs.block_diff import BlockDiff
from tui.docs.blocks import MarkdownDoc
from widgets.artifact_review_bar import ReviewBar, ReviewMarks
from widgets.artifact_view import ArtifactView
from widgets.doc_chrome import DocHeader, Notice
from widgets.plain_text import plain_text, with_data
from widgets.focus import FormInput, focus_now

if TYPE_CHECKING:
    from tui.diffs import FileDiff


class ArtifactPane(Vertical):
    DEFAULT_CSS = """
    ArtifactPane {
        height: 1fr;
    }
    ArtifactPane #artifact-body {
        height: 1fr;
    }
    ArtifactPane #artifact-toc {
        display: none;
        height: 1fr;
        width: 34;
        max-width: 40%;
        border: none;
        border-right: vkey $panel;
        background: $surface;
    }
    ArtifactPane #artifact-toc.-shown {
        display: block;
    }
    ArtifactPane #artifact-switcher {
        width: 1fr;
    }
    ArtifactPane #artifact-search {
        display: none;
        height: 1;
        background: $panel;
    }
    ArtifactPane #artifact-search.-shown {
        display: block;
    }
    ArtifactPane #artifact-search Input {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0 1;
        background: $panel;
    }
    ArtifactPane #artifact-search-count {
        width: auto;
        min-width: 12;
        padding: 0 1;
        color: $text-muted;
        text-align: right;
    }
    """

    BINDINGS = [
        Binding("slash", "search", "Search", id="artifact.search"),
        Binding("t", "toggle_toc", "Contents", id="artifact.toc"),
        Binding("d", "toggle_changes", "Changes", id="artifact.changes"),
        Binding("e", "edit", "Edit", id="artifact.edit"),
        Binding("escape", "back", "Back", show=False, id="artifact.back"),
        Binding("c", "review('comment')", "Comment", id="artifact.comment"),
        Binding("C", "review('section')", "Comment section", show=False, id="artifact.comment_section"),
        Binding("a", "review('answer')", "Answer", show=False, id="artifact.answer"),
        Binding("r", "review('submit')", "Submit review", id="artifact.submit_review"),
        Binding("m", "review('comments')", "Comments", show=False, id="artifact.comments"),
        Binding("E", "review('edit')", "Edit comment", show=False, id="artifact.edit_comment"),
        Binding("x,delete", "review('delete')", "Delete comment", show=False, id="artifact.delete_comment"),
        Binding("right_square_bracket", "next_comment(1)", "Next comment", show=False, id="artifact.next_comment"),
        Binding("left_square_bracket", "next_comment(-1)", "Previous comment", show=False,
                id="artifact.previous_comment"),
    ]

    class EditRequested(Message):
        """The reader wants the file in their editor."""

    class ChangesRequested(Message):
        """The reader wants the changes since they last read the document."""

    class ReviewRequested(Message):
        """The reader wants to comment ("comment": on the selection, else the block they are
        at; "section": its section), to "answer" one of the document's questions, to
        "submit" the draft round, to see every comment ("comments"), to "edit" or "delete"
        the draft comment they are at, or to "discard" the draft round."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def __init__(
        self,
        title: str,
        *,
        max_width: int = 100,
        seen_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self.status = "loading…"
        # "contested by sessions 1, 2": two live sessions are set to write this file.
        self.contested = ""
        # Created here, not in compose, so the owner can reach it before mounting.
        self._view = ArtifactView(
            id="artifact-view",
            max_width=max_width,
            seen_seconds=seen_seconds,
            clock=clock,
            placeholder="This document is empty.",
        )
        self._toc_for: MarkdownDoc | None = None
        self.review = ReviewMarks()

    def compose(self) -> ComposeResult:
        yield DocHeader(plain_text(self.title), id="artifact-header")
        yield Notice(id="artifact-notice")
        with Horizontal(id="artifact-body"):
            # The contents, the changes view and the search field are mounted when first
            # used: a pane that is only read opens faster.
            with ContentSwitcher(initial="artifact-view", id="artifact-switcher"):
                yield self._view
        yield ReviewBar(id="artifact-review")
        yield Horizontal(id="artifact-search")

    @property
    def view(self) -> ArtifactView:
        return self._view

    @property
    def showing_changes(self) -> bool:
        return self.query_one(ContentSwitcher).current == "artifact-changes"

    @property
    def toc_shown(self) -> bool:
        return bool(self.query("#artifact-toc.-shown"))

    def on_mount(self) -> None:
        self._refresh_header()
        self.watch(self._view, "scroll_y", self._sync_review_bar, init=False)

    def focus_document(self) -> bool:
        """Focus what the pane shows; False if it is not mounted yet (the caller tries again)."""
        if not self._view.is_mounted:
            return False
        if self.showing_changes:
            from widgets.diff_view import DiffView

            self.query_one(DiffView).focus_lines()
        else:
            self.view.focus()
        return True

    # ------------------------------------------------------------------ content

    def show_document(self, doc: MarkdownDoc, diff: BlockDiff | None = None) -> None:
        self.view.show_document(doc, diff)
        if self.toc_shown:
            self._build_toc()
        self._refresh_header()

    def set_marks(
        self,
        changed: Sequence[int],
        removed_before: Sequence[int] = (),
        moved: Sequence[int] = (),
        changed_lines: Mapping[int, frozenset[int]] | None = None,
    ) -> None:
        self.view.set_marks(changed, removed_before, moved, changed_lines)
        self._refresh_header()

    def set_status(self, status: str) -> None:
        self.status = status
        self._refresh_header()

    def set_contested(self, text: str) -> None:
        if text != self.contested:
            self.contested = text
            self._refresh_header()

    def set_notice(self, text: str | None, severity: str = "warning") -> None:
        self.query_one(Notice).say(text, severity)

    @property
    def notice(self) -> str:
        return self.query_one(Notice).message

    async def show_changes(self, diffs: Sequence[FileDiff], empty_message: str, summary: str = "") -> None:
        """Show `diffs` (or `empty_message`); `summary` for the header, where "no changes"
        would be wrong (a document never read has nothing to compare with)."""
        # Imported with the first diff shown: a document's first screen has none.
        from widgets.diff_view import DiffView, diff_summary

        if not self.query(DiffView):
            await self.query_one(ContentSwitcher).mount(DiffView(id="artifact-changes"))
        changes = self.query_one(DiffView)
        changes.show(diffs, empty_message=empty_message)
        self.query_one(ContentSwitcher).current = "artifact-changes"
        changes.focus_lines()
        self._refresh_header(changes=summary or (diff_summary(diffs) if diffs else "no changes"))

    def _refresh_header(self, changes: str | None = None) -> None:
        if not self.is_mounted:
            return
        # The title is a file's name and the status may quote an error: plain text.
        parts = [plain_text(self.title, "bold")]
        if self.status:
            parts.append(plain_text(self.status))
        if self.contested:
            parts.append(plain_text(f"⚠ {self.contested}", "bold $text-warning"))
        if changes is not None:
            parts.append(with_data("changes since last read: $changes [dim](d: back)[/dim]", changes=changes))
        else:
            if self.review.summary:
                parts.append(plain_text(f"review: {self.review.summary}"))
            marked = self.view.marked_count
            if marked:
                parts.append(Content.from_markup(f"[$loupe-changed]▌ {marked} changed since last read[/] [dim](d: diff)[/dim]"))
            current, total = self.view.match_status
            if self.view.query:
                parts.append(Content("searching…" if self.view.searching else f"search {current}/{total}"))
        self.query_one(DocHeader).show(Content(" · ").join(parts))

    # ------------------------------------------------------------------ review

    def show_review(self, marks: ReviewMarks) -> None:
        """The comments on the document as shown now (from the owner)."""
        self.review = marks
        self.view.set_notes(marks.notes)
        self._sync_review_bar()
        self._refresh_header()

    def _sync_review_bar(self) -> None:
        if self.is_mounted:
            self.query_one(ReviewBar).show_for(self.review, self.view.visible_blocks(), self.view.focus_row()[0])

    def action_review(self, action: str) -> None:
        if self.view.doc is None:
            raise SkipAction()
        self.post_message(self.ReviewRequested(action))

    def action_next_comment(self, step: int) -> None:
        noted = self.view.noted_blocks
        here = self.view.focus_row()[0]
        ahead = [b for b in noted if (b > here if step > 0 else b < here)]
        if not ahead:
            self.notify("No more comments this way.", timeout=2)
            return
        self.view.selection.clear()
        self.view.scroll_to_block(ahead[0] if step > 0 else ahead[-1], center=True)
        self._sync_review_bar()

    @on(ArtifactView.SelectionChanged)
    def _selection_changed(self, event: ArtifactView.SelectionChanged) -> None:
        event.stop()
        self._sync_review_bar()

    # ------------------------------------------------------------------ table of contents

    def _build_toc(self) -> None:
        doc = self.view.doc
        if not self.query("#artifact-toc"):
            return
        toc = self.query_one("#artifact-toc", OptionList)
        if doc is self._toc_for:
            return
        self._toc_for = doc
        toc.clear_options()
        if doc is None:
            return
        headings = doc.headings
        if not headings:
            toc.add_option(Option("(no headings)", disabled=True))
            return
        top = min(block.level for _, block in headings)
        # Content, not markup: a heading may well contain [brackets]. Padding, not leading
        # spaces, so the rows of a title that wraps stay indented under its first.
        toc.add_options(
            Option(
                Padding(plain_text(block.title or "(untitled)"), Spacing(0, 0, 0, 2 * (block.level - top))),
                id=str(index),
            )
            for index, block in headings
        )
        self._sync_toc(self.view.current_section())

    def _sync_toc(self, block: int) -> None:
        if not self.toc_shown:
            return
        toc = self.query_one("#artifact-toc", OptionList)
        if toc.has_focus:
            return
        for position in range(toc.option_count):
            if toc.get_option_at_index(position).id == str(block):
                with toc.prevent(OptionList.OptionHighlighted):
                    toc.highlighted = position
                return

    async def action_toggle_toc(self) -> None:
        if not self.query("#artifact-toc"):
            await self.query_one("#artifact-body").mount(OptionList(id="artifact-toc"), before=0)
        toc = self.query_one("#artifact-toc", OptionList)
        if self.toc_shown:
            toc.remove_class("-shown")
            self.focus_document()
            return
        toc.add_class("-shown")
        self._build_toc()
        self._sync_toc(self.view.current_section())
        focus_now(toc)

    @on(OptionList.OptionSelected, "#artifact-toc")
    def _toc_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.view.scroll_to_block(int(event.option.id))
            self.view.focus()

    @on(ArtifactView.SectionChanged)
    def _section_changed(self, event: ArtifactView.SectionChanged) -> None:
        event.stop()
        self._sync_toc(event.block)

    # ------------------------------------------------------------------ search

    async def action_search(self) -> None:
        bar = self.query_one("#artifact-search")
        if not bar.children:
            await bar.mount_all(
                [
                    FormInput(
                        placeholder="Search this document (enter: keep, esc: clear)",
                        id="artifact-search-input",
                        then=lambda: self.view,
                    ),
                    Static("", id="artifact-search-count"),
                ]
            )
        bar.add_class("-shown")
        field = self.query_one("#artifact-search-input", Input)
        field.value = self.view.query
        # At once: the keys typed after `/` go to the field (they are often queued already).
        focus_now(field)
        field.select_all()  # typing replaces the last search; arrows keep it

    @on(Input.Changed, "#artifact-search-input")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value:
            self.view.search(event.value)
        else:
            self.view.clear_search()

    @on(Input.Submitted, "#artifact-search-input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#artifact-search").remove_class("-shown")
        self.view.focus()

    @on(ArtifactView.SearchUpdated)
    def _search_updated(self, event: ArtifactView.SearchUpdated) -> None:
        event.stop()
        current, total = self.view.match_status
        if not self.view.query:
            count = ""
        elif self.view.searching:
            count = "searching…"
        else:
            count = f"{current}/{total}" if total else "no matches"
        for counter in self.query("#artifact-search-count").results(Static):
            counter.update(count)
        self._refresh_header()

    # ------------------------------------------------------------------ other keys

    async def action_toggle_changes(self) -> None:
        if self.showing_changes:
            self.query_one(ContentSwitcher).current = "artifact-view"
            self.view.focus()
            self._refresh_header()
            return
        self.post_message(self.ChangesRequested())

    def action_edit(self) -> None:
        self.post_message(self.EditRequested())

    async def action_back(self) -> None:
        search = self.query_one("#artifact-search")
        if search.has_class("-shown"):
            search.remove_class("-shown")
            self.view.clear_search()
            self.view.focus()
        elif self.showing_changes:
            await self.action_toggle_changes()
        elif self.toc_shown:
            await self.action_toggle_toc()
        else:
            raise SkipAction()

    def on_artifact_view_marks_read(self) -> None:
        self._refresh_header()

    def document_commands(self) -> list[tuple[str, str, object]]:
        """Palette commands for this pane (offered while it is the active tab)."""
        return [
            ("Document: table of contents", "Show or hide the headings of this document (t)", self.action_toggle_toc),
            ("Document: search", "Find text in this document (/, then n and N)", self.action_search),
            ("Document: changes since last read", "Diff against the version you last read (d)", self.action_toggle_changes),
            ("Document: open in editor", "Edit the file in $EDITOR and come back here (e)", self.action_edit),
            ("Document: select lines", "Select lines with the arrows, then y copies, c comments (v)",
             self.view.action_select_lines),
            ("Review: comment", "Comment on the selection, or on the paragraph you are at (c)",
             lambda: self.action_review("comment")),
            ("Review: comment on the section", "Comment on the whole section you are in (C)",
             lambda: self.action_review("section")),
            ("Review: answer a question", "Answer one of the document's open questions (a)",
             lambda: self.action_review("answer")),
            ("Review: submit the round", "Send the draft round with a verdict to the agent (r)",
             lambda: self.action_review("submit")),
            ("Review: every comment", "List the comments on this document and their status (m)",
             lambda: self.action_review("comments")),
            ("Review: edit a comment", "Change the text of the draft comment you are at (E)",
             lambda: self.action_review("edit")),
            ("Review: delete a comment", "Delete the draft comment you are at, once confirmed (x)",
             lambda: self.action_review("delete")),
            ("Review: discard the draft round", "Delete every comment not sent yet on this document, once confirmed",
             lambda: self.action_review("discard")),
        ]
