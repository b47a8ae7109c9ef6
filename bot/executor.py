"""Carry out a list of neutral actions on a chat port, the same way for every runtime."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.port import ChatPort, MessageGone
from handlers.events import Action, AnswerButton, Delete, Edit, Send, SendDocument, SendPhoto
from services.deletions import DeletionService

log = structlog.get_logger(__name__)


async def execute(port: ChatPort, actions: Sequence[Action], deletions: DeletionService) -> None:
    for action in actions:
        if isinstance(action, Send):
            message_id = await port.send(action)
            if action.self_destruct_after is not None:
                # Recorded the moment Telegram gives the id, so a restart still deletes it.
                await deletions.schedule(action.chat_id, message_id, action.self_destruct_after)
        elif isinstance(action, Edit):
            try:
                await port.edit(action)
            except MessageGone:  # too old or deleted: show the screen as a new message
                await port.send(Send(action.chat_id, action.text, action.buttons))
        elif isinstance(action, Delete):
            try:
                await port.delete(action)
            except MessageGone:
                log.info("delete.already_gone", chat_id=action.chat_id)
        elif isinstance(action, AnswerButton):
            await port.answer(action)
        elif isinstance(action, SendDocument):
            await port.send_document(action)
        elif isinstance(action, SendPhoto):
            await port.send_photo_action(action)
