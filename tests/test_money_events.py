"""Issuer events applied exactly once, in any order: purchases, holds, reversals, refunds,
declines (with Numero's three-strikes warning), issuer card changes; and the reconcile job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from bot.app import App
from services import ledger
from services.money import Money
from services.providers.base import EventKind, ProviderEvent
from services.providers.sandbox import SandboxProvider
from storage.models import Card
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import issue_card, onboard
from tests.money_support import AlertTee, books_agree, record_alerts

AT = datetime(2026, 11, 21, 12, tzinfo=UTC)


async def carded(app: App, clock: FakeClock) -> Card:
    record_alerts(app)
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    async with app.db.session() as session:
        return (await session.exec(select(Card))).one()


def event(card: Card, kind: EventKind, event_id: str, **fields: Any) -> ProviderEvent:
    return ProviderEvent(event_id, kind, AT, card_id=card.provider_card_id, **fields)


def alerts(app: App) -> list[tuple[str, dict[str, Any]]]:
    sink = app.services.events.alerts
    assert isinstance(sink, AlertTee)
    return [(a.kind, a.args) for a in sink.published]


async def card_balance(app: App, card: Card) -> Money:
    return await app.services.ledger.balance(ledger.card(card.id))


async def test_a_sandbox_purchase_is_booked_and_alerted(money_app: App, clock: FakeClock) -> None:
    app = money_app
    card = await carded(app, clock)
    sandbox = app.services.provider
    assert isinstance(sandbox, SandboxProvider)
    await sandbox.simulate_purchase(card.provider_card_id, Money(1_250), "Jumia")
    assert await card_balance(app, card) == Money(3_750)
    kind, args = alerts(app)[-1]
    assert kind == "purchase" and args["merchant"] == "Jumia" and args["balance"] == Money(3_750)
    await books_agree(app)


async def test_duplicate_and_out_of_order_deliveries_book_once(
    money_app: App, clock: FakeClock
) -> None:
    app = money_app
    card = await carded(app, clock)
    apply = app.services.events.apply
    auth = event(
        card,
        EventKind.AUTHORIZATION,
        "e1",
        amount=Money(2_000),
        transaction_id="t1",
        merchant="Shoprite",
    )
    settle = event(
        card,
        EventKind.SETTLEMENT,
        "e2",
        amount=Money(1_800),
        transaction_id="t1",
        merchant="Shoprite",
    )
    await apply("sandbox", auth)
    await apply("sandbox", auth)  # delivered twice
    assert await card_balance(app, card) == Money(3_000)
    assert await app.services.ledger.balance(ledger.card_hold(card.id)) == Money(2_000)
    await apply("sandbox", settle)
    await apply("sandbox", settle)
    assert await card_balance(app, card) == Money(3_200)  # the final amount was lower
    assert await app.services.ledger.balance(ledger.card_hold(card.id)) == Money(0)

    # a settlement arriving before its authorization: the late authorization holds nothing
    early = event(card, EventKind.SETTLEMENT, "e3", amount=Money(500), transaction_id="t2")
    late = event(card, EventKind.AUTHORIZATION, "e4", amount=Money(500), transaction_id="t2")
    await apply("sandbox", early)
    await apply("sandbox", late)
    assert await card_balance(app, card) == Money(2_700)
    assert await app.services.ledger.balance(ledger.card_hold(card.id)) == Money(0)

    # a reversal before its authorization: nothing held when the authorization comes
    await apply("sandbox", event(card, EventKind.REVERSAL, "e5", transaction_id="t3"))
    await apply(
        "sandbox",
        event(card, EventKind.AUTHORIZATION, "e6", amount=Money(900), transaction_id="t3"),
    )
    assert await card_balance(app, card) == Money(2_700)

    # a refund, twice
    refund = event(card, EventKind.REFUND, "e7", amount=Money(300), merchant="Shoprite")
    await apply("sandbox", refund)
    await apply("sandbox", refund)
    assert await card_balance(app, card) == Money(3_000)
    assert await app.services.ledger.total() == 0
    assert [k for k, _ in alerts(app)].count("refund") == 1


async def test_numero_declines_warn_before_the_third(money_app: App, clock: FakeClock) -> None:
    app = money_app
    card = await carded(app, clock)
    async with app.db.session() as session:  # pretend Numero issued it
        row = await session.get(Card, card.id)
        assert row is not None
        row.provider = "numero"
        session.add(row)
    for n in (1, 2):
        decline = event(
            card,
            EventKind.DECLINE,
            f"d{n}",
            amount=Money(9_000),
            merchant="Konga",
            reason="insufficient_funds",
        )
        await app.services.events.apply("numero", decline)
        await app.services.events.apply("numero", decline)  # again: counted once
    declines = [args for kind, args in alerts(app) if kind == "decline"]
    assert [a["strikes_left"] for a in declines] == [2, 1]
    async with app.db.session() as session:
        row = await session.get(Card, card.id)
    assert row is not None and row.insufficient_declines == 2
    # a successful purchase resets the streak
    await app.services.events.apply(
        "numero", event(card, EventKind.SETTLEMENT, "s1", amount=Money(100), transaction_id="x")
    )
    async with app.db.session() as session:
        row = await session.get(Card, card.id)
    assert row is not None and row.insufficient_declines == 0


async def test_a_card_closed_by_the_issuer_returns_its_money(
    money_app: App, clock: FakeClock
) -> None:
    app = money_app
    card = await carded(app, clock)
    account_id = card.user_id
    before = await app.services.wallet.balance(account_id)
    closed = event(card, EventKind.CARD_STATUS, "c1", status="terminated", reason="fraud")
    await app.services.events.apply("sandbox", closed)
    await app.services.events.apply("sandbox", closed)
    assert await app.services.wallet.balance(account_id) == before + Money(5_000)
    assert await card_balance(app, card) == Money(0)
    assert [k for k, _ in alerts(app)].count("card-terminated") == 1


async def test_reconcile_books_the_drift_and_logs_it(money_app: App, clock: FakeClock) -> None:
    app = money_app
    card = await carded(app, clock)
    sandbox = app.services.provider
    assert isinstance(sandbox, SandboxProvider)
    sandbox.events = None  # a webhook that never arrived
    await sandbox.simulate_purchase(card.provider_card_id, Money(700), "Bolt")
    assert await card_balance(app, card) == Money(5_000)  # the mirror does not know yet
    [fix] = await app.services.cards.reconcile()
    assert (fix.before, fix.after) == (Money(5_000), Money(4_300))
    assert await card_balance(app, card) == Money(4_300)
    assert await app.services.cards.reconcile() == []  # nothing left to repair
    await books_agree(app)


async def test_alerts_are_queued_in_words_with_the_button_that_fixes_it(
    money_app: App, clock: FakeClock
) -> None:
    import json

    from storage.models import OutboundMessage

    app = money_app
    card = await carded(app, clock)
    async with app.db.session() as session:  # a Numero card, for its three-strikes rule
        row = await session.get(Card, card.id)
        assert row is not None
        row.provider = "numero"
        session.add(row)
    decline = event(
        card,
        EventKind.DECLINE,
        "d1",
        amount=Money(9_000),
        merchant="Konga",
        reason="insufficient_funds",
    )
    await app.services.events.apply("numero", decline)
    await app.services.events.apply("numero", decline)  # a duplicate delivery: one alert
    async with app.db.session() as session:
        queued = (await session.exec(select(OutboundMessage))).all()
    declines = [m for m in queued if "declined" in m.text]
    assert len(declines) == 1
    [message] = declines
    assert "$90.00 at Konga" in message.text and "not enough balance" in message.text
    assert "2 more and this card will be terminated" in message.text
    buttons = [b for row in json.loads(message.buttons_json or "[]") for b in row]
    top_up = next(b for b in buttons if "Top up" in b["label"])
    assert top_up["data"] == f"0|c.top:{card.id}"

    # The alert's button works whatever the chat showed since.
    user = ChatUser(app, user_id=1001)
    await user.type("/menu")
    await user.press_data(999_999, top_up["data"])
    assert "Top up card" in user.screen_text()
