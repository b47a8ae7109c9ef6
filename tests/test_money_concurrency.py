"""Many simultaneous top-ups for one cardholder never overdraw the wallet — on PostgreSQL with
real connections from two separate app instances (two pools, as two processes would have), so
the database row lock is what keeps them apart, and on SQLite."""

from __future__ import annotations

import asyncio

from bot.app import build_app
from services import ledger
from services.money import Money
from services.settings import Settings
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import issue_card, onboard
from tests.money_support import books_agree


async def test_simultaneous_top_ups_never_overdraw(
    money_settings: Settings, clock: FakeClock
) -> None:
    first = await build_app(money_settings, clock=clock, migrate=True, configure_logs=False)
    second = await build_app(money_settings, clock=clock, migrate=False, configure_logs=False)
    try:
        user = ChatUser(first)
        await onboard(user, clock)  # $500.00
        await issue_card(user, clock, initial="$25.00")  # $473.00 left in the wallet
        account = await first.services.users.load(user.user_id)
        [card] = await first.services.cards.list(account)
        # Twelve quotes of $100 (+$1.50 fee each): the wallet covers four of them.
        quotes = [
            await first.services.cards.quote_topup(account, card.id, Money(10_000))
            for _ in range(12)
        ]
        apps = [first, second]
        outcomes = await asyncio.gather(
            *(
                apps[n % 2].services.cards.confirm(account, quote.operation_id)
                for n, quote in enumerate(quotes)
            )
        )
        statuses = [o.status for o in outcomes]
        assert statuses.count("succeeded") == 4, statuses
        assert statuses.count("failed") == 8
        figures = await books_agree(first)
        assert figures["wallets"][ledger.wallet(account.id)] == Money(47_300 - 4 * 10_150)
        assert figures["cards"][card.id] == Money(2_500 + 40_000)
    finally:
        await second.close()
        await first.close()
