"""What an issuer offers becomes a chat feature, on the sandbox (which offers everything):
products discovered from the API, wallet-enabled and single-use cards, spending limits,
airline payments, disputing a payment from the statement."""

from __future__ import annotations

from typing import Any

from bot.app import App
from handlers.events import AnswerButton
from services.money import Money
from services.providers.base import Capability
from services.providers.sandbox import PRODUCTS, SandboxProvider
from storage.models import Card, SandboxDispute
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import issue_card, onboard


async def press(user: ChatUser, label: str) -> list[Any]:
    actions = await user.press(label)
    assert isinstance(actions[0], AnswerButton), actions
    return actions


def sandbox_of(app: App) -> SandboxProvider:
    sandbox = app.services.provider
    assert isinstance(sandbox, SandboxProvider)
    return sandbox


async def only_card(app: App, user: ChatUser) -> Card:
    account = await app.services.users.load(user.user_id)
    async with app.db.session() as session:
        from sqlmodel import select

        rows = (await session.exec(select(Card).where(Card.user_id == account.id))).all()
    assert len(rows) == 1, rows
    return rows[0]


async def test_new_card_offers_what_the_issuer_lists(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await press(user, "Get my first card")
    assert "Which card would you like" in user.screen_text()
    offered = user.labels()
    # One button per kind of card in the issuer's product list, then Cancel.
    assert offered == [
        "Visa",
        "Mastercard",
        "Visa for Apple Pay & Google Pay",
        "Single-use Visa",
        "✖️ Cancel",
    ]
    assert len(PRODUCTS) == 4


async def test_wallet_card_asks_which_wallet_and_is_issued_for_it(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await press(user, "Get my first card")
    await press(user, "Apple Pay & Google Pay")
    assert "Which phone wallet" in user.screen_text()
    assert user.labels() == ["Apple Pay", "Google Pay", "⬅️ Back"]
    await press(user, "Google Pay")
    await press(user, "$10.00")
    quote = user.screen_text()
    assert "Visa for Apple Pay & Google Pay · Google Pay" in quote and "You pay: $12.00" in quote
    await press(user, "Confirm")
    clock.advance(10)
    await press(user, "Refresh")
    assert "📱 Ready for Google Pay." in user.screen_text()
    card = await only_card(app, user)
    assert card.wallet == "google_pay"
    sandbox_card = await app.services.provider.get_card(card.provider_card_id)
    assert sandbox_card.wallet == "google_pay"


async def test_forged_wallet_for_a_plain_card_is_refused(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    account = await app.services.users.load(user.user_id)
    from services.errors import ServiceError

    for option, wallet in (("visa.wallet", "samsung_pay"), ("visa.wallet", None)):
        try:
            await app.services.cards.quote_issue(account, option, Money(0), wallet)
        except ServiceError as exc:
            assert exc.code == "card-wallet-unknown"
        else:
            raise AssertionError(f"{option} with {wallet} was quoted")


async def test_single_use_card_is_blocked_after_its_first_purchase(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, pick="Single-use Visa", initial="$50.00")
    assert "Single-use: it stops working after its first payment." in user.screen_text()
    card = await only_card(app, user)
    assert card.disposable
    sandbox = sandbox_of(app)
    first = await sandbox.simulate_purchase(card.provider_card_id, Money(1999), "Netflix")
    second = await sandbox.simulate_purchase(card.provider_card_id, Money(100), "Spotify")
    assert first.status == "approved"
    assert (second.status, second.decline_reason) == ("declined", "card_terminated")
    await user.type("/cards")
    await press(user, "Visa")
    view = user.screen_text()
    assert "Terminated" in view and "$0.00" in view  # the rest went back
    assert "👁 Show card details" not in user.labels()


async def test_limits_are_set_from_the_card_view_and_enforced(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    await press(user, "Limits")
    assert "Spending limits" in user.screen_text() and "none a day" in user.screen_text()
    await press(user, "Set a daily limit")
    await user.type("0")
    assert "more than zero" in user.screen_text()
    await user.type("30")
    assert "Limits saved" in user.screen_text() and "$30.00 a day" in user.screen_text()
    await press(user, "Set a per-purchase limit")
    await user.type("45")  # above the daily limit: refused with the reason
    assert "can't be above the daily limit ($30.00)" in user.screen_text()
    await user.type("20")
    assert "$20.00 per purchase" in user.screen_text()

    card = await only_card(app, user)
    assert (card.daily_limit_minor, card.per_txn_limit_minor) == (3000, 2000)
    sandbox = sandbox_of(app)
    over = await sandbox.simulate_purchase(card.provider_card_id, Money(2500), "Jumia")
    ok = await sandbox.simulate_purchase(card.provider_card_id, Money(1500), "Jumia")
    over_day = await sandbox.simulate_purchase(card.provider_card_id, Money(1600), "Jumia")
    assert over.decline_reason == "over_transaction_limit"
    assert ok.status == "approved"
    assert over_day.decline_reason == "over_daily_limit"

    await press(user, "Remove all limits")
    assert "Limits removed" in user.screen_text()
    assert (await only_card(app, user)).daily_limit_minor is None


async def test_airline_payments_toggle(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    assert "Airline payments: on" in user.screen_text()
    await press(user, "Block airline payments")
    assert "blocked on card" in user.screen_text() and "Airline payments: off" in user.screen_text()
    card = await only_card(app, user)
    sandbox = sandbox_of(app)
    flight = await sandbox.simulate_purchase(
        card.provider_card_id, Money(900), "Air Peace", airline=True
    )
    assert flight.decline_reason == "airline_blocked"
    await press(user, "Allow airline payments")
    flight = await sandbox.simulate_purchase(
        card.provider_card_id, Money(900), "Air Peace", airline=True
    )
    assert flight.status == "approved"


async def test_dispute_a_payment_from_the_statement(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    card = await only_card(app, user)
    sandbox = sandbox_of(app)
    await sandbox.simulate_purchase(card.provider_card_id, Money(1250), "Konga")
    await press(user, "Statement")
    await press(user, "Dispute a payment")
    assert user.labels() == ["Konga · $12.50", "✖️ Cancel"]  # only approved purchases
    await press(user, "Konga")
    await user.type("too short")
    assert "10 to 500 characters" in user.screen_text()
    await user.type("I was charged twice for one order")
    assert "Dispute opened (reference" in user.screen_text()
    async with app.db.session() as session:
        from sqlmodel import select

        disputes = (await session.exec(select(SandboxDispute))).all()
    assert [d.reason for d in disputes] == ["I was charged twice for one order"]
    # The same payment cannot be disputed twice.
    await press(user, "Statement")
    await press(user, "Dispute a payment")
    await press(user, "Konga")
    await user.type("Still charged twice, second try")
    assert "already disputed" in user.screen_text()


async def test_menus_offer_only_what_the_issuer_can_do(
    app: App, clock: FakeClock, monkeypatch: Any
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="$50.00")
    sandbox = sandbox_of(app)
    everything = set(user.labels())
    assert {"🎚 Limits", "✈️ Block airline payments", "➖ Withdraw", "🗑 Terminate card"} <= everything
    narrowed = sandbox.info.capabilities - {
        Capability.LIMITS,
        Capability.AIRLINE_TOGGLE,
        Capability.WITHDRAW,
        Capability.TERMINATE,
    }
    monkeypatch.setattr(
        sandbox, "info", type(sandbox.info)(sandbox.info.name, narrowed, sandbox.info.brands)
    )
    await user.type("/cards")
    await press(user, "Visa")
    shown = set(user.labels())
    assert not {"🎚 Limits", "✈️ Block airline payments", "➖ Withdraw", "🗑 Terminate card"} & shown
    assert {"➕ Top up", "❄️ Freeze"} <= shown
