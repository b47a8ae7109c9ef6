"""Running the bot on Telegram by long polling, over aiogram or python-telegram-bot.

Everything both framework adapters share lives here, so the two cannot drift apart:

- how an update becomes one neutral `Incoming` (`incoming_from_message`,
  `incoming_from_callback`) — both frameworks model updates with the Bot API's own field names,
  so one duck-typed reading serves both;
- which keyboard a `Send` carries (`plan_send`) and which Bot API errors mean "gone" or
  "not modified" (`classify_error`);
- what happens to one incoming event (`UpdateHandler`): one turn at a time per chat, the
  conversation, the actions, a button press always answered, the sweeper poked;
- the lifecycle (`serve`): check the token, start polling, the self-destruct sweeper and the
  outbound queue's sender, stop cleanly (no new updates, in-flight turns finish, the sends in
  progress finish and are marked, offsets confirmed, sessions closed).

The adapters (`bot/runtime_aiogram.py`, `bot/runtime_ptb.py`) only translate: a `ChatPort` over
the framework's bot, and handlers that pass every message and callback query to `UpdateHandler`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import structlog

from bot.events_server import EventsService, start_events_if_configured
from bot.executor import execute
from bot.money_loop import MoneyLoop
from bot.outbox_sender import OutboxSender
from bot.port import ChatPort, FloodWait, TelegramPort, Undeliverable
from bot.sweeper import Sweeper
from handlers.events import (
    Action,
    AnswerButton,
    ContactButton,
    Delete,
    Edit,
    Incoming,
    Keyboard,
    Kind,
    Send,
    SendDocument,
    SendPhoto,
)

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Only what the conversation reads; edited messages, channel posts, inline queries… are not asked
# for at all.
ALLOWED_UPDATES = ["message", "callback_query"]
POLLING_TIMEOUT = 10  # seconds a getUpdates long poll waits for news
MAX_CALLBACK_DATA_BYTES = 64  # Bot API limit on InlineKeyboardButton.callback_data
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile serves files up to 20 MB
DRAIN_TIMEOUT = 15.0  # seconds in-flight turns get to finish when the bot stops


def token_help() -> str:
    """What `cardbot run` says when no bot token is configured."""
    return (
        "No Telegram bot token is set.\n"
        "\n"
        "1. In Telegram, open a chat with @BotFather (https://t.me/BotFather).\n"
        "2. Send /newbot, choose a display name and a username ending in 'bot'.\n"
        "3. BotFather replies with a token like 123456789:AAE...; keep it secret.\n"
        "4. Set it in the environment or in a .env file next to where you run cardbot:\n"
        "       export CARDBOT_TELEGRAM_TOKEN='123456789:AAE...'\n"
        "   then run 'cardbot run' again.\n"
        "\n"
        "To talk to the bot without Telegram, run 'cardbot chat'.\n"
        "To use a local Bot API server, also set CARDBOT_TELEGRAM_API_BASE "
        "(e.g. http://127.0.0.1:8081)."
    )


def token_rejected() -> str:
    """What `cardbot run` says when Telegram refuses the configured token."""
    return (
        "Telegram refused the bot token in CARDBOT_TELEGRAM_TOKEN (it is mistyped, or was "
        "revoked in @BotFather).\n"
        "Open @BotFather, send /mybots, pick the bot, 'API Token', and set the token it shows "
        "in CARDBOT_TELEGRAM_TOKEN."
    )


# ---------------------------------------------------------------------------------------------
# Updates → Incoming
# ---------------------------------------------------------------------------------------------

# A bot command as Telegram marks it: "/" + 1–32 letters, digits or underscores, optionally
# "@botname", then whitespace or the end. "/etc/passwd" or "/ hi" are ordinary text.
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?", re.DOTALL)

Download = Callable[[str], Awaitable[bytes]]


def parse_command(text: str) -> tuple[str, str] | None:
    """'/Start@SomeBot  arg ' → ('start', 'arg'); None when the text is not a command."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(3) or "").strip()


def _private_chat_id(message: Any) -> int | None:
    chat = getattr(message, "chat", None)
    if chat is None or getattr(chat, "type", None) != "private":
        return None  # groups, supergroups and channels are not served
    return int(chat.id)


def _image_file(message: Any) -> tuple[str, int | None] | None:
    """The file id (and size) of the picture in a message: the largest photo size, or a document
    sent as a file whose type is an image."""
    photos = getattr(message, "photo", None)
    if photos:
        largest = max(
            photos,
            key=lambda p: ((p.width or 0) * (p.height or 0), getattr(p, "file_size", 0) or 0),
        )
        return largest.file_id, getattr(largest, "file_size", None)
    document = getattr(message, "document", None)
    if document is not None and (getattr(document, "mime_type", None) or "").startswith("image/"):
        return document.file_id, getattr(document, "file_size", None)
    return None


async def incoming_from_message(message: Any, download: Download) -> Incoming | None:
    """One message (aiogram or PTB object) → `Incoming`; None when it is not for the bot to
    answer (not a private chat, no sender, sent by a bot)."""
    chat_id = _private_chat_id(message)
    user = getattr(message, "from_user", None)
    if chat_id is None or user is None or getattr(user, "is_bot", False):
        return None
    who: dict[str, Any] = {
        "user_id": int(user.id),
        "chat_id": chat_id,
        "message_id": message.message_id,
        "language_code": getattr(user, "language_code", None) or "",
        "username": getattr(user, "username", None) or "",
        "first_name": getattr(user, "first_name", None) or "",
    }
    text = getattr(message, "text", None)
    if text is not None:
        command = parse_command(text)
        if command is not None:
            return Incoming(kind=Kind.COMMAND, command=command[0], text=command[1], **who)
        return Incoming(kind=Kind.TEXT, text=text, **who)
    contact = getattr(message, "contact", None)
    if contact is not None:
        return Incoming(
            kind=Kind.CONTACT,
            contact_phone=contact.phone_number or "",
            contact_user_id=contact.user_id,
            **who,
        )
    image = _image_file(message)
    if image is not None:
        file_id, size = image
        if size is not None and size > MAX_DOWNLOAD_BYTES:
            return Incoming(kind=Kind.OTHER, **who)  # the Bot API will not hand it over
        photo = await download(file_id)
        return Incoming(
            kind=Kind.PHOTO, photo=photo, text=getattr(message, "caption", None) or "", **who
        )
    return Incoming(kind=Kind.OTHER, **who)


def incoming_from_callback(query: Any) -> Incoming | None:
    """A button press (aiogram or PTB callback query) → `Incoming`; None when it does not come
    from a message in a private chat (inline-mode messages, groups)."""
    message = getattr(query, "message", None)
    chat_id = _private_chat_id(message) if message is not None else None
    user = getattr(query, "from_user", None)
    if chat_id is None or user is None or message is None:
        return None
    return Incoming(
        kind=Kind.BUTTON,
        user_id=int(user.id),
        chat_id=chat_id,
        data=getattr(query, "data", None) or "",
        callback_id=str(query.id),
        message_id=message.message_id,
        language_code=getattr(user, "language_code", None) or "",
        username=getattr(user, "username", None) or "",
        first_name=getattr(user, "first_name", None) or "",
    )


# ---------------------------------------------------------------------------------------------
# Actions → Bot API calls: the decisions both adapters make the same way
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineKeyboard:
    rows: Keyboard


@dataclass(frozen=True)
class ContactKeyboard:
    button: ContactButton  # one request_contact button, resized, one-time


@dataclass(frozen=True)
class RemoveKeyboard:
    pass


Markup = InlineKeyboard | ContactKeyboard | RemoveKeyboard


@dataclass(frozen=True)
class SendPlan:
    markup: Markup | None  # sent with the message
    then_inline: Keyboard | None = None  # added right after by editMessageReplyMarkup


def check_keyboard(rows: Keyboard) -> Keyboard:
    """Refuse, before Telegram does, a keyboard it would refuse (with a clearer error)."""
    for row in rows:
        for button in row:
            if len(button.data.encode()) > MAX_CALLBACK_DATA_BYTES:
                raise ValueError(
                    f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {button.data[:20]!r}…"
                )
            if not button.data or not button.label:
                raise ValueError("a button needs a label and callback data")
    return rows


def plan_send(action: Send) -> SendPlan:
    """A message has one reply markup. An inline keyboard cannot go with a reply keyboard (or
    its removal), so then the message goes out with the reply markup and gets its inline
    keyboard by an edit."""
    inline = check_keyboard(action.buttons) if action.buttons else None
    reply: Markup | None = None
    if action.contact_button is not None:
        reply = ContactKeyboard(action.contact_button)
    elif action.remove_reply_keyboard:
        reply = RemoveKeyboard()
    if reply is None:
        return SendPlan(InlineKeyboard(inline) if inline else None)
    return SendPlan(reply, then_inline=inline)


def inline_or_none(buttons: Keyboard | None) -> InlineKeyboard | None:
    return InlineKeyboard(check_keyboard(buttons)) if buttons else None


def photo_filename(image: bytes) -> str:
    """The upload's file name, with the extension its bytes call for."""
    return "photo.png" if image.startswith(b"\x89PNG\r\n\x1a\n") else "photo.jpg"


ErrorKind = Literal["gone", "not_modified", "query_expired"]

_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message to delete not found",
    "message can't be deleted",
    "message_id_invalid",
)


def classify_error(description: str) -> ErrorKind | None:
    """Read a Bot API error description (either framework's exception text)."""
    text = description.lower()
    if "message is not modified" in text:
        return "not_modified"
    if any(marker in text for marker in _GONE):
        return "gone"
    if "query is too old" in text or "query id is invalid" in text:
        return "query_expired"
    return None


async def with_flood_retry(
    call: Callable[[], Awaitable[T]],
    retry_after: Callable[[BaseException], float | None],
    attempts: int = 3,
) -> T:
    """Repeat a call refused by flood control (HTTP 429, which guarantees nothing happened)
    after the wait Telegram asks for. Other errors are not retried: a timed-out send may have
    been delivered, and sending it twice would be worse."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except Exception as exc:
            wait = retry_after(exc)
            if wait is None or attempt == attempts:
                raise
            log.warning("telegram.flood_control", retry_after=wait, attempt=attempt)
            await asyncio.sleep(min(wait, 60.0))
    raise AssertionError("unreachable")  # pragma: no cover


async def call_once(
    call: Callable[[], Awaitable[T]],
    retry_after: Callable[[BaseException], float | None],
    refused_for_good: Callable[[BaseException], str | None],
) -> T:
    """One try, for the outbound queue: flood control becomes `FloodWait` (the queue waits it
    out, not this call) and a permanent refusal `Undeliverable`; other errors pass as they are."""
    try:
        return await call()
    except Exception as exc:
        wait = retry_after(exc)
        if wait is not None:
            raise FloodWait(wait) from exc
        reason = refused_for_good(exc)
        if reason is not None:
            raise Undeliverable(reason) from exc
        raise


# ---------------------------------------------------------------------------------------------
# One incoming event → the conversation → actions
# ---------------------------------------------------------------------------------------------


class _AnswerTracker:
    """Delegates to the real port and notes whether the button press was answered (and, for the
    outbound queue's limits, each message sent)."""

    def __init__(self, port: ChatPort, on_send: Callable[[int], None] | None = None) -> None:
        self.port = port
        self.on_send = on_send
        self.answered = False

    async def send(self, action: Send) -> int:
        message_id = await self.port.send(action)
        if self.on_send is not None:
            self.on_send(action.chat_id)
        return message_id

    async def edit(self, action: Edit) -> None:
        await self.port.edit(action)

    async def delete(self, action: Delete) -> None:
        await self.port.delete(action)

    async def answer(self, action: AnswerButton) -> None:
        self.answered = True
        await self.port.answer(action)

    async def send_document(self, action: SendDocument) -> int:
        message_id = await self.port.send_document(action)
        if self.on_send is not None:
            self.on_send(action.chat_id)
        return message_id

    async def send_photo_action(self, action: SendPhoto) -> int:
        message_id = await self.port.send_photo_action(action)
        if self.on_send is not None:
            self.on_send(action.chat_id)
        return message_id


class UpdateHandler:
    """Turns framework updates into conversation turns. One turn at a time per chat (so two
    quick presses are handled in order), any number of chats at once."""

    def __init__(
        self,
        app: App,
        port: ChatPort,
        sweeper: Sweeper | None = None,
        outbox_sender: OutboxSender | None = None,
    ) -> None:
        self.app = app
        self.port = port
        self.sweeper = sweeper
        self.outbox_sender = outbox_sender  # told of each reply, which counts toward its limits
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        self._in_flight += 1
        self._idle.clear()
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def drain(self, grace: float = DRAIN_TIMEOUT) -> bool:
        """Wait for the turns in progress to finish; False when they did not in time."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("telegram.drain_timeout", in_flight=self._in_flight)
            return False
        return True

    async def on_message(self, message: Any, download: Download) -> None:
        chat_id = _private_chat_id(message)
        if chat_id is None:
            return
        async with self._turn(chat_id):
            try:
                incoming = await incoming_from_message(message, download)
            except Exception:
                log.exception("telegram.read_message_failed", chat_id=chat_id)
                return
            if incoming is not None:
                await self._run(incoming)

    async def on_callback(self, query: Any) -> None:
        incoming = incoming_from_callback(query)
        if incoming is None:  # not ours to handle, but stop the button's spinner
            await self._answer_quietly(str(query.id))
            return
        async with self._turn(incoming.chat_id):
            await self._run(incoming)

    async def _run(self, incoming: Incoming) -> None:
        actions: Sequence[Action] = ()
        try:
            actions = await self.app.conversation.handle(incoming)
        except Exception:
            log.exception("conversation.failed", kind=incoming.kind.value, chat_id=incoming.chat_id)
        on_send = self.outbox_sender.note_send if self.outbox_sender is not None else None
        port = _AnswerTracker(self.port, on_send)
        try:
            await execute(port, actions, self.app.services.deletions)
        except Exception:
            log.exception(
                "telegram.actions_failed", kind=incoming.kind.value, chat_id=incoming.chat_id
            )
        finally:
            if self.sweeper is not None and any(
                isinstance(a, Send) and a.self_destruct_after is not None for a in actions
            ):
                self.sweeper.poke()
            if incoming.kind is Kind.BUTTON and not port.answered:
                await self._answer_quietly(incoming.callback_id)

    async def _answer_quietly(self, callback_id: str) -> None:
        try:
            await self.port.answer(AnswerButton(callback_id))
        except Exception:
            log.warning("telegram.answer_failed")


# ---------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------


class Runtime(Protocol):
    """What `serve` needs from a framework adapter."""

    @property
    def port(self) -> TelegramPort:
        """The chat port over the same bot (the sweeper deletes and the outbound queue sends
        through it too)."""

    async def start(self, handler: UpdateHandler) -> None:
        """Check the token (getMe) and begin long polling; return once polling runs."""

    async def wait(self) -> None:
        """Return (or raise) if polling ends by itself; otherwise wait forever."""

    async def stop_polling(self) -> None:
        """Fetch no more updates. In-flight turns keep the bot usable."""

    async def close(self) -> None:
        """Confirm the handled updates to Telegram and close the HTTP sessions."""


def make_runtime(app: App) -> Runtime:
    settings = app.settings
    if settings.telegram_token is None:
        raise SystemExit(token_help())
    token = settings.telegram_token.get_secret_value()
    base = settings.telegram_api_base.rstrip("/") if settings.telegram_api_base else None
    if settings.framework == "ptb":
        from bot.runtime_ptb import PtbRuntime

        return PtbRuntime(token, base)
    from bot.runtime_aiogram import AiogramRuntime

    return AiogramRuntime(token, base)


async def serve(
    app: App,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    sweep_every: float = 1.0,
) -> None:
    """Run the bot on Telegram by long polling until `stop` is set (or, without one, until
    SIGINT/SIGTERM). `ready` is set once polling runs. The self-destruct sweeper and the outbound
    queue's sender run alongside, on the same bot, each checking the database at least every
    `sweep_every` seconds."""
    own_signals = stop is None
    stop = stop or asyncio.Event()
    runtime = make_runtime(app)
    sweeper = Sweeper(runtime.port, app.services.deletions, max_wait=sweep_every)
    sender = OutboxSender(runtime.port, app.services.outbox, max_wait=sweep_every)
    money = MoneyLoop(app.services.cards)  # resumes interrupted operations at once
    handler = UpdateHandler(app, runtime.port, sweeper, sender)
    loop = asyncio.get_running_loop()
    if own_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

    sweeping: asyncio.Task[None] | None = None
    sending: asyncio.Task[None] | None = None
    moving: asyncio.Task[None] | None = None
    events: EventsService | None = None
    try:
        await runtime.start(handler)
        # Provider webhooks and the deposit webhook, when CARDBOT_EVENTS_PORT is set.
        events = await start_events_if_configured(app)
        sweeping = asyncio.create_task(sweeper.run(), name="cardbot-sweeper")
        sending = asyncio.create_task(sender.run(), name="cardbot-outbox")
        moving = asyncio.create_task(money.run(), name="cardbot-money")
        log.info("telegram.polling", framework=app.settings.framework)
        if ready is not None:
            ready.set()
        stopping = asyncio.create_task(stop.wait())
        polling = asyncio.create_task(runtime.wait())
        try:
            done, _ = await asyncio.wait({stopping, polling}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopping, polling):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if polling in done and not polling.cancelled():
            polling.result()  # polling died: let its error out
    finally:
        if events is not None:
            await events.stop()
        await _shutdown(runtime, handler, [(sweeper, sweeping), (sender, sending), (money, moving)])
        if own_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        log.info("telegram.stopped")


class _Loop(Protocol):
    def stop(self) -> None: ...


async def _shutdown(
    runtime: Runtime,
    handler: UpdateHandler,
    loops: Sequence[tuple[_Loop, asyncio.Task[None] | None]],
) -> None:
    """No new updates; turns in progress finish (a reveal being sent still gets its deletion
    recorded); the background loops finish the call in progress and stop (the sweeper, the
    outbound queue's sender); handled updates are confirmed; sessions close."""
    try:
        await runtime.stop_polling()
    except Exception:
        log.exception("telegram.stop_polling_failed")
    await handler.drain()
    running = [(loop, task) for loop, task in loops if task is not None]
    for loop, _ in running:
        loop.stop()
    for _, task in running:
        try:
            await asyncio.wait_for(task, DRAIN_TIMEOUT)
        except TimeoutError:  # a call hung: give up on it, its row stays due
            log.warning("telegram.loop_stop_timeout", loop=task.get_name())
        except Exception:
            log.exception("telegram.loop_failed", loop=task.get_name())
    try:
        await runtime.close()
    except Exception:
        log.exception("telegram.close_failed")


__all__ = [
    "ALLOWED_UPDATES",
    "InlineKeyboard",
    "Runtime",
    "SendPlan",
    "UpdateHandler",
    "classify_error",
    "incoming_from_callback",
    "incoming_from_message",
    "parse_command",
    "plan_send",
    "serve",
    "token_help",
    "token_rejected",
]
