"""Signed deliveries over real HTTP, through the inbox, into the ledger: a provider's card
events and the business's deposit webhook, each applied once however often it arrives; a bad
signature applies nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.app import App
from services import ledger
from services.money import Money
from services.provider_events import canonical_body
from services.providers.base import EventKind, ProviderEvent
from storage.models import Card, InboxEvent
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.events_support import running
from tests.journey import issue_card, onboard


async def test_signed_events_and_deposits_are_applied_once(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    account = await app.services.users.load(user.user_id)
    async with app.db.session() as session:
        card = (await session.exec(select(Card))).one()
    purchase = ProviderEvent(
        "evt-1",
        EventKind.SETTLEMENT,
        datetime(2026, 11, 21, 12, tzinfo=UTC),
        card_id=card.provider_card_id,
        amount=Money(1_500),
        merchant="Chicken Republic",
        transaction_id="txn-1",
    )
    async with running(app.db, clock, app.process_event) as events:
        for _ in range(3):  # delivered three times
            answer = await events.post_signed("sandbox", canonical_body(purchase))
            assert answer.status_code == 200, answer.text
        await events.service.worker.run_once()
        deposit = {
            "id": "dep-1",
            "user": user.user_id,
            "amount": 12_345,
            "currency": "USD",
            "reference": "bank-ref-77",
        }
        for _ in range(2):
            assert (await events.post_signed("deposit", deposit)).status_code == 200
        forged = await events.post(
            "deposit",
            b'{"id": "dep-2", "user": 1, "amount": 99}',
            {"X-Cardbot-Signature": "0" * 64, "X-Cardbot-Timestamp": "1"},
        )
        assert forged.status_code == 401
        await events.service.worker.run_once()

    assert await app.services.ledger.balance(ledger.card(card.id)) == Money(3_500)
    wallet = await app.services.wallet.balance(account.id)
    assert wallet == Money(50_000 - 5_000 - 200 + 12_345)
    async with app.db.session() as session:
        rows = (await session.exec(select(InboxEvent))).all()
    assert sorted((r.provider, r.status) for r in rows) == [
        ("deposit", "processed"),
        ("sandbox", "processed"),
    ]
    assert await app.services.ledger.total() == 0
