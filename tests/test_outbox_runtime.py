"""The outbound queue on the real runtimes (aiogram, python-telegram-bot) against the fake Bot
API: flood control reported to the queue (not waited out inside the port) and a blocked user
given up. The bot's conversation keeps its own behaviour (tests/test_runtime_adapters.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App
from handlers.events import Action, Button, Incoming
from services.outbox import FAILED, SENT, Outbox
from storage.models import OutboundMessage
from tests.conftest import FakeClock
from tests.fakebotapi import FakeBotAPI, FakeUser
from tests.runtime_support import FRAMEWORKS, make_app, running

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)

ADA = FakeUser(id=5001, first_name="Ada")
BOB = FakeUser(id=5002, first_name="Bob", username=None)


class Silent:
    """The conversation stand-in: reads every update, says nothing (so only the queue sends)."""

    def __init__(self) -> None:
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> list[Action]:
        self.seen.append(incoming)
        return []


class Outcomes:
    """Notes each defer and give-up the sender records, so the test moves the clock only once
    the row says so."""

    def __init__(self, outbox: Outbox) -> None:
        self.deferred: list[tuple[str, float, str]] = []
        self.given_up: list[tuple[str, str]] = []
        self._changed = asyncio.Event()
        defer, give_up = outbox.defer, outbox.give_up

        async def on_defer(message_id: str, seconds: float, error: str) -> bool:
            done = await defer(message_id, seconds, error)
            self.deferred.append((message_id, seconds, error))
            self._changed.set()
            return done

        async def on_give_up(message_id: str, error: str) -> bool:
            done = await give_up(message_id, error)
            self.given_up.append((message_id, error))
            self._changed.set()
            return done

        outbox.defer = on_defer  # type: ignore[method-assign]
        outbox.give_up = on_give_up  # type: ignore[method-assign]

    async def wait(self, what: list[Any], count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(what) < count:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def app(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
) -> AsyncIterator[App]:
    application = await make_app(tmp_path, server, framework, clock)
    application.conversation = Silent()  # type: ignore[assignment]
    try:
        yield application
    finally:
        await application.close()


async def row(app: App, dedupe_key: str) -> OutboundMessage:
    outbox = app.services.outbox
    async with app.db.session() as session:
        rows = await session.exec(
            select(OutboundMessage).where(
                OutboundMessage.dedupe_key == outbox.stored_key(dedupe_key)
            )
        )
        return rows.one()


async def test_an_alert_refused_by_flood_control_is_sent_after_retry_after(
    server: FakeBotAPI, app: App, clock: FakeClock
):
    outbox = app.services.outbox
    outcomes = Outcomes(outbox)
    server.user_sends_text(ADA, "/start")  # both chats exist…
    server.user_sends_text(BOB, "/start")
    server.block(BOB)  # …and Bob has blocked the bot since
    async with running(app):
        server.flood("sendMessage", times=1, retry_after=3)
        mark = server.mark()
        text = "<b>Purchase approved</b>: $12.00 at Coffee Corner"
        keyboard = [[Button("Freeze card", "1|freeze"), Button("Statement", "1|statement")]]
        assert await outbox.enqueue(ADA.id, text, keyboard, dedupe_key="sandbox:evt_1")
        refused = await server.wait_for_call("sendMessage", since=mark, ok=False)
        assert (refused.status, refused.params["chat_id"]) == (429, ADA.id)

        # The port reported the 429 instead of waiting it out: the queue deferred the row by
        # exactly the wait Telegram asked for, and nothing was sent meanwhile.
        await outcomes.wait(outcomes.deferred)
        queued = await row(app, "sandbox:evt_1")
        assert outcomes.deferred == [(queued.id, 3.0, "flood control: retry after 3s")]
        assert queued.attempts == 1
        assert server.calls_of("sendMessage", since=refused.index + 1) == []
        clock.advance(2.9)
        assert await outbox.due() == []
        clock.advance(0.2)
        sent = await server.wait_for_call("sendMessage", since=mark)
        assert sent.params["parse_mode"] == "HTML"
        shown = server.message(ADA.id, sent.result["message_id"])
        assert shown.text == "Purchase approved: $12.00 at Coffee Corner"
        assert shown.buttons() == [("Freeze card", "1|freeze"), ("Statement", "1|statement")]

        # Bob blocked the bot: his alert is given up, once, and the queue carries on.
        mark = server.mark()
        assert await outbox.enqueue(BOB.id, "Card frozen by the issuer", dedupe_key="evt_2")
        await outcomes.wait(outcomes.given_up)
        assert outcomes.given_up[0][1] == "Forbidden: bot was blocked by the user"
        assert await outbox.enqueue(ADA.id, "Top-up done", dedupe_key="evt_3")
        await server.wait_for_call("sendMessage", lambda c: c.params["text"] == "Top-up done",
                                   since=mark)  # fmt: skip
    assert (await row(app, "sandbox:evt_1")).status == SENT
    assert (await row(app, "evt_2")).status == FAILED
    assert len(server.calls_of("sendMessage", since=mark)) == 2  # Bob's once, Ada's once
    assert await outbox.depth() == 0
    texts = [c.params["text"] for c in server.calls_of("sendMessage") if c.ok]
    assert texts.count(text) == 1
