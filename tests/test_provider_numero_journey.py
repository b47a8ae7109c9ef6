"""The chat journey end to end on the Numero fake, configured exactly as a deployment would be:
``CARDBOT_PROVIDER=numero``, ``CARDBOT_NUMERO_BASE_URL`` and ``CARDBOT_NUMERO_API_KEY`` in the
environment, then the real app.

Numero takes KYC inline when the cardholder is created (reviewed here in five seconds of the
test clock), issues per cardholder with an initial balance in dollars, tops up and withdraws
against the business's USD card wallet, reveals, freezes and reports per-card spend. It has no
terminate endpoint, so the chat offers none.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import App, build_app
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.fakes.numero import DEFAULT_KEY, NumeroFake
from tests.journey import issue_card, onboard


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[NumeroFake]:
    async with NumeroFake(clock=clock, kyc_delay=5) as server:
        yield server


@pytest.fixture
async def numero_app(
    fake: NumeroFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> AsyncIterator[App]:
    monkeypatch.setenv("CARDBOT_PROVIDER", "numero")
    monkeypatch.setenv("CARDBOT_NUMERO_BASE_URL", fake.url)
    monkeypatch.setenv("CARDBOT_NUMERO_API_KEY", DEFAULT_KEY)
    application = await build_app(make_settings(tmp_path), clock=clock, configure_logs=False)
    yield application
    await application.close()


async def test_the_journey_on_numero(numero_app: App, fake: NumeroFake, clock: FakeClock) -> None:
    user = ChatUser(numero_app)

    # KYC travels inline on create-cardholder; the review ends within the test clock's 10 s
    await onboard(user, clock)
    assert "You're verified!" in user.screen_text()
    [holder] = fake.cardholders.values()
    assert holder.status == "Active"
    [created] = fake.calls_to("POST", "/business/cardholders")
    assert created.body["dateOfBirth"] == "1992-03-14"
    assert (created.body["idType"], created.body["bvn"]) == ("BVN", "22123456789")
    assert created.headers["x-numero-api-key"] == DEFAULT_KEY

    # a plain USD card with $25.00 on it, from the business's USD card wallet
    wallet = fake.wallet
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    [issue] = fake.calls_to("POST", rf"/business/cardholders/{holder.customer_id}/cards")
    assert issue.body["productCode"] == "USD_VIRTUAL"
    assert issue.body["capability"] == "USD"
    assert issue.body["initialBalance"] == Decimal("25")  # dollars, not cents
    assert re.fullmatch(r"cb-[0-9a-f]{32}", issue.body["label"])  # our reference, for lookup
    assert fake.wallet == wallet - Decimal("25.00")
    [card] = fake.cards.values()
    await user.type("/cards")
    await user.press(card.pan[-4:])
    screen = user.screen_text()
    assert f"{card.pan[:4]} {card.pan[4:6]}•• •••• {card.pan[-4:]}" in screen
    assert "Active" in screen and "$25.00" in screen
    labels = " ".join(user.labels())
    assert "Terminate" not in labels  # Numero documents no terminate endpoint
    for offered in ("Top up", "Withdraw", "Show card details", "Freeze", "Statement"):
        assert offered in labels

    # top up $40.00: the API gets 40 dollars, the card holds $65.00
    await user.press("Top up")
    await user.type("40")
    await user.press("Confirm")
    assert "$40.00 added" in user.screen_text()
    [topup] = fake.calls_to("POST", rf"/business/card/{card.reference}/topup")
    assert topup.body == {"amount": Decimal("40")}
    assert fake.card(card.reference).balance == Decimal("65.00")

    # reveal: live from the API, into one protected, self-destructing message
    await user.press("Show card details")
    secret = user.last
    assert secret.protect_content
    assert re.search(rf"<code>{card.pan}</code>", secret.text)
    assert card.cvv in secret.text
    assert fake.calls_to("POST", rf"/business/card/{card.reference}/reveal")

    # a purchase settles at the card; the statement shows it, the balance follows
    fake.spend(card.reference, "12.50", "Coffee Lab")
    await user.type("/cards")
    await user.press(card.pan[-4:])
    await user.press("Statement")
    screen = user.screen_text()
    assert "Coffee Lab" in screen and "$12.50" in screen
    [statement] = fake.calls_to("GET", rf"/business/card/{card.reference}/transactions")
    assert statement.query["pageNumber"] == "1"
    # No webhook in this test: the reconcile job finds the issuer's new figure and books it.
    [correction] = await numero_app.services.cards.reconcile()
    assert correction.after.minor - correction.before.minor == -1250
    await user.press("Back")
    assert "$52.50" in user.screen_text()

    # withdraw $10.00 back to the business's card wallet
    wallet = fake.wallet
    await user.press("Withdraw")
    await user.type("10")
    await user.press("Confirm")
    assert "$10.00 withdrawn" in user.screen_text()
    assert fake.card(card.reference).balance == Decimal("42.50")
    assert fake.wallet == wallet + Decimal("10.00")

    # freeze and unfreeze
    await user.type("/cards")
    await user.press(card.pan[-4:])
    await user.press("Freeze")
    assert "frozen" in user.screen_text().lower()
    assert fake.card(card.reference).status == "Frozen"
    await user.press("Unfreeze")
    assert "active again" in user.screen_text()
    assert fake.card(card.reference).status == "Active"


async def test_a_wallet_enabled_card_on_numero(
    numero_app: App, fake: NumeroFake, clock: FakeClock
) -> None:
    user = ChatUser(numero_app)
    await onboard(user, clock)
    await user.type("/menu")
    await user.press("New card")
    await user.press("Apple Pay")  # the wallet-enabled product the API lists
    if any("Google Pay" == label for label in user.labels()):  # a wallet choice of its own
        await user.press("Apple Pay")
    await user.press("$10.00")
    await user.press("Confirm")
    [issue] = fake.calls_to("POST", r"/business/cardholders/[^/]+/cards")
    assert (issue.body["productCode"], issue.body["capability"]) == ("USD_APPLE_PAY", "APPLE_PAY")
    assert issue.body["initialBalance"] == Decimal("10")
    [card] = fake.cards.values()
    assert card.capability == "APPLE_PAY"
    assert card.pan[-4:] in user.screen_text()


async def test_an_underfunded_card_wallet_is_explained_and_nothing_is_issued(
    numero_app: App, fake: NumeroFake, clock: FakeClock
) -> None:
    user = ChatUser(numero_app)
    await onboard(user, clock)
    fake.wallet = Decimal("5.00")
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    screen = user.screen_text()
    assert "That didn't go through" in screen
    assert "card wallet is short of funds" in screen  # handlers/locales/en/provider-numero.ftl
    assert fake.cards == {}
    assert fake.wallet == Decimal("5.00")
