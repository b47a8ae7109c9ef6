"""`cardbot chat`: the same conversation in a terminal. Buttons are numbered choices, picked by
number or by label; a photo is sent by typing the path of an image file."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.app import App
from bot.executor import execute
from bot.money_loop import MoneyLoop
from bot.outbox_sender import OutboxSender
from bot.port import MessageGone
from bot.sweeper import Sweeper
from handlers.events import (
    AnswerButton,
    Button,
    ContactButton,
    Delete,
    Edit,
    Incoming,
    Kind,
    Send,
    SendDocument,
    SendPhoto,
)

_TAG = re.compile(r"<[^>]+>")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


@dataclass
class _Shown:
    text: str
    buttons: list[list[Button]] | None


class TerminalChat:
    """A ChatPort that prints, plus the loop that reads what the person types."""

    def __init__(self, app: App, out: TextIO = sys.stdout, user_id: int = 1) -> None:
        self.app = app
        self.out = out
        self.user_id = user_id
        self.messages: dict[int, _Shown] = {}
        self.keyboard_message: int | None = None
        self.contact: ContactButton | None = None
        self._next_id = 1
        self._awaiting_phone = False
        self.sweeper = Sweeper(self, app.services.deletions, max_wait=0.5)
        self.outbox_sender = OutboxSender(self, app.services.outbox, max_wait=0.5)

    # -- ChatPort --
    async def send(self, action: Send) -> int:
        message_id = self._next_id
        self._next_id += 1
        self.messages[message_id] = _Shown(action.text, action.buttons)
        if action.buttons:
            self.keyboard_message = message_id
        if action.contact_button:
            self.contact = action.contact_button
        elif action.remove_reply_keyboard:
            self.contact = None
        note = ""
        if action.self_destruct_after:
            note = f"   [protected · deletes itself in {action.self_destruct_after}s]"
        self._print(f"\n🤖 #{message_id}{note}\n{plain(action.text)}")
        if action.self_destruct_after:
            self.sweeper.poke()
        return message_id

    async def deliver(self, action: Send) -> int:
        """`OutboundPort`: an alert from the outbound queue, shown like any other message."""
        return await self.send(action)

    async def edit(self, action: Edit) -> None:
        if action.message_id not in self.messages:
            raise MessageGone(str(action.message_id))
        self.messages[action.message_id] = _Shown(action.text, action.buttons)
        if action.buttons:
            self.keyboard_message = action.message_id
        self._print(f"\n🤖 #{action.message_id} (updated)\n{plain(action.text)}")

    async def delete(self, action: Delete) -> None:
        if self.messages.pop(action.message_id, None) is None:
            raise MessageGone(str(action.message_id))
        if self.keyboard_message == action.message_id:
            self.keyboard_message = None
        self._print(f"\n🗑  message #{action.message_id} was deleted")

    async def answer(self, action: AnswerButton) -> None:
        if action.text:
            self._print(f"   ⓘ {action.text}")

    async def send_document(self, action: SendDocument) -> int:
        path = Path(action.filename).name
        await asyncio.to_thread(Path(path).write_bytes, action.content)
        return await self.send(Send(action.chat_id, f"📎 saved {path}\n{action.caption}"))

    async def send_photo_action(self, action: SendPhoto) -> int:
        message_id = self._next_id  # the id the picture's message will get
        suffix = ".png" if action.image.startswith(b"\x89PNG") else ".jpg"
        path = await asyncio.to_thread(_save, f"cardbot-photo-{message_id}{suffix}", action.image)
        lines = [f"🖼 picture saved to {html.escape(str(path))}"]
        if action.caption:
            lines.append(action.caption)
        return await self.send(
            Send(
                action.chat_id,
                "\n".join(lines),
                action.buttons,
                protect_content=action.protect_content,
            )
        )

    # -- the person's side --
    def choices(self) -> list[tuple[str, str | None]]:
        """(label, callback data) for the live keyboard; data None for the share-phone button."""
        found: list[tuple[str, str | None]] = []
        shown = self.messages.get(self.keyboard_message or -1)
        if shown and shown.buttons:
            found = [(b.label, b.data) for row in shown.buttons for b in row]
        if self.contact:
            found.append((self.contact.label, None))
        return found

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _print_choices(self) -> None:
        for number, (label, _) in enumerate(self.choices(), start=1):
            self._print(f"  [{number}] {label}")

    def to_incoming(self, line: str) -> Incoming | None:
        line = line.strip()
        base: dict[str, Any] = {
            "user_id": self.user_id,
            "chat_id": self.user_id,
            "language_code": "en",
        }
        if self._awaiting_phone:
            self._awaiting_phone = False
            return Incoming(
                kind=Kind.CONTACT, contact_phone=line, contact_user_id=self.user_id, **base
            )
        if not line:
            return None
        picked = self._pick(line)
        if picked is not None:
            label, data = picked
            if data is None:  # the share-phone button: ask which number this "account" has
                self._awaiting_phone = True
                self._print("📱 Phone number of this account (with country code):")
                return None
            return Incoming(
                kind=Kind.BUTTON,
                data=data,
                callback_id=label,
                message_id=self.keyboard_message,
                **base,
            )
        path = Path(line).expanduser()
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            return Incoming(kind=Kind.PHOTO, photo=path.read_bytes(), **base)
        if line.startswith("/"):
            name, _, rest = line[1:].partition(" ")
            return Incoming(kind=Kind.COMMAND, command=name.lower(), text=rest.strip(), **base)
        return Incoming(kind=Kind.TEXT, text=line, **base)

    def _pick(self, line: str) -> tuple[str, str | None] | None:
        options = self.choices()
        if line.isdigit() and 1 <= int(line) <= len(options) and len(line) <= 2:
            return options[int(line) - 1]
        wanted = line.casefold()
        exact = [o for o in options if o[0].casefold() == wanted]
        if exact:
            return exact[0]
        partial = [o for o in options if wanted in o[0].casefold()]
        return partial[0] if len(partial) == 1 and len(wanted) >= 3 else None

    async def say(self, line: str) -> None:
        incoming = self.to_incoming(line)
        if incoming is None:
            return
        actions = await self.app.conversation.handle(incoming)
        await execute(self, actions, self.app.services.deletions)
        self._print_choices()

    async def run(self, lines: AsyncIterator[str]) -> None:
        self._print(
            "cardbot in your terminal. Type a choice's number or label, a message, a /command,"
            " or the path of an image to send a photo. Ctrl-D quits."
        )
        sweeper = asyncio.create_task(self.sweeper.run())
        sender = asyncio.create_task(self.outbox_sender.run())
        money = MoneyLoop(self.app.services.cards)  # finishes what a crash interrupted
        moving = asyncio.create_task(money.run())
        try:
            await self.say("/start")
            async for line in lines:
                await self.say(line)
        finally:
            await self.sweeper.sweep_once()
            sweeper.cancel()
            self.outbox_sender.stop()  # the alert being shown is marked sent
            await sender
            money.stop()
            await moving


def _save(name: str, content: bytes) -> Path:
    """Write a file the bot sent into the current directory; its full path."""
    path = Path(name).resolve()
    path.write_bytes(content)
    return path


async def stdin_lines() -> AsyncIterator[str]:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line
