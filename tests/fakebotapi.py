"""A small, honest fake of the Telegram Bot API for adapter tests.

It serves `/bot<token>/<method>` and `/file/bot<token>/<path>` on 127.0.0.1 (random port) the
way api.telegram.org does, for the methods the bot uses, and refuses what Telegram refuses:
unknown methods (404), a wrong token (401), missing chat_id or text, unknown chats, messages
that are too long, HTML it cannot parse, malformed or oversized keyboards, edits that change
nothing, edits and deletions of messages that are gone, callback queries answered twice,
photos that are not images or are too large.
Parameters are read from the query string, url-encoded or multipart forms and JSON bodies, as
Telegram does.

It records every call (`calls`, with decoded parameters and the outcome) and keeps each chat's
messages as the person would see them. Tests push updates with `user_sends_text`,
`user_presses`, `user_sends_contact`, `user_sends_photo`… and await what the bot does with
`wait_for_call`, `wait_for_button` or `wait_until` — never by sleeping.
"""

from __future__ import annotations

import asyncio
import html
import io
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from PIL import Image, UnidentifiedImageError

T = TypeVar("T")

DEFAULT_TOKEN = "123456:" + "A" * 35
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_SIZES = (90, 320, 800, 1280)  # the sides of the sizes Telegram makes of a photo

# Bot API method names are case-insensitive; the fake records the documented spelling.
METHODS = {
    name.lower(): name
    for name in (
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
        "getFile",
        "sendDocument",
        "sendPhoto",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "deleteMyCommands",
        "close",
        "logOut",
    )
}

INT_FIELDS = {"message_id", "offset", "limit", "timeout", "cache_time"}
BOOL_FIELDS = {
    "protect_content",
    "show_alert",
    "disable_notification",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "disable_content_type_detection",
}
JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
}
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


class ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ---------------------------------------------------------------------------------------------
# Telegram's HTML parse mode
# ---------------------------------------------------------------------------------------------

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR = re.compile(r"""\s*([A-Za-z_][\w-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram HTML → (plain text, entities with UTF-16 offsets). Raises `ApiError` where
    Telegram answers "can't parse entities"."""

    def fail(reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def byte_offset(index: int) -> int:
        return len(source[:index].encode())

    out: list[str] = []
    length = 0  # UTF-16 units written so far
    stack: list[tuple[str, int, dict[str, Any]]] = []  # tag, start offset, entity extras
    entities: list[dict[str, Any]] = []
    opened: dict[int, int] = {}  # entity → nesting depth
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            end = source.find(">", i)
            if end == -1:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(i)}")
            inner = source[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset(i)}")
                open_name, start, extra = stack.pop()
                if name != open_name:
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, expected "
                        f'"</{open_name}>", found "</{name}>"'
                    )
                if length > start:  # Telegram drops empty entities
                    kind = _TAGS[open_name]
                    if open_name == "blockquote" and extra.get("expandable"):
                        kind = "expandable_blockquote"
                    entity = {"type": kind, "offset": start, "length": length - start}
                    opened[id(entity)] = len(stack)  # outer entities first at the same offset
                    entity.update({k: v for k, v in extra.items() if k != "expandable"})
                    entities.append(entity)
            else:
                match = re.match(r"([A-Za-z][\w-]*)", inner)
                if match is None:
                    raise fail(f"Unexpected end of name token at byte offset {byte_offset(i + 1)}")
                name = match.group(1).lower()
                if name not in _TAGS:
                    raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}')
                attrs: dict[str, str] = {}
                rest = inner[match.end() :]
                while rest.strip():
                    attr = _ATTR.match(rest)
                    if attr is None or attr.end() == 0:
                        raise fail(f"Expected equal sign at byte offset {byte_offset(i)}")
                    value = attr.group(2) or ""
                    if value[:1] in "\"'":
                        value = value[1:-1]
                    attrs[attr.group(1).lower()] = html.unescape(value)
                    rest = rest[attr.end() :]
                details: dict[str, Any] = {}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise fail(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}'
                    )
                if name == "a":
                    if "href" not in attrs:
                        raise fail(
                            f'Tag "a" must have attribute "href" at byte offset {byte_offset(i)}'
                        )
                    details["url"] = attrs["href"]
                if name == "tg-emoji":
                    details["custom_emoji_id"] = attrs.get("emoji-id", "")
                if name == "blockquote" and "expandable" in attrs:
                    details["expandable"] = True
                stack.append((name, length, details))
            i = end + 1
            continue
        if char == "&":
            entity_match = _ENTITY.match(source, i)
            if entity_match is not None:
                decoded = html.unescape(entity_match.group(0))
                out.append(decoded)
                length += _utf16_len(decoded)
                i = entity_match.end()
                continue
        out.append(char)
        length += _utf16_len(char)
        i += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"], opened[id(e)]))
    return "".join(out), entities


# ---------------------------------------------------------------------------------------------
# People, messages, calls
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str = "Ada"
    username: str | None = "ada"
    language_code: str | None = "en"
    last_name: str | None = None

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def private_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    path: str
    content: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class ChatMessage:
    """A message as both people in the chat see it now."""

    chat: dict[str, Any]
    message_id: int
    from_bot: bool
    sender: dict[str, Any]
    date: int
    text: str | None = None  # plain text (after HTML parsing) or caption
    html: str | None = None  # what the bot sent, before parsing
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None  # inline keyboard only, as Telegram keeps it
    protect_content: bool = False
    deleted: bool = False
    edited: int = 0
    changed_at: int = 0  # index in `calls` of the call that last changed it (bot messages)
    extra: dict[str, Any] = field(default_factory=dict)  # contact, photo, document…

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        if not self.reply_markup:
            return []
        return [
            (b["text"], b.get("callback_data", ""))
            for row in self.reply_markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, label: str) -> str | None:
        """Callback data of the button with this label (exact, else a unique partial match,
        ignoring case)."""
        buttons = self.buttons()
        for text, data in buttons:
            if text == label:
                return data
        partial = [data for text, data in buttons if label.casefold() in text.casefold()]
        return partial[0] if len(partial) == 1 else None

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edited:
            data["edit_date"] = self.date + self.edited
        if self.text is not None:
            key = "caption" if ("photo" in self.extra or "document" in self.extra) else "text"
            data[key] = self.text
            if self.entities:
                data["caption_entities" if key == "caption" else "entities"] = self.entities
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.protect_content:
            data["has_protected_content"] = True
        data.update(self.extra)
        return data


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, StoredFile] = field(default_factory=dict)
    ok: bool = True
    status: int = 200
    error: str | None = None
    result: Any = None
    index: int = 0
    abandoned: bool = False  # the client had hung up before the answer (a cancelled long poll)

    def upload(self, param: str) -> StoredFile | None:
        """The file sent for `param`: its own multipart part, or the part named by an
        "attach://<name>" value."""
        value = self.params.get(param)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return self.files.get(param)

    def __repr__(self) -> str:  # short, for assertion messages
        shown = {k: v for k, v in self.params.items() if k != "text"}
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"<{self.index} {self.method} {shown} → {outcome}>"


@dataclass
class _Chat:
    info: dict[str, Any]
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None  # what the person's keyboard area shows
    blocked: bool = False


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class FakeBotAPI:
    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "CardTestBot") -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Card Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.chats: dict[int, _Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id → {answered, text, alert}
        self.commands: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000)
        self._ids = itertools.count(1)
        self._allowed_updates: list[str] | None = None
        self._poller: asyncio.Future[str] | None = None
        self._tick = asyncio.Event()
        self._closing = False
        self._floods: dict[str, int] = {}
        self._flood_wait = 1
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _notify(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    # -- what people do (test side) -----------------------------------------------------------

    def _private(self, user: FakeUser) -> _Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = _Chat(user.private_chat())
        return chat

    def _user_message(self, user: FakeUser, chat: _Chat, **content: Any) -> ChatMessage:
        message = ChatMessage(
            chat=chat.info,
            message_id=chat.next_message_id,
            from_bot=False,
            sender=user.as_api(),
            date=int(time.time()),
            text=content.pop("text", None),
            entities=content.pop("entities", []),
            extra=content,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        return message

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    def user_sends_text(self, user: FakeUser, text: str) -> ChatMessage:
        chat = self._private(user)
        entities = []
        command = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        message = self._user_message(user, chat, text=text, entities=entities)
        self._push("message", message.as_api())
        return message

    def user_sends_contact(
        self,
        user: FakeUser,
        phone: str,
        contact_user_id: int | None = None,
        first_name: str | None = None,
    ) -> ChatMessage:
        """Shares a contact; by default the person's own (what a request_contact button
        sends). Pass another `contact_user_id` for a forwarded contact card."""
        chat = self._private(user)
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or user.first_name,
            "user_id": user.id if contact_user_id is None else contact_user_id,
        }
        message = self._user_message(user, chat, contact=contact)
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self._push("message", message.as_api())
        return message

    def _store_file(
        self,
        content: bytes,
        folder: str,
        ext: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        n = next(self._ids)
        stored = StoredFile(
            file_id=f"F{n:06d}-{folder}",
            file_unique_id=f"U{n:06d}",
            path=f"{folder}/file_{n}.{ext}",
            content=content,
            filename=filename,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def user_sends_photo(self, user: FakeUser, content: bytes, caption: str = "") -> ChatMessage:
        """A photo as Telegram delivers it: several sizes, smallest first; the largest holds
        `content`, the smaller ones other bytes."""
        chat = self._private(user)
        sizes = []
        for width, data in (
            (90, b"thumbnail:" + content[:16]),
            (320, b"medium:" + content[:32]),
            (1280, content),
        ):
            stored = self._store_file(data, "photos", "jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": width * 3 // 4,
                    "file_size": len(data),
                }
            )
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields["text"] = caption
        message = self._user_message(user, chat, **fields)
        self._push("message", message.as_api())
        return message

    def user_sends_document(
        self, user: FakeUser, content: bytes, filename: str, mime_type: str
    ) -> ChatMessage:
        chat = self._private(user)
        stored = self._store_file(
            content,
            "documents",
            filename.rsplit(".", 1)[-1],
            filename=filename,
            mime_type=mime_type,
        )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        message = self._user_message(user, chat, document=document)
        self._push("message", message.as_api())
        return message

    def user_sends_sticker(self, user: FakeUser) -> ChatMessage:
        chat = self._private(user)
        stored = self._store_file(b"sticker", "stickers", "webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        message = self._user_message(user, chat, sticker=sticker)
        self._push("message", message.as_api())
        return message

    def user_writes_in_group(self, user: FakeUser, group_id: int, text: str) -> int:
        """A message in a group the bot is in (the bot serves private chats only)."""
        chat = self.chats.get(group_id)
        if chat is None:
            chat = self.chats[group_id] = _Chat(
                {"id": group_id, "type": "group", "title": "Some group"}
            )
        message = self._user_message(user, chat, text=text)
        return self._push("message", message.as_api())

    def user_presses(
        self,
        user: FakeUser,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
    ) -> str:
        """Presses the inline button with this callback data on a message; returns the
        callback query id. Only a button that is on the message can be pressed."""
        chat = self.chats[chat_id if chat_id is not None else user.id]
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise AssertionError(f"message {message_id} is not in the chat")
        if data not in [d for _, d in message.buttons()]:
            raise AssertionError(
                f"no button with data {data!r} on message {message_id}: {message.buttons()}"
            )
        query_id = f"{next(self._ids)}{user.id}"
        self.callback_queries[query_id] = {"answered": False, "text": None, "alert": False}
        self._push(
            "callback_query",
            {
                "id": query_id,
                "from": user.as_api(),
                "message": message.as_api(),
                "chat_instance": f"ci{chat.info['id']}",
                "data": data,
            },
        )
        return query_id

    def press(self, user: FakeUser, label: str) -> str:
        """Presses the button with this label on the latest bot message that carries one."""
        found = self.find_button(user.id, label)
        if found is None:
            raise AssertionError(
                f"no button {label!r} in chat {user.id}: "
                f"{[m.buttons() for m in self.bot_messages(user.id)]}"
            )
        message, data = found
        return self.user_presses(user, message.message_id, data)

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Refuse the next `times` calls of `method` with 429 Too Many Requests, as Telegram's
        flood control does (nothing happens; the bot may retry after `retry_after` s)."""
        self._floods[method] = times
        self._flood_wait = retry_after

    def block(self, user: FakeUser) -> None:
        self._private(user).blocked = True

    # -- what the bot did (test side) ---------------------------------------------------------

    def mark(self) -> int:
        """A position in `calls`: pass it as `since` to look only at later calls."""
        return len(self.calls)

    def calls_of(self, method: str, *, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method == method]

    def failed_calls(self, *, since: int = 0) -> list[Call]:
        """Refused calls whose answer reached the bot."""
        return [c for c in self.calls[since:] if not c.ok and not c.abandoned]

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if include_deleted or not m.deleted]

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [m for m in self.messages(chat_id, include_deleted=include_deleted) if m.from_bot]

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        return self.chats[chat_id].messages[message_id]

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        chat = self.chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def latest_keyboard_message(self, chat_id: int, *, since: int = 0) -> ChatMessage | None:
        """The live bot message with an inline keyboard that was sent or edited last (and at or
        after `since`): the screen the person is looking at."""
        candidates = [
            m for m in self.bot_messages(chat_id) if m.reply_markup and m.changed_at >= since
        ]
        return max(candidates, key=lambda m: (m.changed_at, m.message_id), default=None)

    def find_text(self, chat_id: int, fragment: str, *, since: int = 0) -> ChatMessage | None:
        """The latest live bot message sent or edited at or after `since` whose text (as the
        person sees it, after HTML parsing) contains `fragment`."""
        found = [
            m
            for m in self.bot_messages(chat_id)
            if m.changed_at >= since and m.text is not None and fragment in m.text
        ]
        return max(found, key=lambda m: (m.changed_at, m.message_id), default=None)

    def find_button(
        self, chat_id: int, label: str, *, since: int = 0
    ) -> tuple[ChatMessage, str] | None:
        message = self.latest_keyboard_message(chat_id, since=since)
        if message is None:
            return None
        data = message.button(label)
        return (message, data) if data is not None else None

    async def wait_until(self, condition: Callable[[], T | None], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until `condition()` returns something truthy (checked after every change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            tick = self._tick
            value = condition()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s; last calls: {self.calls[-8:]}")
            try:
                await asyncio.wait_for(tick.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
        ok: bool | None = True,
    ) -> Call:
        """The first call of `method` at or after `since` that matches (and succeeded, unless
        `ok` says otherwise)."""

        def find() -> Call | None:
            for call in self.calls[since:]:
                if call.method != method or (ok is not None and call.ok != ok):
                    continue
                if predicate is None or predicate(call):
                    return call
            return None

        return await self.wait_until(find, timeout)

    async def wait_for_button(
        self,
        chat_id: int,
        label: str,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> tuple[ChatMessage, str]:
        """Wait until the latest bot message with a keyboard (sent or edited at or after
        `since`) has a button with this label; returns the message and the button's data."""
        return await self.wait_until(lambda: self.find_button(chat_id, label, since=since), timeout)

    async def wait_for_text(
        self,
        chat_id: int,
        fragment: str,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        return await self.wait_until(
            lambda: self.find_text(chat_id, fragment, since=since), timeout
        )

    async def wait_answered(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        return await self.wait_until(
            lambda: (
                self.callback_queries[query_id]
                if self.callback_queries[query_id]["answered"]
                else None
            ),
            timeout,
        )

    # -- HTTP ---------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._download(path.removeprefix("/file/bot"))
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)", path)
        if match is None:
            return _error_response(ApiError(404, "Not Found"))
        token, raw_method = match.groups()
        method = METHODS.get(raw_method.lower(), raw_method)
        call = Call(method=method, params={}, index=len(self.calls))
        try:
            unreadable: ApiError | None = None
            try:
                raw, call.files = await _read_params(request)
            except ApiError as exc:
                raw, unreadable = {}, exc
            call.params = raw
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_m_{method}", None)
            if raw_method.lower() not in METHODS or handler is None:
                raise ApiError(404, "Not Found")
            if unreadable is not None:
                raise unreadable
            call.params = _normalise(raw)
            if self._floods.get(method):
                self._floods[method] -= 1
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {self._flood_wait}",
                    {"retry_after": self._flood_wait},
                )
            if method == "getUpdates":
                # Long polls are recorded when they answer, not while they wait.
                call.result = await handler(call, request)
            else:
                call.result = handler(call)
        except ApiError as exc:
            call.ok, call.status, call.error = False, exc.code, exc.description
            call.abandoned = _gone(request)
            self._record(call)
            return _error_response(exc)
        call.abandoned = _gone(request)
        self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    def _record(self, call: Call) -> None:
        call.index = len(self.calls)
        self.calls.append(call)
        self._notify()

    async def _download(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _error_response(ApiError(404, "Not Found"))
        for stored in self.files.values():
            if stored.path == file_path:
                return web.Response(body=stored.content, content_type="application/octet-stream")
        return _error_response(ApiError(404, "Not Found"))

    # -- shared checks --------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.chats.get(key)
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    @staticmethod
    def _message_id(params: dict[str, Any]) -> int:
        value = params.get("message_id")
        if value in (None, ""):
            raise bad_request("message identifier is not specified")
        if not isinstance(value, int):
            raise bad_request("message identifier is not specified")
        return value

    @staticmethod
    def _text(
        params: dict[str, Any], key: str = "text", limit: int = MAX_TEXT, required: bool = True
    ) -> tuple[str, list[dict[str, Any]], str] | None:
        source = params.get(key)
        if source is None or (isinstance(source, str) and not source.strip()):
            if required:
                raise bad_request("message text is empty")
            return None
        source = str(source)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            plain, entities = parse_html(source)
        elif mode == "":
            plain, entities = source, list(params.get("entities") or [])
        else:
            raise bad_request(f"unsupported parse_mode {params.get('parse_mode')}")
        if not plain.strip():
            raise bad_request(
                "text must be non-empty" if key == "text" else "message caption is empty"
            )
        if _utf16_len(plain) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return plain, entities, source

    @staticmethod
    def _markup(params: dict[str, Any], *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "inline_keyboard" must be an Array of Arrays')
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request(
                            "can't parse inline keyboard button: Text buttons "
                            "are unallowed in the inline keyboard"
                        )
                    actions = [
                        k
                        for k in (
                            "callback_data",
                            "url",
                            "switch_inline_query",
                            "web_app",
                            "login_url",
                            "pay",
                            "copy_text",
                            "switch_inline_query_current_chat",
                        )
                        if k in button
                    ]
                    if len(actions) != 1:
                        raise bad_request(
                            "can't parse inline keyboard button: Text buttons "
                            "are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not (0 < len(str(data).encode()) <= MAX_CALLBACK_DATA):
                        raise bad_request("BUTTON_DATA_INVALID")
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" must be an Array of Arrays')
            for row in rows:
                for button in row:
                    if not (
                        isinstance(button, str) or (isinstance(button, dict) and button.get("text"))
                    ):
                        raise bad_request(
                            'can\'t parse keyboard button: Field "text" must be of type String'
                        )
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _bot_message(self, chat: _Chat, params: dict[str, Any], what: str) -> ChatMessage:
        message = chat.messages.get(self._message_id(params))
        if message is None or message.deleted:
            raise bad_request(f"message to {what} not found")
        if not message.from_bot:
            raise bad_request(f"message can't be {what}ed")
        return message

    def _new_bot_message(self, chat: _Chat, call: Call, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            chat=chat.info,
            message_id=chat.next_message_id,
            from_bot=True,
            sender={k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            date=int(time.time()),
            protect_content=bool(call.params.get("protect_content")),
            changed_at=len(self.calls),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        return message

    # -- methods --------------------------------------------------------------------------

    def _m_getMe(self, call: Call) -> dict[str, Any]:
        return self.bot_user

    def _m_deleteWebhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_getWebhookInfo(self, call: Call) -> dict[str, Any]:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _m_setMyCommands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
        ):
            raise bad_request("can't parse commands JSON object")
        self.commands = commands
        return True

    def _m_deleteMyCommands(self, call: Call) -> bool:
        self.commands = []
        return True

    def _m_close(self, call: Call) -> bool:
        return True

    def _m_logOut(self, call: Call) -> bool:
        return True

    async def _m_getUpdates(self, call: Call, request: web.Request) -> list[dict[str, Any]]:
        params = call.params
        offset = params.get("offset")
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if isinstance(offset, int):
            if offset < 0:
                self._updates = self._updates[offset:]
            else:  # confirms every update before it
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")  # the newer request wins, as on Telegram
        poller: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._poller = poller
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, min(int(timeout), 50))
        try:
            while True:
                if poller.done():
                    raise ApiError(409, CONFLICT)
                allowed = self._allowed_updates
                if allowed:
                    self._updates = [
                        u
                        for u in self._updates
                        if next(k for k in u if k != "update_id") in allowed
                    ]
                if self._updates:
                    return self._updates[: max(1, min(int(limit), 100))]
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing or _gone(request):
                    return []
                woken = asyncio.ensure_future(self._tick.wait())
                try:
                    waiters: set[asyncio.Future[Any]] = {woken, poller}
                    await asyncio.wait(
                        waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    woken.cancel()
        finally:
            if self._poller is poller:
                self._poller = None

    def _m_sendMessage(self, call: Call) -> dict[str, Any]:
        params = call.params
        chat = self._chat(params)
        parsed = self._text(params)
        assert parsed is not None
        plain, entities, source = parsed
        markup = self._markup(params)
        inline = markup if markup and "inline_keyboard" in markup else None
        if markup and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        message = self._new_bot_message(
            chat, call, text=plain, html=source, entities=entities, reply_markup=inline
        )
        return message.as_api()

    def _m_editMessageText(self, call: Call) -> dict[str, Any]:
        params = call.params
        if params.get("inline_message_id"):
            raise bad_request("message to edit not found")
        chat = self._chat(params)
        parsed = self._text(params)
        assert parsed is not None
        plain, entities, source = parsed
        markup = self._markup(params, inline_only=True)
        message = self._bot_message(chat, params, "edit")
        if message.extra:  # a document or a photo: only its caption can be edited
            raise bad_request("there is no text in the message to edit")
        if (plain, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.text, message.entities, message.html = plain, entities, source
        message.reply_markup = markup  # no reply_markup: the inline keyboard goes away
        message.edited += 1
        message.changed_at = len(self.calls)
        return message.as_api()

    def _m_editMessageReplyMarkup(self, call: Call) -> dict[str, Any]:
        params = call.params
        chat = self._chat(params)
        markup = self._markup(params, inline_only=True)
        message = self._bot_message(chat, params, "edit")
        if markup == message.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.reply_markup = markup
        message.edited += 1
        message.changed_at = len(self.calls)
        return message.as_api()

    def _m_deleteMessage(self, call: Call) -> bool:
        params = call.params
        chat = self._chat(params)
        message = chat.messages.get(self._message_id(params))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    def _m_answerCallbackQuery(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        query = self.callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = call.params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.update(answered=True, text=text, alert=bool(call.params.get("show_alert")))
        return True

    def _m_getFile(self, call: Call) -> dict[str, Any]:
        stored = self.files.get(str(call.params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.path,
        }

    def _m_sendDocument(self, call: Call) -> dict[str, Any]:
        params = call.params
        chat = self._chat(params)
        document = params.get("document")
        upload = call.upload("document")
        if upload is None and isinstance(document, str) and document in self.files:
            upload = self.files[document]  # a file_id sent again
        if upload is None:
            raise bad_request("there is no document in the request")
        stored = self._store_file(
            upload.content,
            "documents",
            (upload.filename or "file").rsplit(".", 1)[-1],
            filename=upload.filename,
            mime_type=upload.mime_type,
        )
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        doc = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": upload.filename or "file",
            "file_size": len(upload.content),
        }
        if upload.mime_type:
            doc["mime_type"] = upload.mime_type
        fields: dict[str, Any] = {
            "extra": {"document": doc},
            "reply_markup": markup if markup and "inline_keyboard" in markup else None,
        }
        if caption is not None:
            fields.update(text=caption[0], entities=caption[1], html=caption[2])
        message = self._new_bot_message(chat, call, **fields)
        return message.as_api()

    def _m_sendPhoto(self, call: Call) -> dict[str, Any]:
        """A photo as Telegram takes it: an uploaded image (or a photo's file_id sent again)
        within Telegram's limits, answered with the sizes Telegram makes of it (smallest first;
        the largest holds the uploaded bytes, where Telegram would hold its own JPEG)."""
        params = call.params
        chat = self._chat(params)
        photo = params.get("photo")
        upload = call.upload("photo")
        if upload is None and isinstance(photo, str) and photo in self.files:
            upload = self.files[photo]
        if upload is None:
            if isinstance(photo, str) and photo:
                raise bad_request("wrong file identifier/HTTP URL specified")
            raise bad_request("there is no photo in the request")
        if len(upload.content) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        width, height = _image_size(upload.content)
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        sizes = []
        for limit in PHOTO_SIZES:
            scale = min(1.0, limit / max(width, height))
            largest = scale == 1.0 or limit == PHOTO_SIZES[-1]
            data = upload.content if largest else f"thumbnail {limit}px".encode()
            stored = self._store_file(data, "photos", "jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": len(data),
                }
            )
            if largest:
                break
        fields: dict[str, Any] = {
            "extra": {"photo": sizes},
            "reply_markup": markup if markup and "inline_keyboard" in markup else None,
        }
        if caption is not None:
            fields.update(text=caption[0], entities=caption[1], html=caption[2])
        message = self._new_bot_message(chat, call, **fields)
        return message.as_api()


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of an uploaded image; Telegram refuses what it cannot decode."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None


# ---------------------------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------------------------


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _error_response(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.code)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, StoredFile]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, StoredFile] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = StoredFile(
                        file_id="",
                        file_unique_id="",
                        path="",
                        content=value.file.read(),
                        filename=value.filename,
                        mime_type=value.content_type,
                    )
                else:
                    params[key] = value
    return params, files


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Form values are strings; read them as Telegram does (numbers, booleans, JSON)."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, bytes | bytearray):
            value = value.decode()
        if key == "chat_id" and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif key in INT_FIELDS and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise bad_request(f'field "{key}" must be of type Integer') from None
        elif key in BOOL_FIELDS and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0", ""):
                raise bad_request(f'field "{key}" must be of type Boolean')
            value = lowered in ("true", "1")
        elif key in JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value) if value else None
            except ValueError:
                if key == "reply_markup":
                    raise bad_request("can't parse reply keyboard markup JSON object") from None
                raise bad_request(f"can't parse {key} JSON object") from None
        params[key] = value
    return params
