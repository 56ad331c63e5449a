"""A message's branching actions in a chat pane: switch to a sibling, fork, edit, regenerate,
and reveal a message on another branch.

`MessageActions` is owned by the pane (`ChatPane.actions`) and reaches it only as a
`ChatHost`. Its methods are coroutines the pane runs as workers (edit waits on a dialog).
Nothing is overwritten: an edit or a regenerated reply is a new sibling of the message.
"""

from __future__ import annotations

import asyncio

from tui.dialogs.chat import EditMessageScreen
from tui.errors import LoupeError
from tui.messages import OpenThread, ThreadsChanged
from tui.threads import chat_data
from tui.threads.model import Message, Role
from tui.views.chat_host import ChatHost


class MessageActions:
    def __init__(self, pane: ChatHost) -> None:
        self._pane = pane

    async def switch_sibling(self, message: Message, delta: int) -> None:
        """Show the previous (-1) or next (1) version of `message` and what followed it."""
        pane = self._pane
        store = pane.services.store
        position = pane.snapshot.positions.get(message.id) if pane.snapshot else None
        target = (position.previous_id if delta < 0 else position.next_id) if position else None
        if store is None or target is None:
            return
        await pane.store_call(store.switch_branch, pane.thread_id, target)
        await pane.reload(select=target)

    async def fork(self, message: Message) -> None:
        """A new thread sharing the history up to `message`, opened in its own tab."""
        pane = self._pane
        store = pane.services.store
        if store is None:
            return
        title = pane.snapshot.thread.title if pane.snapshot else ""
        fork = await pane.store_call(
            store.fork, pane.thread_id, message.id,
            title=f"{title or 'thread'} ⑂ {chat_data.excerpt(message.content, 24)}",
        )
        if fork is not None:
            pane.post_message(ThreadsChanged(select=fork.id))
            pane.post_message(OpenThread(fork.id, title=fork.title))

    async def edit(self, message: Message) -> None:
        """Edit `message` as a new sibling; run the model again from it if asked to."""
        pane = self._pane
        if pane.is_streaming:
            pane.notify("Wait for the reply to finish (or press escape) before editing.", severity="warning")
            return
        result = await pane.app.push_screen_wait(EditMessageScreen(message.content, role=str(message.role)))
        store = pane.services.store
        if result is None or store is None:
            return
        edited = await pane.store_call(store.edit, pane.thread_id, message.id, result.text)
        if edited is None:
            return
        await pane.reload(select=edited.id, follow=result.rerun, replying=result.rerun)
        if result.rerun:
            pane.start_reply()

    async def regenerate(self, message: Message) -> None:
        """A new reply in place of an assistant message (its sibling), or to an unanswered question."""
        pane = self._pane
        if pane.is_streaming:
            return
        if message.role is Role.ASSISTANT:
            pane.start_reply(parent_id=message.parent_id)
        elif message.role is Role.USER and pane.snapshot and pane.snapshot.history[-1].id == message.id:
            pane.start_reply()  # a question nobody answered yet (a fork made at it)

    async def reveal(self, message_id: str) -> None:
        """Select a message that is not shown: an older one, or one on another branch of this
        thread (a search hit on an edited-away question), whose branch is then switched to."""
        pane = self._pane
        store, snapshot = pane.services.store, pane.snapshot
        if store is None or snapshot is None:
            return
        log = pane.log
        if any(m.id == message_id for m in snapshot.history):
            while log.view_for(message_id) is None and log.shown_from > 0:
                await log.show_earlier()
            log.select(message_id)
            return
        try:
            message = await asyncio.to_thread(store.message, message_id)
        except LoupeError:
            return
        if message.thread_id != pane.thread_id:
            return  # not this thread's own message: leave its branches alone
        if await pane.store_call(store.switch_branch, pane.thread_id, message_id) is not None:
            await pane.reload(select=message_id)
