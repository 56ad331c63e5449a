"""One chat message: a header line (who, model, status, tokens, siblings, forks) over its body."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.terminal_text import visible
from widgets.chat.incremental_markdown import IncrementalMarkdown

ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}

STATUS_LABELS = {
    "streaming": "writing…",
    "error": "error",
    "cancelled": "cancelled",
    "interrupted": "interrupted",
}


@dataclass(frozen=True)
class MessageInfo:
    """What the chat shows about a message. Views build these from the thread store."""

    id: str
    role: str
    content: str
    # streaming, complete, error, cancelled or interrupted.
    status: str = "complete"
    model: str = ""
    error: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # This message is sibling `sibling_index + 1` of `sibling_count` (edits and regenerations).
    sibling_index: int = 0
    sibling_count: int = 1
    # Why a fork here is refused; empty when forking here is safe.
    fork_blocked: str = ""
    # How many threads contain this message (a shared prefix of forks).
    shared_by: int = 1
    # Titles of threads forked at this message.
    forks: tuple[str, ...] = ()
    # For a reduce (merge) message: titles of the branches it came from, and how.
    sources: tuple[str, ...] = ()
    merge_mode: str = ""
    # Artifacts referenced with @task/artifact that went to the model with this message.
    references: tuple[str, ...] = field(default=())
    # A question at the end of the thread with no reply (e.g. a fork made at a question).
    unanswered: bool = False

    @property
    def has_siblings(self) -> bool:
        return self.sibling_count > 1

    @property
    def can_retry(self) -> bool:
        return self.role == "assistant" and self.status in ("error", "cancelled", "interrupted")


def header_content(info: MessageInfo, *, selected: bool = False) -> Content:
    """The header line, as styled content with clickable sibling arrows."""
    # Model names, titles and errors come from servers and stores: data, shown with visible
    # controls (Content is never markup).
    parts: list[Content | str] = []
    who = ROLE_LABELS.get(info.role, info.role)
    if info.role == "assistant" and info.model:
        who = info.model
    parts.append(Content.styled(visible(who), "bold $primary" if info.role == "user" else "bold $secondary"))
    if info.sources:
        how = "synthesis" if info.merge_mode == "synthesis" else "concatenation"
        parts.append(
            Content.styled(f"  ⇲ merged from {len(info.sources)} branches ({how})", "$accent")
        )
    status = STATUS_LABELS.get(info.status)
    if status:
        style = {"streaming": "$foreground-muted italic", "error": "bold $error"}.get(info.status, "$warning")
        parts.append(Content.styled(f"  {status}", style))
    if info.completion_tokens is not None:
        tokens = f"{info.completion_tokens} tokens"
        if info.prompt_tokens is not None:
            tokens = f"{info.prompt_tokens} in · {info.completion_tokens} out"
        parts.append(Content.styled(f"  {tokens}", "$foreground-muted"))
    if info.shared_by > 1:
        parts.append(Content.styled(f"  shared by {info.shared_by} threads", "$foreground-muted"))
    if info.forks:
        label = "1 fork" if len(info.forks) == 1 else f"{len(info.forks)} forks"
        parts.append(Content.styled(f"  ⑂ {label} here", "$accent"))
    if info.has_siblings:
        switcher = Content.assemble(
            "  ",
            Content.from_markup("[@click=prev_sibling]‹[/]"),
            f" {info.sibling_index + 1}/{info.sibling_count} ",
            Content.from_markup("[@click=next_sibling]›[/]"),
        ).stylize("bold $accent")
        parts.append(switcher)
    if selected and info.fork_blocked:
        parts.append(Content.styled(f"  no fork here: {visible(info.fork_blocked)}", "$foreground-muted italic"))
    return Content.assemble(*parts)


class MessageHeader(Static):
    """The header line; its sibling arrows are clickable."""

    def action_prev_sibling(self) -> None:
        self._sibling(-1)

    def action_next_sibling(self) -> None:
        self._sibling(1)

    def _sibling(self, delta: int) -> None:
        view = self.parent
        if isinstance(view, MessageView):
            view.post_message(MessageView.SiblingClicked(view.info.id, delta))


class MessageView(Vertical):
    """A message in the chat log. Streaming replies grow through `append()`."""

    DEFAULT_CSS = """
    MessageView {
        height: auto;
        padding: 0 1 1 1;
        border-left: blank;
    }
    MessageView.-selected {
        border-left: thick $primary 60%;
        background: $boost;
    }
    MessageView.-user {
        background: $panel 40%;
    }
    MessageView.-user.-selected {
        background: $panel 70%;
    }
    MessageView MessageHeader {
        height: 1;
        margin-bottom: 0;
    }
    MessageView .error-line {
        color: $error;
        height: auto;
    }
    MessageView .sources-line {
        color: $foreground-muted;
        height: auto;
    }
    MessageView.-merge {
        border-left: thick $accent 60%;
    }
    MessageView.-merge.-selected {
        border-left: thick $accent;
    }
    """

    class SiblingClicked(Message):
        """A click on ‹ or › in the header."""

        def __init__(self, message_id: str, delta: int) -> None:
            super().__init__()
            self.message_id = message_id
            self.delta = delta

    def __init__(self, info: MessageInfo) -> None:
        super().__init__(classes=f"-{info.role}")
        self.info = info
        self._selected = False

    @property
    def message_id(self) -> str:
        return self.info.id

    def compose(self) -> ComposeResult:
        yield MessageHeader(header_content(self.info))
        yield IncrementalMarkdown(self.info.content, streaming=self.info.status == "streaming")
        if self.info.sources:
            yield Static(self._sources_text(), classes="sources-line")
        yield Static(self._error_text(), classes="error-line")

    def on_mount(self) -> None:
        self._sync_classes()

    @property
    def body(self) -> IncrementalMarkdown:
        return self.query_one(IncrementalMarkdown)

    @property
    def composed(self) -> bool:
        """Whether the body exists yet: a view mounted this turn has no children until its
        compose runs, and text for it arrives with the reload that mounted it anyway."""
        return bool(self.query(IncrementalMarkdown))

    @property
    def text(self) -> str:
        """The full text so far, including what the screen has not caught up with yet."""
        return self.body.text

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.set_class(selected, "-selected")
            self.query_one(MessageHeader).update(header_content(self.info, selected=selected))

    def append(self, chunk: str) -> None:
        self.body.append(chunk)

    def update_info(self, info: MessageInfo) -> None:
        """Show new metadata; the body is replaced only if the text changed."""
        old = self.info
        self.info = info
        self.query_one(MessageHeader).update(header_content(info, selected=self._selected))
        body = self.body
        if info.content != body.text:
            body.remove()
            self.mount(
                IncrementalMarkdown(info.content, streaming=info.status == "streaming"),
                after=self.query_one(MessageHeader),
            )
        elif old.status == "streaming" and info.status != "streaming":
            body.finish()
        self.query_one(".error-line", Static).update(self._error_text())
        self._sync_classes()

    def _sync_classes(self) -> None:
        self.set_class(bool(self.info.sources), "-merge")
        error_line = self.query_one(".error-line", Static)
        error_line.display = bool(self._error_text())

    def _error_text(self) -> Content:
        info = self.info
        if info.status == "error":
            reason = info.error or "the reply failed"
            return Content.assemble(
                Content.styled("✗ ", "bold"), visible(reason), Content.styled("  (r: retry)", "$foreground-muted")
            )
        if info.status == "cancelled":
            return Content.styled("Cancelled; the partial reply is kept.  (r: regenerate)", "$warning")
        if info.status == "interrupted":
            return Content.styled(
                "Interrupted (loupe stopped while this was written).  (r: regenerate)", "$warning"
            )
        if info.unanswered:
            return Content.styled("No reply yet.  (r: ask the model)", "$foreground-muted")
        return Content("")

    def _sources_text(self) -> Content:
        return Content.assemble(
            Content.styled("sources: ", "italic"), visible(" · ".join(self.info.sources))
        )
