"""Open web links in the user's browser; where none opens them, show the address to copy."""

from __future__ import annotations

from textual.widget import Widget


def open_web_link(owner: Widget, url: str) -> None:
    """Open `url` in a web browser, or tell the reader it could not be and give the address.

    Textual's `App.open_url` ignores whether a browser opened (on a server or over ssh, none
    does), so a click did nothing at all. The browser command runs in a thread: some wait
    until the browser has taken the page.
    """
    app = owner.app
    if app.is_web:
        app.open_url(url)  # the browser showing loupe opens it
        return

    def run() -> None:
        import webbrowser  # it runs `shlex`, `shutil` and more at import: only for a link followed

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
        if not opened:
            app.call_from_thread(_not_opened, owner, url)

    owner.run_worker(run, thread=True, group="open-url", exit_on_error=False)


def _not_opened(owner: Widget, url: str) -> None:
    owner.app.copy_to_clipboard(url)
    owner.notify(
        f"No web browser could open this link (copied to the clipboard if the terminal allows):\n{_printable(url)}",
        title="Link",
        severity="warning",
        timeout=20,
        markup=False,
    )


def _printable(text: str) -> str:
    """`text` with control characters as visible escapes: an address is data, not terminal control."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
