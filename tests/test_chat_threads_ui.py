"""The chat threads UI: titles from the first message, search grouped by message, the text of
models and titles shown as data, and selecting and copying text in the chat log.

Each test drives LoupeApp with Pilot against a real SQLite store and, where a model answers,
the scripted OpenAI-compatible server.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TabbedContent

from tests.fixtures.model_server import Reply
from tests.helpers import wait_until
from tests.test_chat_pane import SIZE, active_pane, new_thread, send, settled
from tests.test_threads_view import search_threads
from tui.app import LoupeApp
from tui.dialogs.confirm import PromptScreen
from tui.model.scripted_server import ScriptedServer
from tui.workspace import open_workspace
from widgets.thread_tree import ThreadTree


def tab_label(app: LoupeApp) -> str:
    tabs = app.screen.query_one("#document-tabs", TabbedContent)
    return str(tabs.get_tab(tabs.active).label)


async def test_a_new_thread_without_a_title_is_named_by_its_first_message(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    """Issue 16 #12: the CLI allowed no title, the app demanded one."""
    model_server.script(Reply(text="Use a queue."))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.services.threads.store is not None, "the store is open")
        tree = app.screen.query_one(ThreadTree)
        tree.focus()
        await pilot.press("n")
        await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the title prompt")
        await pilot.press("enter")  # no title
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), "an empty title is accepted")
        await wait_until(pilot, lambda: active_pane(app) is not None, "the chat tab opens")
        pane = active_pane(app)
        assert pane is not None
        await wait_until(pilot, lambda: pane.snapshot is not None, "the thread is loaded")
        await send(pilot, pane, "How should retries be scheduled?\nWith jitter?")
        await settled(pilot, pane, 2)
        store = app.services.threads.store
        assert store is not None
        assert store.thread(pane.thread_id).title == "How should retries be scheduled?"
        await wait_until(
            pilot,
            lambda: tree.threads[pane.thread_id].title == "How should retries be scheduled?",
            "the list shows the title",
        )
        await wait_until(pilot, lambda: tab_label(app) == "How should retries be scheduled?", "the tab's title")


async def test_search_lists_a_message_shared_by_forks_once_with_its_threads(tmp_path: Path) -> None:
    """Issue 16 #12: a message shared by 4 threads was one result with no word of the other 3."""
    from textual.widgets import OptionList

    from tui.threads.store import ThreadStore

    with ThreadStore() as store:
        plan = store.create_thread("plan")
        store.append(plan.id, "user", "Where do the kestrel retries go?")
        answer = store.append(plan.id, "assistant", "Into the queue.")
        for name in ("fork a", "fork b", "fork c"):
            store.fork(plan.id, answer.id, title=name)
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        search = await search_threads(pilot, 4, "kestrel")
        assert [r.thread_title for r in search.results] == ["plan"]
        assert sorted(search.results[0].also_in) == ["fork a", "fork b", "fork c"]
        options = search.query_one(OptionList)
        assert options.option_count == 1
        shown = str(options.get_option_at_index(0).prompt)
        assert shown.startswith("plan  +3 threads: fork ")


async def test_escapes_in_replies_titles_and_model_names_are_shown_not_sent_to_the_terminal(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    """Issue 12 #1 (chat): an OSC 52 in a reply set the user's clipboard, CSI 2J cleared the
    screen; a title like `[/x]` is markup to a tab and crashed it."""
    from tests.terminal_output import CLEAR, HOSTILE, SHOWN, assert_no_injection, drawn, screen_text
    from tui.threads.store import ThreadStore

    model_server.script(Reply(text=f"Here: {HOSTILE}\n\n```sh\necho {HOSTILE}\n```\n\nDone."))
    # Escapes first, so that the narrow sidebar shows them too.
    title = f"{CLEAR}plan [/x] [link=https://evil.example]y[/link] {HOSTILE}"
    with ThreadStore() as store:
        thread = store.create_thread(title, endpoint="scripted", model="scripted-model")
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: thread.id in tree.threads, "the thread is listed")
        tree.focus()
        tree.select_thread(thread.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: active_pane(app) is not None, "the chat tab opens")
        pane = active_pane(app)
        assert pane is not None
        await wait_until(pilot, lambda: pane.snapshot is not None, "the thread is loaded")
        await send(pilot, pane, f"Say {HOSTILE}")
        await settled(pilot, pane, 2)
        reply = pane.log.views()[-1]
        await wait_until(pilot, lambda: "Done." in reply.body.rendered_text(), "the reply is on screen")
        assert SHOWN in reply.body.rendered_text()
        await wait_until(pilot, lambda: tab_label(app).startswith("␛[2Jplan [/x] [link="), "the tab's title, as written")
        assert SHOWN in tab_label(app)
        assert_no_injection(drawn(app))
        shown = screen_text(app)
        assert SHOWN in shown
        # The list and the tab show the title as written.
        assert sum(line.count("␛[2Jplan [/x]") for line in shown.splitlines()) >= 2


async def test_lines_selected_with_the_keys_or_the_mouse_are_what_y_copies(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    """Issue 13 (chat): select in the chat log with v and the line keys, or by dragging; y copies."""
    from textual.widgets._footer import FooterKey

    model_server.script(Reply(text="first line\n\nsecond line\n\nthird line"))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "select")
        await send(pilot, pane, "Three lines, please.")
        await settled(pilot, pane, 2)
        reply = pane.log.views()[-1]
        await wait_until(pilot, lambda: "third line" in reply.body.rendered_text(), "the reply is on screen")
        pane.log.focus()
        assert pane.log.selected_id == reply.info.id
        await wait_until(
            pilot, lambda: "v" in [k.key for k in app.screen.query(FooterKey) if k.action == "select_lines"],
            "the footer offers v",
        )

        # v selects the message's first line; j extends it a line at a time; y copies.
        await pilot.press("v", "j", "j")
        assert reply.body.text_selection is not None
        assert app.screen.get_selected_text() == "first line\n\nsecond line"
        assert "escape" in [k.key for k in app.screen.query(FooterKey) if k.action == "leave_selection"]
        await pilot.press("y")
        assert app.clipboard == "first line\n\nsecond line"
        assert not app.screen.selections, "copying leaves the selection"
        # escape leaves a selection without copying, and the message stays selected.
        await pilot.press("v", "escape")
        assert not app.screen.selections and pane.log.selected_id == reply.info.id

        # A mouse drag selects too, and y copies what it covers.
        await pilot.mouse_down(reply.body, offset=(0, 0))
        await pilot.hover(reply.body, offset=(5, 2))
        await pilot.mouse_up(reply.body, offset=(5, 2))
        await wait_until(pilot, lambda: reply.body.text_selection is not None, "the dragged selection")
        assert app.screen.get_selected_text() == "first line\n\nsecond"
        await pilot.press("y")
        assert app.clipboard == "first line\n\nsecond"
        # Without a selection, y copies the whole message, as written.
        await pilot.press("y")
        assert app.clipboard == "first line\n\nsecond line\n\nthird line"
