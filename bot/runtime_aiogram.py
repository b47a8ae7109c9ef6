"""The aiogram 3 adapter: a chat port over `aiogram.Bot` and a dispatcher that hands every
message and button press to the shared `UpdateHandler` (bot/telegram.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
    Update,
)
from aiogram.utils.token import TokenValidationError

from bot.port import MessageGone, Undeliverable
from bot.telegram import (
    ALLOWED_UPDATES,
    DRAIN_TIMEOUT,
    POLLING_TIMEOUT,
    ContactKeyboard,
    InlineKeyboard,
    Markup,
    RemoveKeyboard,
    UpdateHandler,
    call_once,
    classify_error,
    inline_or_none,
    photo_filename,
    plan_send,
    token_rejected,
    with_flood_retry,
)
from handlers.events import AnswerButton, Delete, Edit, Keyboard, Send, SendDocument, SendPhoto

log = structlog.get_logger(__name__)
T = TypeVar("T")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
AiogramMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def _inline(rows: Keyboard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row] for row in rows
        ]
    )


def _markup(markup: Markup | None) -> AiogramMarkup | None:
    if isinstance(markup, InlineKeyboard):
        return _inline(markup.rows)
    if isinstance(markup, ContactKeyboard):
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=markup.button.label, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if isinstance(markup, RemoveKeyboard):
        return ReplyKeyboardRemove()
    return None


def _retry_after(exc: BaseException) -> float | None:
    return float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else None


def _refused_for_good(exc: BaseException) -> str | None:
    """403 (blocked, deactivated, kicked) and 400 (no such chat, a malformed message): sending
    the same message again cannot succeed."""
    if isinstance(exc, TelegramForbiddenError | TelegramBadRequest):
        return exc.message
    return None


class AiogramPort:
    """`ChatPort` over one aiogram bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _call(self, call: Callable[[], Awaitable[T]], *, once: bool = False) -> T:
        if once:  # the outbound queue: report flood control instead of waiting here
            return await call_once(call, _retry_after, _refused_for_good)
        return await with_flood_retry(call, _retry_after)

    async def send(self, action: Send) -> int:
        return await self._send(action)

    async def deliver(self, action: Send) -> int:
        """`OutboundPort`: one try; raises FloodWait / Undeliverable (bot/port.py)."""
        try:
            plan_send(action)
        except ValueError as exc:  # a keyboard Telegram would refuse
            raise Undeliverable(str(exc)) from exc
        return await self._send(action, once=True)

    async def _send(self, action: Send, *, once: bool = False) -> int:
        plan = plan_send(action)
        message = await self._call(
            lambda: self.bot.send_message(
                chat_id=action.chat_id,
                text=action.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                protect_content=action.protect_content,
                reply_markup=_markup(plan.markup),
            ),
            once=once,
        )
        if plan.then_inline:
            keyboard = _inline(plan.then_inline)
            try:
                await self._call(
                    lambda: self.bot.edit_message_reply_markup(
                        chat_id=action.chat_id,
                        message_id=message.message_id,
                        reply_markup=keyboard,
                    )
                )
            except TelegramBadRequest as exc:  # the message is out; it just lacks its buttons
                log.warning("telegram.add_keyboard_failed", error=exc.message)
            except Exception as exc:
                if not once:
                    raise
                # Out already: an error here must not make the queue send it a second time.
                log.warning("telegram.add_keyboard_failed", error=type(exc).__name__)
        return message.message_id

    async def edit(self, action: Edit) -> None:
        inline = inline_or_none(action.buttons)
        try:
            await self._call(
                lambda: self.bot.edit_message_text(
                    chat_id=action.chat_id,
                    message_id=action.message_id,
                    text=action.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=_inline(inline.rows) if inline else None,
                )
            )
        except TelegramBadRequest as exc:
            kind = classify_error(exc.message)
            if kind == "not_modified":
                return
            if kind == "gone":
                raise MessageGone(action.message_id) from exc
            raise

    async def delete(self, action: Delete) -> None:
        try:
            await self._call(
                lambda: self.bot.delete_message(
                    chat_id=action.chat_id, message_id=action.message_id
                )
            )
        except TelegramBadRequest as exc:
            if classify_error(exc.message) == "gone":
                raise MessageGone(action.message_id) from exc
            raise

    async def answer(self, action: AnswerButton) -> None:
        try:
            await self._call(
                lambda: self.bot.answer_callback_query(
                    callback_query_id=action.callback_id,
                    text=action.text or None,
                    show_alert=action.alert,
                )
            )
        except TelegramBadRequest as exc:
            if classify_error(exc.message) != "query_expired":
                raise
            log.info("telegram.answer_too_late")

    async def send_document(self, action: SendDocument) -> int:
        message = await self._call(
            lambda: self.bot.send_document(
                chat_id=action.chat_id,
                document=BufferedInputFile(action.content, filename=action.filename),
                caption=action.caption or None,
                parse_mode=ParseMode.HTML,
            )
        )
        return message.message_id

    async def send_photo_action(self, action: SendPhoto) -> int:
        inline = inline_or_none(action.buttons)
        message = await self._call(
            lambda: self.bot.send_photo(
                chat_id=action.chat_id,
                photo=BufferedInputFile(action.image, filename=photo_filename(action.image)),
                caption=action.caption or None,
                parse_mode=ParseMode.HTML,
                protect_content=action.protect_content,
                reply_markup=_inline(inline.rows) if inline else None,
            )
        )
        return message.message_id


class AiogramRuntime:
    """Long polling with aiogram's Dispatcher."""

    def __init__(self, token: str, api_base: str | None = None) -> None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(api_base))
            if api_base
            else AiohttpSession()
        )
        try:
            self.bot = Bot(token, session=session)
        except TokenValidationError:
            raise SystemExit(token_rejected()) from None
        self.port = AiogramPort(self.bot)
        self.dispatcher = Dispatcher()
        self._polling: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._last_update_id: int | None = None

    async def _download(self, file_id: str) -> bytes:
        stream = await self.bot.download(file_id)
        if stream is None:  # only when a destination path is given
            raise RuntimeError("download returned nothing")
        return stream.read()

    async def _note_update(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Remember the newest update whose handling began, to confirm it when stopping."""
        if isinstance(event, Update):
            self._last_update_id = max(self._last_update_id or 0, event.update_id)
        return await handler(event, data)

    async def start(self, handler: UpdateHandler) -> None:
        router = Router(name="cardbot")

        async def on_message(message: Message) -> None:
            await handler.on_message(message, self._download)

        async def on_callback(query: CallbackQuery) -> None:
            await handler.on_callback(query)

        async def on_startup() -> None:
            self._started.set()

        router.message.register(on_message)
        router.callback_query.register(on_callback)
        self.dispatcher.include_router(router)
        self.dispatcher.update.outer_middleware(self._note_update)
        self.dispatcher.startup.register(on_startup)

        try:
            await self.bot.me()  # a wrong token fails here, before anything starts
        except (TelegramUnauthorizedError, TelegramNotFound):
            raise SystemExit(token_rejected()) from None
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=POLLING_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=False,  # serve() owns the lifecycle
                close_bot_session=False,  # closed in close(), after in-flight turns finish
            ),
            name="cardbot-aiogram-polling",
        )
        started = asyncio.create_task(self._started.wait())
        try:
            await asyncio.wait({started, self._polling}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()
        if self._polling.done():
            self._polling.result()
            raise RuntimeError("aiogram polling ended before it started")

    async def wait(self) -> None:
        if self._polling is None:
            raise RuntimeError("polling not started")
        await asyncio.shield(self._polling)
        raise RuntimeError("aiogram polling ended by itself")

    async def stop_polling(self) -> None:
        if self._polling is None:
            return
        if not self._polling.done():
            with contextlib.suppress(RuntimeError):  # "Polling is not started"
                await self.dispatcher.stop_polling()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self._polling
        # Updates already taken from Telegram run as tasks of their own: let them finish.
        tasks = [t for t in getattr(self.dispatcher, "_handle_update_tasks", ()) if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT)

    async def close(self) -> None:
        try:
            if self._last_update_id is not None:
                # Confirm what was handled, so a restart does not handle it again (a pressed
                # "reveal" must not reveal twice). timeout=0: no long poll.
                await self.bot.get_updates(
                    offset=self._last_update_id + 1,
                    limit=1,
                    timeout=0,
                    allowed_updates=ALLOWED_UPDATES,
                )
        except Exception as exc:
            log.warning("telegram.confirm_updates_failed", error=type(exc).__name__)
        finally:
            await self.bot.session.close()
