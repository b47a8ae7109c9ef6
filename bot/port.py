"""What every runtime (aiogram, python-telegram-bot, terminal) can do to a chat."""

from __future__ import annotations

from typing import Protocol

from handlers.events import AnswerButton, Delete, Edit, Send, SendDocument, SendPhoto


class MessageGone(Exception):
    """The message to edit or delete no longer exists (or is too old to touch)."""


class FloodWait(Exception):
    """Telegram's flood control refused the call (HTTP 429): nothing was sent, and the same call
    may be made again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"flood control: retry after {retry_after:g}s")
        self.retry_after = retry_after


class Undeliverable(Exception):
    """Telegram will never take this message: the person blocked the bot or deleted their
    account, the chat does not exist, or the message itself is refused (HTTP 403, 400). Sending
    it again cannot succeed."""


class ChatPort(Protocol):
    async def send(self, action: Send) -> int:
        """Send a message; return its message id."""

    async def edit(self, action: Edit) -> None:
        """Edit a message in place; raise MessageGone when it cannot be edited."""

    async def delete(self, action: Delete) -> None:
        """Delete a message; raise MessageGone when it is already gone."""

    async def answer(self, action: AnswerButton) -> None: ...

    async def send_document(self, action: SendDocument) -> int: ...

    async def send_photo_action(self, action: SendPhoto) -> int:
        """Send a picture; return its message id."""


class OutboundPort(Protocol):
    """How the outbound queue sends: once, reporting instead of waiting (the queue keeps the
    message and decides when to try again)."""

    async def deliver(self, action: Send) -> int:
        """Send a message once; return its message id. Raise `FloodWait` on a 429 (never wait
        it out here) and `Undeliverable` when Telegram refuses it for good; any other error
        is taken as passing trouble."""


class TelegramPort(ChatPort, OutboundPort, Protocol):
    """A runtime's port: the conversation's actions and the outbound queue's sends."""
