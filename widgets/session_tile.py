"""One agent session in the grid: who it is, what state it is in, and its live screen.

The tile is given `TileData` by the sessions view and draws it; it does no I/O. Its border
title names the session, the border subtitle carries the state (NEEDS YOU stands out), and
the body shows the bottom of the agent's screen with its colours, wrapped to the tile.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tui.terminal_text import visible
from widgets.screen_preview import screen_strips

STATE_CLASSES = ("-starting", "-working", "-needs-input", "-idle", "-exited", "-unreachable")


@dataclass(frozen=True)
class TileData:
    id: str
    number: int
    agent: str
    task: str
    # "working", "needs-input", "idle", "exited", "starting" (no window yet) or "unreachable"
    # (its host is).
    state: str
    exit_code: int | None = None
    # Exited because loupe stopped it: its code is only the signal that did.
    stopped: bool = False
    # Exited because its window vanished (tmux server ended, window killed), not on its own.
    killed: bool = False
    elapsed: str = ""
    added: int | None = None
    removed: int | None = None
    queued: int = 0
    # The `[hosts.NAME]` it runs on; "" on this machine.
    host: str = ""
    # Queued texts loupe gave up typing in (the agent never took them).
    undelivered: int = 0
    # Why, when its state is "unreachable" (what ssh said of its host).
    detail: str = ""
    # The screen as captured (text with SGR colour codes).
    screen: str = ""
    # The task phase it runs ("research"), and the first line of the prompt it started with.
    phase: str = ""
    prompt: str = ""

    @property
    def state_label(self) -> str:
        if self.state == "needs-input":
            return "NEEDS YOU"
        if self.state == "exited":
            if self.stopped:
                return "stopped"
            if self.killed:
                return "killed"
            return "exited" if self.exit_code is None else f"exited {self.exit_code}"
        if self.state == "starting":
            return "starting…"
        if self.state == "unreachable" and self.detail:
            return f"unreachable: {self.detail}"
        return self.state


class SessionTile(Widget, can_focus=True):
    DEFAULT_CSS = """
    SessionTile {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        background: $surface;
    }
    SessionTile:focus {
        border: round $primary;
    }
    SessionTile.-needs-input {
        border: heavy $loupe-needs-you;
        border-subtitle-color: $loupe-needs-you;
        border-subtitle-style: bold reverse;
    }
    SessionTile.-working {
        border-subtitle-color: $success;
    }
    SessionTile.-exited {
        border-subtitle-color: $text-disabled;
        color: $text-muted;
    }
    SessionTile.-starting {
        border: dashed $panel-lighten-2;
        border-subtitle-color: $accent;
        border-subtitle-style: italic;
        color: $text-muted;
    }
    SessionTile.-unreachable {
        border: round $warning;
        border-subtitle-color: $warning;
        color: $text-muted;
    }
    SessionTile.-marked {
        border-title-style: bold reverse;
    }
    """

    BINDINGS = [
        Binding("enter", "activate", "Attach", id="sessions.tile.attach"),
        Binding("space", "toggle_mark", "Mark", show=False, id="sessions.tile.mark"),
    ]

    class Activated(Message):
        """Enter on a tile: the view attaches to the session."""

        def __init__(self, tile: SessionTile) -> None:
            super().__init__()
            self.tile = tile

    class MarkChanged(Message):
        def __init__(self, tile: SessionTile) -> None:
            super().__init__()
            self.tile = tile

    def __init__(self, data: TileData) -> None:
        super().__init__(id=f"tile-{data.id}")
        self.data = data
        self.marked = False
        # The preview rows drawn last, and the (screen, width, height, style) they show.
        self._drawn: tuple[Strip, ...] = ()
        self._drawn_for: tuple[str, int, int, Style] | None = None
        self._frame: tuple[int, int, Style] = (0, 0, Style())
        self._apply_chrome()

    @property
    def session_id(self) -> str:
        return self.data.id

    @property
    def preview(self) -> tuple[Strip, ...]:
        """The preview rows drawn of the current screen: none until the tile is painted with
        it, which happens only in view."""
        drawn_for = self._drawn_for
        return self._drawn if drawn_for is not None and drawn_for[0] == self.data.screen else ()

    @property
    def preview_size(self) -> tuple[int, int]:
        """The body size (width, height) the preview rows were drawn for."""
        drawn_for = self._drawn_for
        return (drawn_for[1], drawn_for[2]) if drawn_for else (0, 0)

    def show(self, data: TileData) -> None:
        if data == self.data:
            return
        screen_changed = data.screen != self.data.screen
        self.data = data
        self._apply_chrome()
        if screen_changed:
            self.refresh()

    def _apply_chrome(self) -> None:
        data = self.data
        mark = "● " if self.marked else ""
        queued = f" · {data.queued} queued" if data.queued else ""
        if data.undelivered:
            queued += f" · {data.undelivered} NOT DELIVERED"
        host = f" @{data.host}" if data.host else ""
        # Names, tasks, hosts and ssh's messages are data: plain Content, never markup.
        self.border_title = Content(visible(f"{mark}{data.number} {data.agent} · {data.task}{host}{queued}" + "".join(
            f" · {part}" for part in (data.phase, f"“{data.prompt}”" if data.prompt else "") if part)))
        parts = [data.state_label, data.elapsed]
        if data.added is not None:
            parts.append(f"+{data.added} -{data.removed}")
        if data.undelivered or data.state == "unreachable":
            parts.append("R retry")
        self.border_subtitle = Content(visible(" · ".join(p for p in parts if p)))
        # The whole reason, where the border cuts it short.
        self.tooltip = Content(visible(data.detail)) if data.state == "unreachable" and data.detail else None
        wanted = f"-{data.state}"
        for name in STATE_CLASSES:
            self.set_class(name == wanted, name)
        self.set_class(self.marked, "-marked")

    def set_marked(self, marked: bool) -> None:
        self.marked = marked
        self._apply_chrome()

    def action_toggle_mark(self) -> None:
        self.set_marked(not self.marked)
        self.post_message(self.MarkChanged(self))

    def action_activate(self) -> None:
        self.post_message(self.Activated(self))

    def render_lines(self, crop: Region) -> list[Strip]:
        # Looked up once per paint, not once per line: `rich_style` is not cheap.
        self._frame = (self.content_size.width, self.content_size.height, self.rich_style)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        # Drawn here, on paint, so only tiles in view cost anything; and again only when the
        # screen, the size or the style changed (under a flood of output, the screen does).
        width, height, style = self._frame
        key = (self.data.screen, width, height, style)
        if self._drawn_for != key:
            self._drawn = screen_strips(self.data.screen, width, height, self.app.console, style)
            self._drawn_for = key
        strips = self._drawn
        return strips[y] if y < len(strips) else Strip.blank(width, style)

    def _on_click(self, event) -> None:  # noqa: ANN001 - textual's Click
        if event.chain == 2:
            self.post_message(self.Activated(self))
