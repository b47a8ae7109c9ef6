"""A chat double for conversation tests: a person pressing buttons and typing, with the bot's
actions carried out by the real executor on an in-memory chat."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from itertools import count

from bot.app import App
from bot.executor import execute
from bot.port import MessageGone
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

_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Message:
    id: int
    text: str
    buttons: list[list[Button]] | None = None
    contact_button: ContactButton | None = None
    protect_content: bool = False
    from_bot: bool = True
    image: bytes | None = None  # a picture the bot sent (SendPhoto)

    @property
    def plain(self) -> str:
        """The text as Telegram shows it: tags rendered away, entities decoded."""
        return html.unescape(_TAGS.sub("", self.text))


@dataclass
class ChatUser:
    app: App
    user_id: int = 1001
    language: str = "en"
    username: str = ""
    messages: dict[int, Message] = field(default_factory=dict)
    log: list[Message] = field(default_factory=list)  # every message ever sent, in order
    toasts: list[AnswerButton] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    focus: int | None = None  # the bot message sent or edited last: what the person looks at
    _ids: count = field(default_factory=lambda: count(1))

    @property
    def chat_id(self) -> int:
        return self.user_id

    # -- ChatPort --
    async def send(self, action: Send) -> int:
        message = Message(
            next(self._ids),
            action.text,
            action.buttons,
            action.contact_button,
            action.protect_content,
        )
        self.messages[message.id] = message
        self.log.append(message)
        self.focus = message.id
        return message.id

    async def edit(self, action: Edit) -> None:
        message = self.messages.get(action.message_id)
        if message is None:
            raise MessageGone(str(action.message_id))
        message.text, message.buttons = action.text, action.buttons
        self.focus = message.id

    async def delete(self, action: Delete) -> None:
        if self.messages.pop(action.message_id, None) is None:
            raise MessageGone(str(action.message_id))
        self.deleted.append(action.message_id)

    async def answer(self, action: AnswerButton) -> None:
        self.toasts.append(action)

    async def send_document(self, action: SendDocument) -> int:
        return await self.send(Send(action.chat_id, action.caption))

    async def send_photo_action(self, action: SendPhoto) -> int:
        message_id = await self.send(
            Send(
                action.chat_id,
                action.caption,
                action.buttons,
                protect_content=action.protect_content,
            )
        )
        self.messages[message_id].image = action.image
        return message_id

    # -- the person --
    async def _deliver(self, incoming: Incoming) -> list[object]:
        actions = await self.app.conversation.handle(incoming)
        await execute(self, actions, self.app.services.deletions)
        return list(actions)

    def _incoming(self, kind: Kind, **fields: object) -> Incoming:
        return Incoming(
            user_id=self.user_id,
            chat_id=self.chat_id,
            kind=kind,
            language_code=self.language,
            username=self.username,
            **fields,  # type: ignore[arg-type]
        )

    async def type(self, text: str) -> list[object]:
        message_id = next(self._ids)
        self.messages[message_id] = Message(message_id, text, from_bot=False)
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            return await self._deliver(
                self._incoming(
                    Kind.COMMAND, command=name.lower(), text=rest.strip(), message_id=message_id
                )
            )
        return await self._deliver(self._incoming(Kind.TEXT, text=text, message_id=message_id))

    async def share_contact(self, phone: str, owner: int | None = None) -> list[object]:
        owner = self.user_id if owner is None else owner
        return await self._deliver(
            self._incoming(Kind.CONTACT, contact_phone=phone, contact_user_id=owner)
        )

    async def send_photo(self, data: bytes) -> list[object]:
        return await self._deliver(self._incoming(Kind.PHOTO, photo=data))

    async def send_other(self) -> list[object]:
        return await self._deliver(self._incoming(Kind.OTHER))

    def find(self, label: str) -> tuple[int, str]:
        """The newest live bot message with a button whose label contains ``label``."""
        for message in sorted(self.messages.values(), key=lambda m: -m.id):
            for row in message.buttons or []:
                for button in row:
                    if label.lower() in button.label.lower():
                        return message.id, button.data
        raise AssertionError(f"no button {label!r}; screen: {self.screen_text()}")

    async def press(self, label: str) -> list[object]:
        message_id, data = self.find(label)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[object]:
        return await self._deliver(
            self._incoming(
                Kind.BUTTON, data=data, callback_id=f"cb{next(self._ids)}", message_id=message_id
            )
        )

    # -- reading the chat --
    @property
    def last(self) -> Message:
        bot_messages = [m for m in self.messages.values() if m.from_bot]
        return max(bot_messages, key=lambda m: m.id)

    @property
    def screen(self) -> Message:
        """The bot message sent or edited most recently (still in the chat)."""
        if self.focus in self.messages:
            return self.messages[self.focus]
        return self.last

    def screen_text(self) -> str:
        return self.screen.plain if self.messages else ""

    def labels(self, message: Message | None = None) -> list[str]:
        message = message or self.screen
        return [b.label for row in message.buttons or [] for b in row]

    @property
    def last_toast(self) -> AnswerButton:
        return self.toasts[-1]
