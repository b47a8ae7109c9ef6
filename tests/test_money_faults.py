"""Money is never lost or moved twice: faults at the issuer, a crash between any two steps,
double confirmations. After recovery the ledger, the cards and the issuer agree."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import App, build_app
from services import ledger
from services.money import Money
from services.settings import Settings
from storage.models import Operation
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import issue_card, onboard
from tests.money_support import Crash, books_agree, crash_at, make_flaky


async def carded(app: App, clock: FakeClock) -> tuple[ChatUser, str]:
    user = ChatUser(app)
    await onboard(user, clock)  # $500.00 in the wallet
    await issue_card(user, clock, initial="$25.00")
    account = await app.services.users.load(user.user_id)
    [card] = await app.services.cards.list(account)
    return user, card.id


async def top_up(app: App, user: ChatUser, card_id: str, minor: int) -> tuple[str, str]:
    account = await app.services.users.load(user.user_id)
    quote = await app.services.cards.quote_topup(account, card_id, Money(minor))
    outcome = await app.services.cards.confirm(account, quote.operation_id)
    return quote.operation_id, outcome.status


async def status_of(app: App, operation_id: str) -> str:
    async with app.db.session() as session:
        op = await session.get(Operation, operation_id)
    assert op is not None
    return op.status


async def wallet(app: App, user: ChatUser) -> Money:
    account = await app.services.users.load(user.user_id)
    return await app.services.wallet.balance(account.id)


async def test_a_top_up_moves_wallet_money_to_the_card_with_its_fee(
    money_app: App, clock: FakeClock
) -> None:
    app = money_app
    user, card_id = await carded(app, clock)
    assert await wallet(app, user) == Money(50_000 - 2_500 - 200)  # initial load and card fee
    _op, status = await top_up(app, user, card_id, 2_000)
    assert status == "succeeded"
    assert await wallet(app, user) == Money(47_300 - 2_000 - 30)  # 1.5 % fee
    assert await app.services.ledger.balance(ledger.card(card_id)) == Money(4_500)
    assert await app.services.ledger.balance(ledger.FEES) == Money(230)
    await books_agree(app)


@pytest.mark.parametrize("fault", ["timeout-after", "5xx-after", "reset-after"])
async def test_the_issuer_acted_but_the_answer_was_lost(
    money_app: App, clock: FakeClock, fault: str
) -> None:
    app = money_app
    user, card_id = await carded(app, clock)
    flaky = make_flaky(app)
    flaky.faults = [fault]
    op, status = await top_up(app, user, card_id, 2_000)
    # No guessing: the reference is looked up at the issuer at once, and it was applied.
    assert status == "succeeded"
    assert await status_of(app, op) == "succeeded"
    assert (await books_agree(app))["cards"][card_id] == Money(4_500)  # applied once
    assert await app.services.cards.resume() == []  # nothing left in flight


@pytest.mark.parametrize("fault", ["timeout-before", "5xx-before"])
async def test_the_issuer_never_got_it(money_app: App, clock: FakeClock, fault: str) -> None:
    app = money_app
    user, card_id = await carded(app, clock)
    flaky = make_flaky(app)
    flaky.faults = [fault]
    op, status = await top_up(app, user, card_id, 2_000)
    assert status == "in_progress"  # not there (yet): left for the resume loop
    assert await status_of(app, op) == "sent"
    assert await wallet(app, user) == Money(47_300 - 2_030)  # held, neither spent nor returned
    assert (await books_agree(app))["cards"][card_id] == Money(2_500)
    outcomes = await app.services.cards.resume()  # not there: sent again, same reference
    assert [o.status for o in outcomes] == ["succeeded"]
    assert (await books_agree(app))["cards"][card_id] == Money(4_500)


async def test_a_definite_refusal_gives_the_money_back(money_app: App, clock: FakeClock) -> None:
    app = money_app
    user, card_id = await carded(app, clock)
    make_flaky(app).faults = ["refuse"]
    _op, status = await top_up(app, user, card_id, 2_000)
    assert status == "failed"
    assert await wallet(app, user) == Money(47_300)  # the hold was released
    await books_agree(app)


async def test_confirming_twice_and_concurrently_moves_money_once(
    money_app: App, clock: FakeClock
) -> None:
    app = money_app
    import asyncio

    user, card_id = await carded(app, clock)
    account = await app.services.users.load(user.user_id)
    quote = await app.services.cards.quote_topup(account, card_id, Money(1_000))
    results = await asyncio.gather(
        *(app.services.cards.confirm(account, quote.operation_id) for _ in range(5))
    )
    assert sorted(r.status for r in results).count("succeeded") == 1
    again = await app.services.cards.confirm(account, quote.operation_id)
    assert again.status == "already_done"
    assert (await books_agree(app))["cards"][card_id] == Money(3_500)


async def test_the_wallet_is_checked_when_the_money_is_held(
    money_app: App, clock: FakeClock
) -> None:
    app = money_app
    user, card_id = await carded(app, clock)
    account = await app.services.users.load(user.user_id)
    first = await app.services.cards.quote_topup(account, card_id, Money(40_000))
    second = await app.services.cards.quote_topup(account, card_id, Money(40_000))
    assert (await app.services.cards.confirm(account, first.operation_id)).status == "succeeded"
    late = await app.services.cards.confirm(account, second.operation_id)
    assert (late.status, late.error) == ("failed", "wallet-insufficient-reason")
    await books_agree(app)


@pytest.mark.parametrize("step", ["held", "sent", "answered"])
async def test_a_crash_at_any_step_resumes_on_start_without_moving_money_twice(
    money_settings: Settings, clock: FakeClock, step: str
) -> None:
    settings = money_settings
    app = await build_app(settings, clock=clock, migrate=True, configure_logs=False)
    user, card_id = await carded(app, clock)
    account = await app.services.users.load(user.user_id)
    quote = await app.services.cards.quote_topup(account, card_id, Money(2_000))
    crash_at(app, step, "topup")
    with pytest.raises(Crash):
        await app.services.cards.confirm(account, quote.operation_id)
    await app.close()

    restarted = await build_app(
        settings, clock=clock, migrate=True, configure_logs=False
    )  # a new process
    try:
        outcomes = await restarted.services.cards.resume()
        assert [o.status for o in outcomes] == ["succeeded"]
        figures = await books_agree(restarted)
        assert figures["cards"][card_id] == Money(4_500)
        assert figures["wallets"][ledger.wallet(account.id)] == Money(47_300 - 2_030)
        assert await restarted.services.cards.resume() == []
    finally:
        await restarted.close()


@pytest.mark.parametrize("step", ["held", "sent"])
async def test_a_crash_while_issuing_resumes_to_exactly_one_card(
    money_settings: Settings, clock: FakeClock, step: str
) -> None:
    settings = money_settings
    app = await build_app(settings, clock=clock, migrate=True, configure_logs=False)
    user = ChatUser(app)
    await onboard(user, clock)
    account = await app.services.users.load(user.user_id)
    quote = await app.services.cards.quote_issue(account, "visa.regular", Money(2_500))
    crash_at(app, step, "issue")
    with pytest.raises(Crash):
        await app.services.cards.confirm(account, quote.operation_id)
    await app.close()

    restarted = await build_app(settings, clock=clock, migrate=True, configure_logs=False)
    try:
        outcomes = await restarted.services.cards.resume()
        assert [o.status for o in outcomes] == ["succeeded"]
        assert len((await books_agree(restarted))["cards"]) == 1
        from storage.models import SandboxCard

        async with restarted.db.session() as session:
            assert len((await session.exec(select(SandboxCard))).all()) == 1
    finally:
        await restarted.close()
