"""What every runtime (aiogram, python-telegram-bot, terminal) can do to a chat."""

from __future__ import annotations

from typing import Protocol

from handlers.events import AnswerButton, Delete, Edit, Send, SendDocument


class MessageGone(Exception):
    """The message to edit or delete no longer exists (or is too old to touch)."""


class ChatPort(Protocol):
    async def send(self, action: Send) -> int:
        """Send a message; return its message id."""

    async def edit(self, action: Edit) -> None:
        """Edit a message in place; raise MessageGone when it cannot be edited."""

    async def delete(self, action: Delete) -> None:
        """Delete a message; raise MessageGone when it is already gone."""

    async def answer(self, action: AnswerButton) -> None: ...

    async def send_document(self, action: SendDocument) -> int: ...
