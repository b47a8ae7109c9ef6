"""Interrupted operations resume on start, through the loop the runtimes run."""

from __future__ import annotations

import pytest

from bot.app import build_app
from bot.money_loop import MoneyLoop
from services import ledger
from services.money import Money
from services.settings import Settings
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import issue_card, onboard
from tests.money_support import Crash, books_agree, crash_at


async def test_the_loop_finishes_what_a_crash_left_and_reconciles(
    settings: Settings, clock: FakeClock
) -> None:
    app = await build_app(settings, clock=clock, configure_logs=False)
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$25.00")
    account = await app.services.users.load(user.user_id)
    [card] = await app.services.cards.list(account)
    quote = await app.services.cards.quote_topup(account, card.id, Money(1_000))
    crash_at(app, "sent", "topup")
    with pytest.raises(Crash):
        await app.services.cards.confirm(account, quote.operation_id)
    await app.close()

    restarted = await build_app(settings, clock=clock, configure_logs=False)
    try:
        loop = MoneyLoop(restarted.services.cards)
        await loop.run_once(reconcile=True)
        figures = await books_agree(restarted)
        assert figures["cards"][card.id] == Money(3_500)
        assert await restarted.services.ledger.balance(ledger.hold(account.id)) == Money(0)
    finally:
        await restarted.close()
