"""The same journey and money rules on PostgreSQL (CI's server), through the migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import build_app
from services.money import Money
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard
from tests.pg import fresh_database


async def test_journey_on_postgres(tmp_path: Path) -> None:
    async with fresh_database() as url:
        clock = FakeClock()
        app = await build_app(
            make_settings(tmp_path, database_url=url),
            clock=clock,
            migrate=True,
            configure_logs=False,
        )
        try:
            assert app.db.engine.dialect.name == "postgresql"
            user = ChatUser(app)
            await onboard(user, clock)
            await issue_card(user, clock)
            await user.press("Top up")
            await user.type("10")
            await user.press("Confirm")
            assert "$35.00" in user.screen_text()
            await user.press("Show card details")
            assert user.log[-1].protect_content
            await user.press("Freeze")
            assert "Frozen" in user.screen_text()
            await user.press("Statement")
            assert "Top-up · +$10.00" in user.screen_text()

            # Concurrent confirmations of one quote on real connections: money moves once.
            account = await app.services.users.load(user.user_id)
            card = (await app.services.cards.list(account))[0]
            await app.services.cards.unfreeze(account, card.id)
            quote = await app.services.cards.quote_topup(account, card.id, Money(500))
            outcomes = await asyncio.gather(
                *(app.services.cards.confirm(account, quote.operation_id) for _ in range(8))
            )
            statuses = sorted(o.status for o in outcomes)
            assert statuses.count("succeeded") == 1, statuses
            assert (await app.services.cards.view(account, card.id)).balance == Money(4000)
        finally:
            await app.close()
