"""Long random sequences of deposits, top-ups, withdrawals, purchases, refunds, duplicate event
deliveries and issuer faults; after every step the ledger sums to zero and nothing is negative,
and once nothing is in flight every card's books equal what the issuer holds."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.app import build_app
from services.errors import ServiceError
from services.money import Money
from services.providers.base import ProviderEvent
from storage.models import Card, Operation
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard
from tests.money_support import books_agree, make_flaky

FAULTS = ["timeout-after", "timeout-before", "5xx-after", "5xx-before", "reset-after", "refuse"]
amount = st.integers(min_value=100, max_value=30_000)
ACTION = st.one_of(
    st.tuples(st.just("deposit"), amount),
    st.tuples(st.just("topup"), amount),
    st.tuples(st.just("withdraw"), st.integers(min_value=100, max_value=8_000)),
    st.tuples(st.just("purchase"), st.integers(min_value=100, max_value=8_000)),
    st.tuples(st.just("purchase"), st.integers(min_value=100, max_value=1_500)),  # likelier to pass
    st.tuples(st.just("redeliver"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("refund"), st.integers(min_value=100, max_value=3_000)),
    st.tuples(st.just("redeliver"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("fault"), st.sampled_from(FAULTS)),
    st.tuples(st.just("double-confirm"), amount),
    st.tuples(st.just("resume"), st.just(0)),
)


async def scenario(actions: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        app = await build_app(make_settings(Path(tmp)), clock=clock, configure_logs=False)
        try:
            user = ChatUser(app)
            await onboard(user, clock)
            await issue_card(user, clock, initial="$25.00")
            account = await app.services.users.load(user.user_id)
            [card] = await app.services.cards.list(account)
            async with app.db.session() as session:
                row = await session.get(Card, card.id)
            assert row is not None
            issuer_card = row.provider_card_id
            flaky = make_flaky(app)
            seen: list[ProviderEvent] = []
            apply = flaky.events
            assert apply is not None

            async def record(event: ProviderEvent) -> None:
                seen.append(event)
                await apply(event)

            flaky.events = record
            cards = app.services.cards
            for n, (action, value) in enumerate(actions):
                try:
                    if action == "deposit":
                        await app.services.wallet.deposit(account.id, Money(value), f"p{n}", "t")
                    elif action in ("topup", "double-confirm"):
                        quote = await cards.quote_topup(account, card.id, Money(value))
                        await cards.confirm(account, quote.operation_id)
                        if action == "double-confirm":
                            await cards.confirm(account, quote.operation_id)
                    elif action == "withdraw":
                        quote = await cards.quote_withdraw(account, card.id, Money(value))
                        await cards.confirm(account, quote.operation_id)
                    elif action == "purchase":
                        await flaky.simulate_purchase(issuer_card, Money(value), "Shop")
                    elif action == "refund":
                        await flaky.simulate_refund(issuer_card, Money(value), "Shop")
                    elif action == "redeliver" and seen:
                        await apply(seen[value % len(seen)])
                    elif action == "fault":
                        flaky.faults.append(value)
                    elif action == "resume":
                        await cards.resume()
                except ServiceError:
                    pass  # a refusal the person would be told about (wallet short, card frozen…)
                in_flight = await _in_flight(app)
                await books_agree(app, settled=not in_flight)
            flaky.faults.clear()
            await cards.resume()
            await cards.resume()  # a second pass settles what the first resent
            assert not await _in_flight(app)
            await books_agree(app)
        finally:
            await app.close()


async def _in_flight(app: Any) -> bool:
    async with app.db.session() as session:
        rows = (
            await session.exec(
                select(Operation.id).where(col(Operation.status).in_(("pending", "held", "sent")))
            )
        ).all()
    return bool(rows)


@example([("purchase", 500), ("redeliver", 0), ("refund", 200), ("redeliver", 1)])
@example(
    [
        ("fault", "timeout-after"),
        ("topup", 1_000),
        ("fault", "5xx-before"),
        ("withdraw", 500),
        ("resume", 0),
        ("double-confirm", 700),
    ]
)
@example([("fault", "reset-after"), ("withdraw", 2_000), ("purchase", 2_400), ("resume", 0)])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(ACTION, min_size=5, max_size=30))
def test_random_money_sequences_keep_the_books_straight(actions: list[tuple[str, Any]]) -> None:
    asyncio.run(scenario(actions))
