"""Moving the focus before the next key is handled.

`Widget.focus` waits its turn in the app's message queue, so keys already queued behind the
one that moved it (a fast typist, a paste) are handled first and reach the widget that had
the focus: `/hello` typed fast opened the editor on its `e`. Keys are routed to
`Screen.focused` when the app takes them from its queue, so moving the focus in the handler
of the key itself, before it returns, sends every later key to the new place.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget
from textual.widgets import Input


def focus_now(widget: Widget) -> None:
    """Focus `widget` at once (it must be mounted): the next key handled goes to it."""
    widget.screen.set_focus(widget)


class FormInput(Input):
    """An input whose enter moves on at once to the widget `then()` names (None: stays).

    `Input.Submitted` is a message: a handler that moved the focus on it did so after the
    keys typed just after enter had reached this input. `Submitted` is still posted.
    """

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        then: Callable[[], Widget | None],
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(value, placeholder, id=id, classes=classes)
        self._then = then

    async def action_submit(self) -> None:
        target = self._then()
        if target is not None:
            focus_now(target)
        await super().action_submit()


def focus_when_ready(owner: Widget, focus: Callable[[], bool]) -> None:
    """Call `focus` after each refresh until it says it took the focus, unless the reader
    moved the focus meanwhile (or `owner` left the screen).

    A document asked to take the focus as it opens is composed a refresh or more later; on
    a busy machine the reader may have moved on by then (back to the task list, say), and
    taking the focus back would send their next keys to the wrong place. `focus` returns
    True too when focusing has become pointless (its widget is gone).
    """
    screen = owner.screen
    was = screen.focused

    def attempt() -> None:
        if not owner.is_attached:
            return
        # The focus dropped (the tab it was in was hidden) is not a move of the reader's.
        if screen.focused is not was and screen.focused is not None:
            return
        if not focus():
            owner.call_after_refresh(attempt)

    owner.call_after_refresh(attempt)
