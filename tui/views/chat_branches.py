"""Map and reduce in a chat pane: fork one branch per question, bring branches back.

`MapReduce` is owned by the pane (`ChatPane.map_reduce`) and reaches it only as a
`ChatHost`. Its methods are coroutines the pane runs as workers: they wait on dialogs.
"""

from __future__ import annotations

import asyncio

from tui.dialogs.chat import BranchChoice, MapScreen, ReduceResult, ReduceScreen
from tui.messages import ThreadsChanged
from tui.threads import chat_data
from tui.threads.model import Message, Role, Status
from tui.threads.titles import title_from
from tui.views.chat_host import ChatHost


class MapReduce:
    def __init__(self, pane: ChatHost) -> None:
        self._pane = pane

    async def map(self, message: Message) -> None:
        """Ask for follow-up questions, then fork one branch per question and start each."""
        pane = self._pane
        questions = await pane.app.push_screen_wait(MapScreen(chat_data.excerpt(message.content, 50)))
        if questions:
            await self._run_map(message, questions)

    async def _run_map(self, message: Message, questions: list[str]) -> None:
        pane = self._pane
        store, replies = pane.services.store, pane.services.replies
        if store is None or replies is None or not pane.can_reach_model():
            return
        started = 0
        for question in questions:
            # Titled by the question alone: in the sidebar, branches differ only by it.
            fork = await pane.store_call(store.fork, pane.thread_id, message.id, title=title_from(question))
            if fork is None:
                break
            if await pane.store_call(store.append, fork.id, Role.USER, question) is None:
                break
            status = pane.services.endpoint_status(fork.endpoint, fork.model)
            if status.endpoint is not None:
                replies.start(fork.id, endpoint=status.endpoint.name, model=status.endpoint.model)
                started += 1
        pane.post_message(ThreadsChanged())
        await pane.reload()
        pane.notify(
            f"{started} branches are running. Open them from the threads list; ctrl+r reduces them here.",
            title="Map",
            timeout=8,
        )

    async def reduce(self) -> None:
        """Choose forks of this thread and bring them back as one message."""
        pane = self._pane
        store = pane.services.store
        if store is None:
            return
        found = await asyncio.to_thread(chat_data.branches, store, pane.thread_id)
        if not found:
            pane.notify("This thread has no forks to reduce; map a message first (m).", severity="warning")
            return
        choices = [
            BranchChoice(b.thread_id, b.title, chat_data.excerpt(b.answer), b.finished) for b in found
        ]
        snapshot = pane.snapshot
        can_synthesise = pane.services.endpoint_status(
            snapshot.thread.endpoint if snapshot else None
        ).endpoint is not None
        result = await pane.app.push_screen_wait(ReduceScreen(choices, can_synthesise=can_synthesise))
        if result is not None:
            await self._run_reduce(result, [b for b in found if b.thread_id in result.thread_ids])

    async def _run_reduce(self, result: ReduceResult, chosen: list[chat_data.Branch]) -> None:
        pane = self._pane
        store, replies = pane.services.store, pane.services.replies
        if store is None or replies is None:
            return
        ids = [b.thread_id for b in chosen]
        if result.mode == "concatenation":
            merged = await pane.store_call(
                store.merge, pane.thread_id, ids, chat_data.concatenation(chosen), kind="reduce", role=Role.ASSISTANT
            )
            if merged is not None:
                await pane.reload(select=merged.id, follow=True)
            return
        if pane.is_streaming or not pane.can_reach_model():
            return
        thread = pane.snapshot.thread if pane.snapshot else None
        status = pane.services.endpoint_status(thread.endpoint if thread else None, thread.model if thread else None)
        if status.endpoint is None:
            return
        merged = await pane.store_call(
            store.merge, pane.thread_id, ids, "", kind="reduce", role=Role.ASSISTANT,
            status=Status.STREAMING, model=status.endpoint.model, endpoint=status.endpoint.name,
        )
        if merged is None:
            return
        if merged.status is not Status.STREAMING:
            # The same branches were reduced before: that message is shown again.
            await pane.reload(select=merged.id, follow=True)
            return
        request = await asyncio.to_thread(
            chat_data.synthesis_request, store, pane.thread_id, chosen, pane.services.expand
        )
        pane.start_reply(message_id=merged.id, messages=request)
