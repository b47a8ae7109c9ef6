"""The python-telegram-bot 22 adapter: a chat port over `telegram.Bot` and an Application that
hands every message and button press to the shared `UpdateHandler` (bot/telegram.py)."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import structlog
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.port import MessageGone, Undeliverable
from bot.telegram import (
    ALLOWED_UPDATES,
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
PtbMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def _inline(rows: Keyboard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def _markup(markup: Markup | None) -> PtbMarkup | None:
    if isinstance(markup, InlineKeyboard):
        return _inline(markup.rows)
    if isinstance(markup, ContactKeyboard):
        return ReplyKeyboardMarkup(
            [[KeyboardButton(markup.button.label, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if isinstance(markup, RemoveKeyboard):
        return ReplyKeyboardRemove()
    return None


def _retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, RetryAfter):
        return None
    with warnings.catch_warnings():  # int-or-timedelta deprecation of PTB 22
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _refused_for_good(exc: BaseException) -> str | None:
    """403 (blocked, deactivated, kicked) and 400 (no such chat, a malformed message): sending
    the same message again cannot succeed."""
    if isinstance(exc, Forbidden | BadRequest):
        return exc.message
    return None


class PtbPort:
    """`ChatPort` over one python-telegram-bot bot."""

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
            except BadRequest as exc:  # the message is out; it just lacks its buttons
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
        except BadRequest as exc:
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
        except BadRequest as exc:
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
        except BadRequest as exc:
            if classify_error(exc.message) != "query_expired":
                raise
            log.info("telegram.answer_too_late")

    async def send_document(self, action: SendDocument) -> int:
        message = await self._call(
            lambda: self.bot.send_document(
                chat_id=action.chat_id,
                document=action.content,
                filename=action.filename,
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
                photo=action.image,
                filename=photo_filename(action.image),
                caption=action.caption or None,
                parse_mode=ParseMode.HTML,
                protect_content=action.protect_content,
                reply_markup=_inline(inline.rows) if inline else None,
            )
        )
        return message.message_id


class PtbRuntime:
    """Long polling with python-telegram-bot's Application and Updater."""

    def __init__(self, token: str, api_base: str | None = None) -> None:
        builder = Application.builder().token(token).concurrent_updates(True)
        if api_base:
            builder = builder.base_url(f"{api_base}/bot").base_file_url(f"{api_base}/file/bot")
        self.application = builder.build()
        self.port = PtbPort(self.application.bot)
        self._initialized = False

    async def _download(self, file_id: str) -> bytes:
        file = await self.application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def start(self, handler: UpdateHandler) -> None:
        async def on_message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            message: Message | None = update.message
            if message is not None:
                await handler.on_message(message, self._download)

        async def on_callback(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.callback_query is not None:
                await handler.on_callback(update.callback_query)

        async def on_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            error = context.error
            log.error("telegram.handler_error", error=type(error).__name__, exc_info=error)

        app = self.application
        app.add_handler(MessageHandler(filters.ALL, on_message))
        app.add_handler(CallbackQueryHandler(on_callback))
        app.add_error_handler(on_error)

        try:
            await app.initialize()  # getMe: a wrong token fails here
        except InvalidToken:
            raise SystemExit(token_rejected()) from None
        self._initialized = True
        await app.start()
        if app.updater is None:
            raise RuntimeError("python-telegram-bot application built without an updater")
        await app.updater.start_polling(
            timeout=POLLING_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._polling_error,
        )

    @staticmethod
    def _polling_error(exc: TelegramError) -> None:
        # PTB retries by itself (as aiogram does); say so without the traceback each time.
        log.warning("telegram.polling_error", error=type(exc).__name__)

    async def wait(self) -> None:
        # The Updater retries network and server errors forever; polling never ends by itself.
        await asyncio.Event().wait()

    async def stop_polling(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            # Stops the long poll and confirms the fetched updates to Telegram…
            await app.updater.stop()
        if app.running:
            # …which the application then handles to the end before it returns.
            await app.stop()

    async def close(self) -> None:
        if self._initialized:
            with contextlib.suppress(RuntimeError):
                await self.application.shutdown()
        else:  # start failed before initialize finished: still release the HTTP clients
            with contextlib.suppress(Exception):
                await self.application.bot.shutdown()
