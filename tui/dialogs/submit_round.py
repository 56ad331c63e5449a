"""Submit a review round: the verdict, and where it goes (a session, now or when idle; a chat
thread; the clipboard).

    choices = services.review.choices(round_id)            # in a worker: reads sessions
    app.push_screen(SubmitRoundScreen(choices, submit=lambda request:
                    services.review.submit(round_id, request)), done)

`submit` runs on a thread while the dialog shows "Sending…"; a failure is shown in the
dialog, which stays open with the choices kept. The dialog dismisses with what `submit`
returned (`tui.review.delivery.Sent`), or None when cancelled. It knows nothing of
documents or diffs: any round's choices will do.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Select, Static

from tui.dialogs.base import Dialog
from tui.review.model import Destination, Verdict
from tui.services.review import SubmitChoices, SubmitRequest
from widgets.plain_text import plain_text

# The session list's entry that starts a session on the document's task.
NEW_SESSION = "new"

_VERDICTS = (
    (Verdict.REQUEST_CHANGES, "Request changes"),
    (Verdict.COMMENT, "Comment"),
    (Verdict.APPROVE, "Approve"),
)
_DESTINATIONS = (
    (Destination.SESSION, "Agent session"),
    (Destination.THREAD, "Chat thread"),
    (Destination.COPY, "Copy to the clipboard"),
)


class SubmitRoundScreen(Dialog[object]):
    SIZE = "wide"
    DEFAULT_CSS = """
    SubmitRoundScreen RadioSet {
        layout: horizontal;
        width: 100%;
    }
    """
    BUSY_LABEL = "Sending…"
    BINDINGS = [Binding("ctrl+s", "submit", "Submit", id="submit_round.submit")]

    def __init__(self, choices: SubmitChoices, *, submit: Callable[[SubmitRequest], object],
                 verdict: Verdict = Verdict.REQUEST_CHANGES, retry: bool = False) -> None:
        """`retry`: the round was submitted but not delivered; only a session is chosen (its
        verdict and message are fixed)."""
        round_ = choices.round
        heading = (f"Send round {round_.id} again (not delivered: {round_.error})" if retry
                   else f"Submit review round {round_.id} of {round_.target.label} ({choices.summary})")
        super().__init__(heading)
        self.choices = choices
        self._submit = submit
        self._verdict = round_.verdict or verdict if retry else verdict
        self.retry = retry

    def compose_body(self) -> ComposeResult:
        choices = self.choices
        with RadioSet(id="verdict", disabled=self.retry):
            for verdict, label in _VERDICTS:
                yield RadioButton(label, value=verdict is self._verdict, id=f"verdict-{verdict.value}")
        with RadioSet(id="destination", disabled=self.retry):
            for destination, label in _DESTINATIONS:
                yield RadioButton(label, value=destination is self._initial_destination(),
                                  id=f"to-{destination.value}", disabled=not self._offers(destination))
        options = [(plain_text(self._session_line(c.label, c.live, c.reason)), c.id) for c in choices.sessions]
        starts = choices.can_start_session and not self.retry
        if starts:
            options.append((plain_text("A new session on this task, with the round as its prompt"), NEW_SESSION))
        if options:
            # The live session that wrote it; with none, a new one (or the first listed).
            initial = choices.default_session or (NEW_SESSION if starts else options[0][1])
            yield Select(options, value=initial, allow_blank=False, id="session")
        else:
            yield Static(plain_text(choices.sessions_problem or "No agent sessions."), classes="dialog-help",
                         id="session-none")
        yield Checkbox("Send when idle (queue it instead of interrupting the agent)", id="when-idle")
        if choices.threads:
            yield Select([(plain_text(t.title or t.id), t.id) for t in choices.threads],
                         value=choices.threads[0].id, allow_blank=False, id="thread")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Submit (ctrl+s)", id="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#verdict", RadioSet).border_title = "Verdict"
        self.query_one("#destination", RadioSet).border_title = "Send to"
        self.query_one("#session" if self.retry and self.query("#session") else "#verdict").focus()
        self._sync()

    @staticmethod
    def _session_line(label: str, live: bool, reason: str) -> str:
        state = "running" if live else "ended"
        return f"{label} ({state}{'; wrote it: ' + reason if reason else ''})"

    def _offers(self, destination: Destination) -> bool:
        if destination is Destination.SESSION:
            return bool(self.choices.sessions) or self.choices.can_start_session
        if destination is Destination.THREAD:
            return bool(self.choices.threads)
        return True

    def _initial_destination(self) -> Destination:
        return Destination.SESSION if self.retry or self._offers(Destination.SESSION) else Destination.COPY

    # -- what is chosen --------------------------------------------------------------------

    @property
    def verdict(self) -> Verdict:
        pressed = self.query_one("#verdict", RadioSet).pressed_button
        return Verdict((pressed.id or "").removeprefix("verdict-")) if pressed else self._verdict

    @property
    def destination(self) -> Destination:
        pressed = self.query_one("#destination", RadioSet).pressed_button
        return Destination((pressed.id or "").removeprefix("to-")) if pressed else self._initial_destination()

    def request(self) -> SubmitRequest:
        destination = self.destination
        if destination is Destination.SESSION:
            sessions = self.query("#session").results(Select)
            chosen = next((str(s.value) for s in sessions), None)
            return SubmitRequest(self.verdict, destination,
                                 session_id=None if chosen == NEW_SESSION else chosen,
                                 new_session=chosen == NEW_SESSION,
                                 when_idle=self.query_one("#when-idle", Checkbox).value)
        if destination is Destination.THREAD:
            return SubmitRequest(self.verdict, destination, thread_id=str(self.query_one("#thread", Select).value))
        return SubmitRequest(self.verdict, destination)

    @on(RadioSet.Changed, "#destination")
    def _destination_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._sync()

    def _sync(self) -> None:
        """Show only what applies to the destination chosen."""
        destination = self.destination
        for node in self.query("#session, #session-none, #when-idle"):
            node.display = destination is Destination.SESSION
        for node in self.query("#thread"):
            node.display = destination is Destination.THREAD

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        request = self.request()
        if request.destination is Destination.SESSION and not (request.session_id or request.new_session):
            self.show_error("There is no session to send it to: copy it, or send it to a thread.")
            return
        self.run_then_dismiss(lambda: self._submit(request), failure="Could not submit")
