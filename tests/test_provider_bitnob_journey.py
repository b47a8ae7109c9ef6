"""The chat journey end to end on the Bitnob fake, configured exactly as a deployment would be:
``CARDBOT_PROVIDER=bitnob``, ``CARDBOT_BITNOB_BASE_URL``, the secret key (and the sandbox flag,
since the fake's URL is not Bitnob's sandbox host) in the environment, then the real app.

Bitnob registers the cardholder (KYC) and reviews it, takes the first load in whole dollars on
card creation, tops up and withdraws in cents, reveals from the card object, freezes, and lists
the card's transactions.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from services.settings import Settings
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.fakes.bitnob import FakeBitnob
from tests.journey import issue_card, onboard


@pytest.fixture
async def fake() -> AsyncIterator[FakeBitnob]:
    async with FakeBitnob() as server:
        yield server


@pytest.fixture
async def bitnob_app(
    fake: FakeBitnob, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> AsyncIterator[App]:
    monkeypatch.setenv("CARDBOT_PROVIDER", "bitnob")
    monkeypatch.setenv("CARDBOT_BITNOB_BASE_URL", fake.base_url)
    monkeypatch.setenv("CARDBOT_BITNOB_API_KEY", fake.api_key)
    monkeypatch.setenv("CARDBOT_BITNOB_SANDBOX", "true")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        key_file=tmp_path / "cardbot.keys",
    )
    application = await build_app(settings, clock=clock, configure_logs=False)
    yield application
    await application.close()
    await application.services.provider.aclose()  # type: ignore[attr-defined]


async def test_the_journey_on_bitnob(bitnob_app: App, fake: FakeBitnob, clock: FakeClock) -> None:
    assert bitnob_app.services.provider.info.name == "bitnob"
    user = ChatUser(bitnob_app)

    # KYC: registered as a Bitnob card user, reviewed, approved
    await onboard(user, clock)
    assert "You're verified!" in user.screen_text()
    [registration] = fake.posts("/virtualcards/registercarduser")
    assert registration.body["country"] == "Nigeria"
    assert registration.body["bvn"] == registration.body["idNumber"] == "22123456789"
    [card_user] = fake.users.values()
    assert card_user.kyc_passed is True

    # a Visa card with a first load of $25.00, sent as the string "25"
    wallet = fake.wallet_cents
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    [created] = fake.posts("/virtualcards/create")
    assert created.body["amount"] == "25" and created.body["cardBrand"] == "visa"
    assert fake.wallet_cents == wallet - 2500
    [card] = fake.cards.values()
    assert card.number is not None and card.cvv is not None
    last4 = card.number[-4:]
    await user.type("/cards")
    await user.press(last4)
    screen = user.screen_text()
    assert "Active" in screen and "Balance: $25.00" in screen and last4 in screen
    assert card.number not in screen
    labels = " ".join(user.labels())
    for offered in ("Show card details", "Top up", "Withdraw", "Freeze", "Statement"):
        assert offered in labels, offered

    # top up $10.00: integer cents to Bitnob, the balance read back fresh
    await user.press("Top up")
    await user.press("$10.00")
    await user.press("Confirm")
    assert "$10.00 added to your card" in user.screen_text()
    assert "Balance: $35.00" in user.screen_text()
    [topup] = fake.posts("/virtualcards/topup")
    assert topup.body["amount"] == 1000 and topup.body["cardId"] == card.id
    assert card.balance == 3500

    # withdraw $5.00
    await user.press("Withdraw")
    await user.type("5")
    await user.press("Confirm")
    assert "Balance: $30.00" in user.screen_text()
    [withdrawal] = fake.posts("/virtualcards/withdraw")
    assert withdrawal.body["amount"] == 500
    assert card.balance == 3000

    # reveal: live from the fetch-card answer, into one protected, self-destructing message
    await user.press("Show card details")
    secret = user.last
    assert secret.protect_content
    assert re.search(rf"<code>{card.number}</code>", secret.text)
    assert card.cvv in secret.text
    assert sum(card.number in m.text for m in user.log) == 1

    # a purchase at a merchant, then the statement, newest first
    fake.charge(card.id, 1250, narrative="Coffee Lab")
    await user.press("Statement")
    lines = [line for line in user.screen_text().splitlines()[1:] if line.strip()]
    assert "Coffee Lab" in lines[0] and "$12.50" in lines[0]
    assert "Withdrawal" in lines[1] and "$5.00" in lines[1]
    assert "Top-up" in lines[2] and "$10.00" in lines[2]
    assert "Top-up" in lines[3] and "$25.00" in lines[3]
    # No webhook in this test: the reconcile job finds the issuer's new figure and books it.
    [correction] = await bitnob_app.services.cards.reconcile()
    assert correction.after.minor - correction.before.minor == -1250
    await user.press("Back to card")
    assert "Balance: $17.50" in user.screen_text()

    # freeze and unfreeze
    await user.press("Freeze")
    assert "is frozen" in user.screen_text()
    assert card.status == "frozen"
    assert "Top up" not in " ".join(user.labels())
    await user.press("Unfreeze")
    assert "active again" in user.screen_text()
    assert card.status == "active"


async def test_a_card_bitnob_is_still_creating_becomes_active_on_refresh(
    bitnob_app: App, fake: FakeBitnob, clock: FakeClock
) -> None:
    fake.auto_create = False
    user = ChatUser(bitnob_app)
    await onboard(user, clock)
    await user.type("/menu")
    await user.press("New card")
    await user.press("Visa")
    await user.press("$10.00")
    await user.press("Confirm")
    assert "Being created" in user.screen_text()
    [card] = fake.cards.values()
    fake.complete_creation(card.id)
    await user.press("Refresh")
    screen = user.screen_text()
    assert "Active" in screen and "Balance: $10.00" in screen


async def test_a_card_created_later_shows_its_last_four_digits(
    bitnob_app: App, fake: FakeBitnob, clock: FakeClock
) -> None:
    fake.auto_create = False
    user = ChatUser(bitnob_app)
    await onboard(user, clock)
    await user.type("/menu")
    await user.press("New card")
    await user.press("Visa")
    await user.press("$10.00")
    await user.press("Confirm")
    [card] = fake.cards.values()
    fake.complete_creation(card.id)
    await user.press("Refresh")
    assert card.number is not None
    assert f"•••• {card.number[-4:]}" in user.screen_text()
