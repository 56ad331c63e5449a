"""Chat widgets against plain data: streaming markdown, the message log, composer, thread tree."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import TabbedContent, TabPane

from tests.helpers import wait_until
from widgets.chat.chat_log import ChatLog
from widgets.chat.composer import Composer, match_references
from widgets.chat.incremental_markdown import IncrementalMarkdown
from widgets.chat.message import MessageInfo
from widgets.chat.rich_markdown import BlockRenderer, Palette
from widgets.thread_tree import ThreadInfo, ThreadTree

REPLY = """## Findings

The cache is **cold** on start, so the first `load()` is slow.

- measure it
- warm it in a worker

```python
def warm(cache):
    for key in cache.keys():
        cache.get(key)
```

That's all.
"""


def rendered(source: str, width: int) -> list[str]:
    renderer = BlockRenderer(Palette.from_variables("plain", True, {}))
    return [strip.text.rstrip() for strip in renderer.block(source, width)]


def test_replies_show_html_images_and_tables_whole() -> None:
    # Rich drops raw HTML, draws an image before its paragraph (outside its list item), cuts
    # table cells short with "…" and gives some columns of a wide table no room at all.
    assert rendered("Returns Vec<String> or <b>bold</b>.", 80) == ["Returns Vec<String> or <b>bold</b>."]
    assert rendered("<details>\n<summary>More</summary>\n\nhidden\n</details>", 80)[0] == "<details> <summary>More</summary>"
    assert rendered("- **2x** ![diagram](d.png) after", 80) == [" • 2x 🖼 diagram after"]
    four = "| a | b | c | d |\n|---|---|---|---|\n| " + " | ".join(["jobs_runnable"] * 4) + " |"
    letters = [char for char in "".join(rendered(four, 24)) if char.isalnum() or char in "_…"]
    assert sorted(letters) == sorted("abcd" + "jobs_runnable" * 4)
    nine = "| " + " | ".join(f"h{n}" for n in range(9)) + " |\n|" + "---|" * 9 + "\n| " + " | ".join(f"c{n}" for n in range(9)) + " |"
    shown = [line.strip() for line in rendered(nine, 24) if line.strip()]
    assert shown == [f"h{n}" for n in range(9)] + [f"c{n}" for n in range(9)]


class MarkdownHost(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield IncrementalMarkdown(streaming=True, id="live")
            yield IncrementalMarkdown(REPLY, id="whole")


async def test_streamed_markdown_renders_like_the_whole_text() -> None:
    app = MarkdownHost()
    async with app.run_test(size=(80, 60)) as pilot:
        live = app.query_one("#live", IncrementalMarkdown)
        for start in range(0, len(REPLY), 3):
            live.append(REPLY[start : start + 3])
        # Appends are coalesced: far fewer renders than chunks.
        await wait_until(pilot, lambda: "That's all." in live.rendered_text(), "the tail is shown")
        assert live.renders < len(REPLY) // 3 // 4
        live.finish()
        await wait_until(pilot, lambda: live.is_settled, "the final render is shown")
        whole = app.query_one("#whole", IncrementalMarkdown)
        assert live.text == REPLY
        assert live.rendered_text() == whole.rendered_text()
        assert "def warm(cache):" in whole.rendered_text()
        assert "## Findings" not in whole.rendered_text()  # rendered as a heading, not raw


async def test_a_finished_stream_gives_back_the_rows_it_claimed() -> None:
    # While streaming, the view claims rows in steps; once finished it is as tall as its text.
    app = MarkdownHost()
    async with app.run_test(size=(80, 60)) as pilot:
        live = app.query_one("#live", IncrementalMarkdown)
        live.append(REPLY)
        await wait_until(pilot, lambda: "That's all." in live.rendered_text(), "the text is shown")
        assert live.size.height > len(live.rendered_text().splitlines())  # rows claimed ahead
        live.finish()
        await wait_until(pilot, lambda: live.is_settled, "the final render is shown")
        await wait_until(
            pilot,
            lambda: live.size.height == len(live.rendered_text().splitlines()),
            "the view shrinks to its text",
        )


class TabsHost(App[None]):
    def compose(self) -> ComposeResult:
        with TabbedContent():
            with TabPane("one", id="one"):
                yield IncrementalMarkdown("visible")
            with TabPane("two", id="two"):
                yield IncrementalMarkdown(streaming=True, id="hidden")


async def test_hidden_view_keeps_text_and_renders_when_shown() -> None:
    app = TabsHost()
    async with app.run_test(size=(60, 20)) as pilot:
        hidden = app.query_one("#hidden", IncrementalMarkdown)
        hidden.append("written while nobody looks")
        await pilot.pause(0.2)
        assert hidden.renders == 0
        app.query_one(TabbedContent).active = "two"
        await wait_until(
            pilot, lambda: "written while nobody looks" in hidden.rendered_text(), "render on show"
        )


MESSAGES = [
    MessageInfo("m1", "user", "Why is start slow?"),
    MessageInfo("m2", "assistant", "Cold cache.", model="demo", completion_tokens=3, prompt_tokens=9),
    MessageInfo("m3", "user", "And the fix?", sibling_index=0, sibling_count=2),
    MessageInfo("m4", "assistant", "", status="streaming", fork_blocked="the reply is still being written"),
]


class LogHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.actions: list[tuple[str, str, int]] = []
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        yield ChatLog()
        yield Composer()

    @on(ChatLog.Action)
    def _record(self, event: ChatLog.Action) -> None:
        self.actions.append((event.action, event.message_id, event.delta))

    @on(Composer.Submitted)
    def _sent(self, event: Composer.Submitted) -> None:
        self.sent.append(event.text)

    @on(ChatLog.Copy)
    def _copy(self, event: ChatLog.Copy) -> None:
        # The log asks; the app's view copies (here, as the chat pane does, to the clipboard).
        self.copy_to_clipboard(event.text)


async def test_log_reuses_unchanged_messages_and_streams_into_the_last() -> None:
    app = LogHost()
    async with app.run_test(size=(80, 30)) as pilot:
        log = app.query_one(ChatLog)
        await log.set_messages(MESSAGES)
        first_views = log.views()
        assert [v.info.id for v in first_views] == ["m1", "m2", "m3", "m4"]
        log.append_text("m4", "Warm it ")
        log.append_text("m4", "in a worker.")
        assert log.view_for("m4").text == "Warm it in a worker."  # type: ignore[union-attr]
        # A sibling switch at m3 replaces m3 and m4 only.
        switched = MESSAGES[:2] + [MessageInfo("m3b", "user", "Other fix?", sibling_index=1, sibling_count=2)]
        await log.set_messages(switched)
        views = log.views()
        assert views[0] is first_views[0] and views[1] is first_views[1]
        assert [v.info.id for v in views] == ["m1", "m2", "m3b"]
        await pilot.pause()


async def test_log_keys_post_actions_and_refuse_unsafe_forks() -> None:
    app = LogHost()
    async with app.run_test(size=(80, 30)) as pilot:
        log = app.query_one(ChatLog)
        await log.set_messages(MESSAGES)
        log.focus()
        assert log.selected_id == "m4"
        # The streaming message cannot be forked: the binding is disabled and nothing is posted.
        assert log.check_action("request", ("fork",)) is None
        await pilot.press("f")
        assert app.actions == []
        await pilot.press("up", "right")
        assert app.actions == [("sibling", "m3", 1)]
        await pilot.press("e", "up", "f", "r")
        assert app.actions[1:] == [("edit", "m3", 0), ("fork", "m2", 0), ("regenerate", "m2", 0)]
        await pilot.press("y")
        assert app.clipboard == "Cold cache."


async def test_composer_sends_on_ctrl_s_and_completes_references() -> None:
    app = LogHost()
    async with app.run_test(size=(80, 30)) as pilot:
        composer = app.query_one(Composer)
        composer.set_references(["auth-rework/01-questions", "auth-rework/02-design", "perf/01-notes"])
        composer.focus_input()
        await pilot.press("ctrl+s")
        assert app.sent == []  # nothing to send
        await pilot.press(*"see @des")
        assert composer.suggesting
        await pilot.press("tab")
        assert composer.text == "see @auth-rework/02-design "
        assert not composer.suggesting
        await pilot.press("enter", *"ok")
        await pilot.press("ctrl+s")
        assert app.sent == ["see @auth-rework/02-design \nok"]


def test_reference_matching_prefers_prefixes() -> None:
    candidates = ["auth/01-questions", "auth/02-design", "design/01-plan"]
    assert match_references("des", candidates) == ["design/01-plan", "auth/02-design"]
    assert match_references("", candidates) == candidates
    assert match_references("zzz", candidates) == []


class TreeHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield ThreadTree()

    @on(ThreadTree.Opened)
    def _opened(self, event: ThreadTree.Opened) -> None:
        self.opened.append(event.thread_id)


async def test_thread_tree_nests_forks_and_keeps_the_cursor() -> None:
    app = TreeHost()
    async with app.run_test(size=(60, 20)) as pilot:
        tree = app.query_one(ThreadTree)
        threads = [
            ThreadInfo("a", "design Q4"),
            ThreadInfo("b", "perf", forked_from="a"),
            ThreadInfo("c", "perf detail", forked_from="b"),
            ThreadInfo("d", "orphan fork", forked_from="gone"),
        ]
        tree.set_threads(threads)
        await pilot.pause()
        root_titles = [str(node.label).split("  ")[0] for node in tree.root.children]
        assert root_titles == ["design Q4", "orphan fork"]
        assert [n.data for n in tree.root.children[0].children] == ["b"]
        assert [n.data for n in tree.root.children[0].children[0].children] == ["c"]
        tree.focus()
        tree.select_thread("c")
        await pilot.pause()
        tree.set_threads([*threads, ThreadInfo("e", "new")])
        await wait_until(pilot, lambda: tree.selected_thread is not None, "cursor restored")
        assert tree.selected_thread.id == "c"  # type: ignore[union-attr]
        await pilot.press("enter")
        assert app.opened == ["c"]


class ThemedHost(App[None]):
    def compose(self) -> ComposeResult:
        yield IncrementalMarkdown("Some `code` here.")


async def test_markdown_follows_a_theme_switch() -> None:
    app = ThemedHost()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(IncrementalMarkdown)
        await wait_until(pilot, lambda: view.rendered_text() != "", "first render")
        def code_colour() -> object:
            line = view.render_line(0)
            return next(seg.style.bgcolor for seg in line if seg.text == "code" and seg.style)

        before = code_colour()
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        # Inline code sits on a background made from the theme: the markdown was rendered again.
        await wait_until(pilot, lambda: code_colour() != before, "re-rendered in the new theme")
        assert view.rendered_text().startswith("Some code here.")


async def test_log_follows_the_bottom_only_when_the_reader_is_there() -> None:
    app = LogHost()
    long_text = "\n\n".join(f"Paragraph {n} of an earlier answer." for n in range(40))
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ChatLog)
        await log.set_messages(
            [MessageInfo("old", "assistant", long_text), MessageInfo("new", "assistant", "", status="streaming")]
        )
        view = log.view_for("new")
        assert view is not None
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0
        log.scroll_home(animate=False)
        await pilot.pause()
        for n in range(30):
            log.append_text("new", f"line {n}\n\n")
        await wait_until(pilot, lambda: view.body.is_settled, "rendered")
        assert log.scroll_y == 0  # reading above: not dragged down
        log.follow()
        for n in range(30, 60):
            log.append_text("new", f"line {n}\n\n")
        await wait_until(pilot, lambda: view.body.is_settled and "line 59" in view.body.rendered_text(), "rendered")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y


def test_a_message_header_shows_escapes_in_model_names_errors_and_sources() -> None:
    """Issue 12 #1: model names and errors come from servers; they are data, not controls."""
    from tests.terminal_output import HOSTILE
    from tui.terminal_text import visible
    from widgets.chat.message import header_content

    info = MessageInfo(
        "a", "assistant", "text", status="error", model=f"gpt{HOSTILE}", error=f"bad{HOSTILE}",
        sources=(f"branch{HOSTILE}",), merge_mode="concatenation", fork_blocked=f"no{HOSTILE}",
    )
    header = header_content(info, selected=True).plain
    assert visible(f"gpt{HOSTILE}") in header and visible(f"no{HOSTILE}") in header
    assert "\x1b" not in header and "\x9b" not in header
