"""Map and reduce in a chat pane: fork one branch per question, bring branches back.

A mixin of `ChatPane` (kept apart so each file stays readable): it uses the pane's
services, snapshot, log and the helpers `_store_call`, `_can_reach_model`, `_start_reply`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from tui.dialogs.chat import BranchChoice, MapScreen, ReduceResult, ReduceScreen
from tui.messages import ThreadsChanged
from tui.threads import chat_data
from tui.threads.model import Message, Role, Status
from tui.threads.titles import title_from

if TYPE_CHECKING:
    from tui.views.chat import ChatPane

    _Base = ChatPane
else:
    _Base = object


class MapReduceActions(_Base):
    def _map(self, message: Message) -> None:
        def done(questions: list[str] | None) -> None:
            if questions:
                self._run_map(message, questions)

        self.app.push_screen(MapScreen(chat_data.excerpt(message.content, 50)), done)

    @work(group="chat-action")
    async def _run_map(self, message: Message, questions: list[str]) -> None:
        store, replies = self.services.store, self.services.replies
        if store is None or replies is None or not self._can_reach_model():
            return
        started = 0
        for question in questions:
            # Titled by the question alone: in the sidebar, branches differ only by it.
            fork = await self._store_call(store.fork, self.thread_id, message.id, title=title_from(question))
            if fork is None:
                break
            if await self._store_call(store.append, fork.id, Role.USER, question) is None:
                break
            status = self.services.endpoint_status(fork.endpoint, fork.model)
            if status.endpoint is not None:
                replies.start(fork.id, endpoint=status.endpoint.name, model=status.endpoint.model)
                started += 1
        self.post_message(ThreadsChanged())
        await self.reload()
        self.notify(
            f"{started} branches are running. Open them from the threads list; ctrl+r reduces them here.",
            title="Map",
            timeout=8,
        )

    def action_reduce(self) -> None:
        self._reduce()

    @work(group="chat-action")
    async def _reduce(self) -> None:
        store = self.services.store
        if store is None:
            return
        found = await asyncio.to_thread(chat_data.branches, store, self.thread_id)
        if not found:
            self.notify("This thread has no forks to reduce; map a message first (m).", severity="warning")
            return
        choices = [
            BranchChoice(b.thread_id, b.title, chat_data.excerpt(b.answer), b.finished) for b in found
        ]
        can_synthesise = self.services.endpoint_status(
            self.snapshot.thread.endpoint if self.snapshot else None
        ).endpoint is not None
        result = await self.app.push_screen_wait(ReduceScreen(choices, can_synthesise=can_synthesise))
        if result is not None:
            await self._run_reduce(result, [b for b in found if b.thread_id in result.thread_ids])

    async def _run_reduce(self, result: ReduceResult, chosen: list[chat_data.Branch]) -> None:
        store, replies = self.services.store, self.services.replies
        if store is None or replies is None:
            return
        ids = [b.thread_id for b in chosen]
        if result.mode == "concatenation":
            merged = await self._store_call(
                store.merge, self.thread_id, ids, chat_data.concatenation(chosen), kind="reduce", role=Role.ASSISTANT
            )
            if merged is not None:
                await self.reload(select=merged.id, follow=True)
            return
        if self.is_streaming or not self._can_reach_model():
            return
        thread = self.snapshot.thread if self.snapshot else None
        status = self.services.endpoint_status(thread.endpoint if thread else None, thread.model if thread else None)
        assert status.endpoint is not None
        merged = await self._store_call(
            store.merge, self.thread_id, ids, "", kind="reduce", role=Role.ASSISTANT,
            status=Status.STREAMING, model=status.endpoint.model, endpoint=status.endpoint.name,
        )
        if merged is None:
            return
        if merged.status is not Status.STREAMING:
            # The same branches were reduced before: that message is shown again.
            await self.reload(select=merged.id, follow=True)
            return
        request = await asyncio.to_thread(
            chat_data.synthesis_request, store, self.thread_id, chosen, self.services.expand
        )
        self._start_reply(message_id=merged.id, messages=request)

