"""The chat UI in the real app, against the scripted OpenAI-compatible server.

Each test drives LoupeApp with Pilot: the store is a real SQLite file in the test's data
folder, replies come over HTTP from `model_server`, and what the model received is read back
from the server's recorded requests.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent, TabPane

from tests.fixtures.model_server import Reply
from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.model.scripted_server import ScriptedServer
from tui.views.chat import ChatPane
from tui.views.documents import DocumentsView
from tui.views.threads import ThreadsView
from tui.workspace import open_workspace
from widgets.chat.composer import Composer
from widgets.thread_tree import ThreadTree

SIZE = (110, 36)


def active_pane(app: LoupeApp) -> ChatPane | None:
    tabs = app.screen.query_one("#document-tabs", TabbedContent)
    for pane in app.screen.query(ChatPane):
        if pane.is_on_screen and tabs.active:
            return pane
    return None


async def new_thread(pilot: Pilot[None], title: str = "design") -> ChatPane:
    app = pilot.app
    await wait_until(pilot, lambda: app.services.threads.store is not None, "the store is open")
    app.screen.query_one(ThreadTree).focus()
    await pilot.press("n")
    await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the title prompt")
    await pilot.press(*title, "enter")
    await wait_until(pilot, lambda: active_pane(app) is not None, "the chat tab opens")
    pane = active_pane(app)
    assert pane is not None
    await wait_until(pilot, lambda: pane.snapshot is not None, "the thread is loaded")
    return pane


async def send(pilot: Pilot[None], pane: ChatPane, text: str) -> None:
    pane.composer.focus_input()
    pane.composer.text = text
    await pilot.press("ctrl+s")


def statuses(pane: ChatPane) -> list[tuple[str, str]]:
    return [(info.role, info.status) for info in pane.log.messages]


async def settled(pilot: Pilot[None], pane: ChatPane, count: int) -> None:
    await wait_until(
        pilot,
        lambda: len(pane.log.messages) == count
        and not pane.is_streaming
        and all(info.status != "streaming" for info in pane.log.messages),
        f"{count} messages, none streaming",
    )


async def test_send_streams_and_edit_reruns_as_a_sibling(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(
        Reply(text="The **cache** is cold at start.\n\n- warm it\n- measure it", usage={"prompt_tokens": 12, "completion_tokens": 9}),
        Reply(text="Start it in a worker."),
        Reply(text="Warm the cache in the background."),
    )
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        await send(pilot, pane, "Why is start slow?")
        await settled(pilot, pane, 2)
        assert statuses(pane) == [("user", "complete"), ("assistant", "complete")]
        reply = pane.log.views()[-1]
        await wait_until(pilot, lambda: "warm it" in reply.body.rendered_text(), "the reply is rendered")
        assert reply.info.completion_tokens == 9 and reply.info.model == "scripted-model"
        assert "12 in · 9 out" in str(reply.query_one("MessageHeader").render())  # token usage
        assert pane.composer.text == ""
        # Copy the reply: the message text, as written.
        pane.log.focus()
        await pilot.press("y")
        assert app.clipboard == "The **cache** is cold at start.\n\n- warm it\n- measure it"
        sent = model_server.chat_requests[0].body["messages"]
        assert sent[-1] == {"role": "user", "content": "Why is start slow?"}

        # Edit the question and rerun: a sibling ‹ 2/2 › with its own reply.
        pane.log.focus()
        await pilot.press("up", "e")
        await wait_until(pilot, lambda: app.screen.query("EditMessageScreen TextArea"), "the edit dialog")
        area = app.screen.query_one("EditMessageScreen TextArea")
        area.load_text("How do I make start fast?")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settled(pilot, pane, 2)
        user = pane.log.messages[0]
        assert (user.content, user.sibling_index, user.sibling_count) == ("How do I make start fast?", 1, 2)
        assert pane.log.messages[1].content == "Start it in a worker."
        # Switch back to the original question: its original reply comes back with it.
        pane.log.select(user.id)
        await pilot.press("left")
        await wait_until(pilot, lambda: pane.log.messages[0].content == "Why is start slow?", "sibling 1/2")
        assert pane.log.messages[1].content.startswith("The **cache**")
        # Regenerate that reply: a sibling answer to the same question, sent the same history.
        pane.log.select(pane.log.messages[1].id)
        await pilot.press("r")
        await wait_until(
            pilot, lambda: pane.log.messages[-1].content == "Warm the cache in the background.", "the new reply"
        )
        await settled(pilot, pane, 2)
        assert (pane.log.messages[1].sibling_index, pane.log.messages[1].sibling_count) == (1, 2)
        assert model_server.chat_requests[2].body["messages"] == model_server.chat_requests[0].body["messages"]


async def test_escape_cancels_and_keeps_the_partial_reply(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(Reply(text="word " * 400, tokens_per_second=40))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        await send(pilot, pane, "Talk for a while")
        await wait_until(
            pilot,
            lambda: len(pane.log.messages) == 2 and "word word" in pane.log.views()[-1].text,
            "text streams in",
        )
        await pilot.press("escape")
        await settled(pilot, pane, 2)
        cancelled = pane.log.messages[-1]
        assert cancelled.status == "cancelled"
        assert cancelled.content.startswith("word word")
        model_server.wait_for_disconnect()
        assert "partial reply is kept" in str(pane.log.views()[-1].query_one(".error-line").render())


async def test_the_screen_shows_only_text_that_is_already_saved(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    # So a crash at any moment loses nothing that was on screen.
    model_server.script(Reply(text="word " * 150, tokens_per_second=100))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        store = app.services.threads.store
        assert store is not None
        pane.send("Talk")  # not through pilot.press, which waits for a busy app to idle
        await wait_until(pilot, lambda: len(pane.log.messages) == 2, "the reply starts")
        reply_id = pane.log.messages[-1].id
        seen = set()
        while pane.is_streaming:
            view = pane.log.view_for(reply_id)
            shown = view.text if view is not None else ""
            saved = store.message(reply_id).content
            assert saved.startswith(shown), f"on screen but not saved: {shown[len(saved):]!r}"
            seen.add(len(shown))
            await asyncio.sleep(0.01)  # the app runs on this loop meanwhile
        assert len(seen - {0}) >= 3  # it was watched while it grew
        await settled(pilot, pane, 2)
        assert pane.log.messages[-1].content == "word " * 150


async def test_a_reply_outlives_the_tab_that_started_it(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(Reply(text="word " * 200, tokens_per_second=100))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        thread_id = pane.thread_id
        pane.send("Talk")
        await wait_until(pilot, lambda: len(pane.log.messages) == 2, "the reply starts")
        app.screen.query_one(DocumentsView).close_pane(f"thread:{thread_id}")
        await wait_until(pilot, lambda: not app.screen.query(ChatPane), "its tab closed")
        replies, store = app.services.threads.replies, app.services.threads.store
        assert replies is not None and store is not None
        assert thread_id in replies.running_threads(), "still streaming when the tab closed"
        await wait_until(pilot, lambda: not replies.running_threads(), "the reply to end", timeout=30)
        answer = store.history(thread_id)[-1]
        assert (answer.status, answer.content) == ("complete", "word " * 200)


async def test_a_title_update_while_the_tab_closes_is_dropped(tmp_path: Path, model_config: Path) -> None:
    # Under load a reply's title update landed between the tab's label going and its pane
    # going, and the app crashed with NoMatches.
    from textual.widgets._tabbed_content import ContentTab, ContentTabs

    from tui.messages import TabRetitled

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        tab_pane = next(a for a in pane.ancestors if isinstance(a, TabPane))
        tabs = app.screen.query_one("#document-tabs", TabbedContent)
        await tabs.get_child_by_type(ContentTabs).remove_tab(ContentTab.add_prefix(tab_pane.id))
        pane.post_message(TabRetitled(pane, "renamed while closing"))
        for _ in range(3):
            await pilot.pause()
        assert app.is_running


async def test_error_mid_stream_is_shown_and_retried_as_a_sibling(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(
        Reply(text="Half an answer and then", error_after=3, error_message="the GPU caught fire"),
        Reply(text="A whole answer."),
    )
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        await send(pilot, pane, "Explain")
        await settled(pilot, pane, 2)
        failed = pane.log.messages[-1]
        assert failed.status == "error" and "GPU caught fire" in failed.error
        assert failed.fork_blocked  # a failed reply is not a fork point
        pane.log.focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: pane.log.messages[-1].content == "A whole answer.", "the retry")
        await settled(pilot, pane, 2)
        retried = pane.log.messages[-1]
        assert (retried.status, retried.sibling_index, retried.sibling_count) == ("complete", 1, 2)


async def test_fork_opens_a_new_thread_nested_under_its_parent(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(
        Reply(text="First answer."), Reply(text="Answer in the fork."), Reply(text="Answer to the question fork.")
    )
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "main line")
        await send(pilot, pane, "Question one")
        await settled(pilot, pane, 2)
        pane.log.focus()
        await pilot.press("f")
        await wait_until(pilot, lambda: active_pane(app) not in (None, pane), "the fork's tab")
        fork = active_pane(app)
        assert fork is not None
        await wait_until(pilot, lambda: len(fork.log.messages) == 2, "the fork shows the shared history")
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: len(tree.threads) == 2, "the tree lists the fork")
        assert tree.threads[fork.thread_id].forked_from == pane.thread_id
        await send(pilot, fork, "Only in the fork")
        await settled(pilot, fork, 4)
        # A fork made at a question: it is unanswered there, and r asks the model.
        fork.log.focus()
        await pilot.press("home")
        await pilot.press("f")
        await wait_until(pilot, lambda: active_pane(app) not in (None, pane, fork), "the second fork")
        asked = active_pane(app)
        assert asked is not None
        await wait_until(pilot, lambda: len(asked.log.messages) == 1, "the question alone")
        assert asked.log.messages[0].unanswered
        assert "r: ask the model" in str(asked.log.views()[0].query_one(".error-line").render())
        asked.log.focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: len(asked.log.messages) == 2, "the reply")
        await settled(pilot, asked, 2)
        assert asked.log.messages[-1].content == "Answer to the question fork."
        assert not asked.log.messages[0].unanswered
        app.screen.query_one(DocumentsView).close_pane(f"thread:{asked.thread_id}")
        await wait_until(pilot, lambda: active_pane(app) is fork, "back in the fork")
        # The parent is unchanged; it marks the fork point.
        await pane.reload()
        assert len(pane.log.messages) == 2
        assert pane.log.messages[-1].forks and pane.log.messages[-1].shared_by == 2
        # Jump to the fork point in the fork, after moving away from it.
        fork.log.focus()
        await pilot.press("home")
        assert fork.log.selected_id == fork.log.messages[0].id
        await pilot.press("ctrl+o")
        assert fork.log.selected_id == pane.log.messages[-1].id
        # Back to the parent from the fork, at the fork point.
        fork.composer.focus_input()
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: active_pane(app) is pane, "the parent's tab")
        assert pane.log.selected_id == pane.log.messages[-1].id
        # Again with the parent's tab closed: it opens anew, at the fork point.
        fork_point = pane.log.messages[-1].id
        app.screen.query_one(DocumentsView).close_pane(f"thread:{pane.thread_id}")
        await wait_until(pilot, lambda: active_pane(app) is fork, "the fork's tab")
        fork.composer.focus_input()
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: active_pane(app) not in (None, fork), "the parent reopened")
        parent = active_pane(app)
        assert parent is not None and parent.thread_id == pane.thread_id
        await wait_until(pilot, lambda: parent.log.selected_id == fork_point, "at the fork point")


async def test_map_runs_branches_and_reduce_brings_them_back(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    slow = 20  # tokens a second: each branch takes a while, so running both at once shows
    model_server.script(
        Reply(text="Three options: A, B, C."),
        Reply(match="cost of A", text="A costs little, " * 5 + "A costs little.", tokens_per_second=slow),
        Reply(match="risk of B", text="B is risky, " * 5 + "B is risky.", tokens_per_second=slow),
        Reply(text="Synthesis: A is cheap, B is risky."),
    )
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "options")
        await send(pilot, pane, "What are the options?")
        await settled(pilot, pane, 2)
        pane.log.focus()
        await pilot.press("m")
        await wait_until(pilot, lambda: app.screen.query("MapScreen Input"), "the map dialog")
        await pilot.press(*"What is the cost of A?", "enter", *"What is the risk of B?")
        await pilot.press("ctrl+s")
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: len(tree.threads) == 3, "two branches in the tree")
        # Each branch is titled by its question alone, so a narrow sidebar tells them apart.
        assert sorted(t.title for t in tree.threads.values() if t.forked_from) == [
            "What is the cost of A?", "What is the risk of B?"
        ]
        # The branches run in parallel: both requests are open at the same moment.
        await wait_until(
            pilot,
            lambda: len(model_server.chat_requests) == 3
            and not any(r.finished for r in model_server.chat_requests[1:]),
            "both branch requests streaming at once",
        )
        store = app.services.threads.store
        assert store is not None
        await wait_until(
            pilot,
            lambda: not app.services.threads.replies.running_threads(),  # type: ignore[union-attr]
            "both branches answered",
        )
        # Renamed branches are still listed by their questions under a reduce.
        for thread in store.list_threads():
            if thread.forked_from:
                store.rename(thread.id, "a branch")
        # Reduce one branch as the plain concatenation: untick the first, pick concatenation.
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.query("ReduceScreen SelectionList"), "the reduce dialog")
        await pilot.press("space", "tab", "down", "space", "ctrl+s")
        await settled(pilot, pane, 3)
        joined = pane.log.messages[-1]
        assert (joined.merge_mode, len(joined.sources)) == ("concatenation", 1)
        assert joined.sources[0] in ("What is the cost of A?", "What is the risk of B?")
        kept = "B is risky." if "risk of B" in joined.sources[0] else "A costs little."
        dropped = "A costs" if kept.startswith("B") else "B is risky"
        assert kept in joined.content and dropped not in joined.content
        assert len(model_server.chat_requests) == 3  # no model call for a concatenation
        view = pane.log.views()[-1]
        assert "merged from 1 branches (concatenation)" in str(view.query_one("MessageHeader").render())
        assert joined.sources[0] in str(view.query_one(".sources-line").render())
        # Then both branches as a model-written synthesis.
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.query("ReduceScreen SelectionList"), "the reduce dialog")
        await pilot.press("ctrl+s")  # both branches, synthesis
        await wait_until(
            pilot, lambda: pane.log.messages[-1].content.startswith("Synthesis"), "the synthesis"
        )
        await settled(pilot, pane, 4)
        merged = pane.log.messages[-1]
        assert merged.merge_mode == "synthesis" and len(merged.sources) == 2
        # The branches' questions are not alternatives of the merge message here.
        assert merged.sibling_count == 1 and joined.sibling_count == 1
        request = model_server.chat_requests[-1].body["messages"]
        assert "A costs little." in request[-1]["content"] and "B is risky." in request[-1]["content"]


async def test_no_endpoint_says_how_to_configure_one(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        banner = str(pane.query_one("#chat-banner").render())
        assert "No model to talk to" in banner and "[endpoints." in banner
        await send(pilot, pane, "hello?")
        await pilot.pause()
        # Nothing is lost: the message stays in the composer, nothing is stored.
        assert pane.composer.text == "hello?"
        assert pane.log.messages == []
        assert isinstance(app.screen.query_one(ThreadsView), ThreadsView)


async def test_artifact_reference_reaches_the_model(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    task = tmp_path / ".loupe" / "tasks" / "retry-backoff"
    task.mkdir(parents=True)
    (task / "03-design-discussion.md").write_text("# Design\n\nUse full jitter.\n")
    model_server.script(Reply(text="Jitter it is."))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        composer = pane.query_one(Composer)
        await wait_until(pilot, lambda: bool(composer._references), "completions loaded")
        composer.focus_input()
        await pilot.press(*"Review @design")
        assert composer.suggesting
        await pilot.press("tab")
        await pilot.press("ctrl+s")
        await settled(pilot, pane, 2)
        sent = model_server.chat_requests[0].body["messages"][-1]["content"]
        assert sent.startswith("Review @retry-backoff/03-design-discussion")
        assert "Use full jitter." in sent
        # The stored message keeps only the reference.
        assert pane.log.messages[0].content == "Review @retry-backoff/03-design-discussion "



async def test_demo_talks_to_the_offline_scripted_model(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path, is_demo=True), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "demo")
        banner = str(pane.query_one("#chat-banner").render())
        assert "offline demo model" in banner and "[endpoints." in banner
        await send(pilot, pane, "What can you do?")
        await settled(pilot, pane, 2)
        reply = pane.log.messages[-1]
        assert reply.status == "complete" and reply.content
        # The demo keeps its threads apart from the user's store.
        store = app.services.threads.store
        assert store is not None and store.path == app.workspace.data_dir / "threads.sqlite"


async def test_a_thread_can_switch_endpoints_from_the_palette(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    with model_config.open("a") as config:
        config.write(f'\n[endpoints.other]\nbase_url = "{model_server.base_url}"\napi_key_env = ""\nmodel = "other-model"\n')
    model_server.script(Reply(text="from the other model"))
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        commands = {title: run for title, _help, run in pane.document_commands()}
        assert "Thread: talk to scripted-model on scripted" not in commands  # the current one
        commands["Thread: talk to other-model on other"]()
        await wait_until(pilot, lambda: pane.snapshot.thread.model == "other-model", "the thread's model")  # type: ignore[union-attr]
        await send(pilot, pane, "hi")
        await settled(pilot, pane, 2)
        assert model_server.chat_requests[0].body["model"] == "other-model"
        assert "other-model on other" in str(pane.query_one("#chat-banner").render())


SECRET = "sk-loupe-test-4f9c2e7a1b"


def screen_text(app: LoupeApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_the_api_key_never_reaches_the_store_the_files_or_the_screen(
    tmp_path: Path, monkeypatch, loupe_dirs: dict[str, Path]
) -> None:
    # The default endpoint from the environment, on a server that insists on the key.
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with ScriptedServer(api_key=SECRET) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        server.script(
            Reply(text="Fine."),
            Reply(text="Half an answer", error_after=2, error_message=f"upstream refused key {SECRET}"),
        )
        app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
        async with app.run_test(size=SIZE) as pilot:
            pane = await new_thread(pilot, "secrets")
            # A key without a model: the banner says how to name one, config syntax intact.
            banner = str(pane.query_one("#chat-banner").render())
            assert "default_model under [models]" in banner and "OPENAI_MODEL" in banner
            monkeypatch.setenv("OPENAI_MODEL", "env-model")
            await send(pilot, pane, "hello")
            await settled(pilot, pane, 2)
            await send(pilot, pane, "again")
            await settled(pilot, pane, 4)
            failed = pane.log.messages[-1]
            assert failed.status == "error" and "upstream refused key ***" in failed.error
            await wait_until(pilot, lambda: "upstream refused key ***" in screen_text(app), "the error shown")
            assert SECRET not in screen_text(app)
            # The banner and the palette name the endpoint, never the key.
            assert all(SECRET not in title + help for title, help, _ in pane.document_commands())
        # The key was really used: the server only answers requests that carry it.
        assert server.chat_requests[0].headers["authorization"] == f"Bearer {SECRET}"
    leaks = [
        path
        for folder in (loupe_dirs["data"], loupe_dirs["config"], tmp_path)
        for path in folder.rglob("*")
        if path.is_file() and SECRET.encode() in path.read_bytes()
    ]
    assert leaks == []
    assert any(loupe_dirs["data"].rglob("threads.sqlite*"))  # the store was where we looked


async def test_a_reply_another_process_streams_and_finishes_shows_in_the_open_tab(tmp_path: Path) -> None:
    # `loupe thread send` from a shell while the thread is open: its head message grows and
    # ends without the head, title or model changing.
    from tui.threads.store import ThreadStore

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot)
        with ThreadStore(app.services.threads.store.path) as other:
            other.append(pane.thread_id, "user", "Go")
            reply = other.append(pane.thread_id, "assistant", status="streaming")
            other.append_partial(reply.id, "Streaming ")
            await wait_until(pilot, lambda: statuses(pane) == [("user", "complete"), ("assistant", "streaming")],
                             "the other process's reply streaming", timeout=15)
            other.append_partial(reply.id, "words")
            other.finish(reply.id)
            await wait_until(pilot, lambda: statuses(pane)[-1:] == [("assistant", "complete")],
                             "the reply finished", timeout=15)
            assert pane.log.messages[-1].content == "Streaming words"
