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
