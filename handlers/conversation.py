"""The conversation's front door: one neutral event in, a list of neutral actions out."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import structlog

from handlers import (
    admin,
    cards,
    controls,
    documents,
    history,
    issue,
    menu,
    onboarding,
    settings,
    wallet,
)
from handlers.alerts import ALERT_ROUTES
from handlers.context import SEP, Ctx
from handlers.events import Action, AnswerButton, Incoming, Kind, Send
from handlers.routes import Router
from handlers.texts import Texts
from services.container import Services
from services.errors import ServiceError

log = structlog.get_logger(__name__)


class Conversation:
    def __init__(self, services: Services, texts: Texts) -> None:
        self.services = services
        self.texts = texts
        self.router = Router()
        for module in (
            menu,
            onboarding,
            cards,
            issue,
            controls,
            wallet,
            admin,
            history,
            settings,
            documents,
        ):
            module.register(self.router)
        # One update at a time per person: two quick presses must not interleave.
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, incoming: Incoming) -> list[Action]:
        """Never raises: a failure becomes an apology, and a button press is always answered."""
        async with self._locks[incoming.user_id]:
            actions: list[Action]
            ctx: Ctx | None = None
            try:
                account = await self.services.users.load(incoming.user_id, incoming.language_code)
                await self.services.users.remember_username(account, incoming.username)
                ctx = Ctx(incoming, account, self.services, self.texts)
                await self._dispatch(ctx)
                await self.services.users.save(account)
                actions = list(ctx.actions)
            except Exception:
                log.exception("conversation.failed", kind=str(incoming.kind))
                language = ctx.account.language if ctx else "en"
                actions = [Send(incoming.chat_id, self.texts.get(language, "error-unexpected"))]
            if incoming.kind is Kind.BUTTON:
                toast, alert = (ctx.toast, ctx.alert) if ctx else ("", False)
                actions.insert(0, AnswerButton(incoming.callback_id, toast, alert))
            return actions

    async def _dispatch(self, ctx: Ctx) -> None:
        incoming = ctx.incoming
        try:
            if incoming.kind is Kind.BUTTON:
                await self._button(ctx)
            elif incoming.kind is Kind.COMMAND:
                await self.router.command(ctx, incoming.command)
            elif ctx.state:
                await self.router.input(ctx)
            else:
                await menu.not_understood(ctx)
        except ServiceError as exc:
            # A rule said no: tell the person why, in their words, and what to do.
            ctx.send(ctx.error_text(exc), menu.back_rows(ctx))

    async def _button(self, ctx: Ctx) -> None:
        seq_text, _, route = ctx.incoming.data.partition(SEP)
        if seq_text == "0" and route.partition(":")[0] in ALERT_ROUTES:
            await self.router.button(ctx, route)  # an alert's button: valid until used up
            return
        if not seq_text.isdigit() or int(seq_text) != ctx.account.screen_seq or not route:
            ctx.answer(ctx.t("button-stale"), alert=True)
            return
        await self.router.button(ctx, route)
