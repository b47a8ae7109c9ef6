"""The chat journey end to end on the card-program (EgaCard) fake, configured exactly as a
deployment would be: ``CARDBOT_PROVIDER=cardprogram``, ``CARDBOT_CARDPROGRAM_BASE_URL`` and the
EgaCard user's sign-in in the environment, then the real app.

EgaCard has no cardholder resource: verification stays with the bot and nothing is sent for it.
Cards come from the programs the API lists, are created empty, funded from the business's
wallet in dollar strings, withdrawn, frozen, and their transactions read back. There is no
card-details call, so the chat never offers "Show card details".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import App, build_app
from services.money import Money
from services.providers.cardprogram import CardProgramProvider
from services.settings import Settings
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.fakes.cardprogram import EMAIL, PASSWORD, FakeCardProgram
from tests.journey import ANSWERS, JPEG, fund, issue_card


@pytest.fixture
async def fake() -> AsyncIterator[FakeCardProgram]:
    server = FakeCardProgram()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def cardprogram_app(
    fake: FakeCardProgram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> AsyncIterator[App]:
    for name in ("API_KEY", "REFRESH_TOKEN", "WALLET_ID"):
        monkeypatch.delenv(f"CARDBOT_CARDPROGRAM_{name}", raising=False)
    monkeypatch.setenv("CARDBOT_PROVIDER", "cardprogram")
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_BASE_URL", fake.url)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_EMAIL", EMAIL)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_PASSWORD", PASSWORD)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        key_file=tmp_path / "cardbot.keys",
    )
    application = await build_app(settings, clock=clock, configure_logs=False)
    yield application
    await application.close()
    provider = application.services.provider
    assert isinstance(provider, CardProgramProvider)
    await provider.aclose()


async def verify(user: ChatUser) -> None:
    """/start to a submitted verification (journey.onboard, without the wait for a review that
    EgaCard's card API does not have)."""
    await user.type("/start")
    await user.press("Verify my identity")
    for field in ("first_name", "last_name", "birth_date"):
        await user.type(ANSWERS[field])
    await user.press("Nigeria")
    await user.type(ANSWERS["phone"])
    for field in ("address_line1", "city", "region", "postal_code"):
        await user.type(ANSWERS[field])
    await user.press("BVN")
    await user.type(ANSWERS["id_number"])
    await user.send_photo(JPEG)
    await user.send_photo(JPEG)
    assert "check your details" in user.screen_text()
    await user.press("Submit")
    await fund(user)  # the business credits the wallet (its deposit webhook)


def statement_lines(user: ChatUser) -> list[str]:
    return [line for line in user.screen_text().splitlines()[1:] if line.strip()]


async def test_the_journey_on_the_card_program_api(
    cardprogram_app: App, fake: FakeCardProgram, clock: FakeClock
) -> None:
    provider = cardprogram_app.services.provider
    assert isinstance(provider, CardProgramProvider)
    user = ChatUser(cardprogram_app)

    # verification stays with the bot: approved, and nothing about the person went to EgaCard
    await verify(user)
    assert "You're verified!" in user.screen_text()
    assert fake.calls == []

    # the programs the API lists are the choices; the USD Visa program is picked
    await user.type("/menu")
    await user.press("New card")
    labels = " ".join(user.labels())
    assert "Visa" in labels and "Mastercard" in labels
    await issue_card(user, clock, pick="Visa")
    [created] = fake.posts("/cards/api/v1/managed-cards/")
    assert created.body["program"] == "EGA-USD-VISA"
    reference = created.body["metadata"]["cardbot_reference"]
    assert created.headers["x-egacard-idempotency-key"] == reference
    [card] = fake.cards.values()
    await user.type("/cards")
    await user.press(card.last4)
    screen = user.screen_text()
    assert "Active" in screen and "Balance: $0.00" in screen and card.last4 in screen
    labels = " ".join(user.labels())
    for offered in ("Top up", "Freeze", "Statement"):
        assert offered in labels, offered
    assert "Show card details" not in labels  # the API has no card-details call

    # top up $25.00: a dollar string to EgaCard, debited from the business wallet
    await user.press("Top up")
    await user.press("$25.00")
    await user.press("Confirm")
    assert "$25.00 added to your card" in user.screen_text()
    assert "Balance: $25.00" in user.screen_text()
    [fund] = fake.posts("/fund/")
    assert fund.body["amount"] == "25.00" and fund.body["currency"] == "USD"
    assert card.balance == Decimal("25.00") and fake.wallet == Decimal("975.00")

    # the same confirmation pressed again moves no money
    await user.press_data(*user.find("Top up"))
    await user.press("$10.00")
    confirm_id, confirm_data = user.find("Confirm")
    await user.press_data(confirm_id, confirm_data)
    await user.press_data(confirm_id, confirm_data)
    assert len(fake.posts("/fund/")) == 2
    assert card.balance == Decimal("35.00")

    # withdraw $5.00 back to the wallet
    await user.press("Withdraw")
    await user.type("5")
    await user.press("Confirm")
    assert "Balance: $30.00" in user.screen_text()
    [withdrawal] = fake.posts("/withdraw/")
    assert withdrawal.body["amount"] == "5.00"

    # a purchase (the sandbox authorize call) then the statement, newest first
    await provider.simulate_purchase(card.reference, Money(1250), "Coffee Lab")
    await user.press("Statement")
    lines = statement_lines(user)
    assert "Coffee Lab" in lines[0] and "$12.50" in lines[0]
    assert "Withdrawal" in lines[1] and "$5.00" in lines[1]
    assert "Top-up" in lines[2] and "$10.00" in lines[2]
    assert "Top-up" in lines[3] and "$25.00" in lines[3]
    # No webhook in this test: the reconcile job books the issuer's available balance.
    [correction] = await cardprogram_app.services.cards.reconcile()
    assert correction.after.minor - correction.before.minor == -1250
    await user.press("Back to card")
    assert "Balance: $17.50" in user.screen_text()  # the authorization holds its amount

    # freeze: no money moves and the card says so
    await user.press("Freeze")
    assert card.status == "frozen"
    assert "Frozen" in user.screen_text()
    labels = " ".join(user.labels())
    assert "Unfreeze" in labels and "Top up" not in labels
    await user.press("Statement")
    assert "Coffee Lab" in statement_lines(user)[0]
    await user.press("Back to card")
    await user.press("Unfreeze")
    assert card.status == "active" and "Active" in user.screen_text()

    # every call to EgaCard carried the signed-in user's JWT and kept its trailing slash
    assert len(fake.posts("/api/v1/token/")) == 1
    for call in fake.card_calls():
        assert call.headers["authorization"].startswith("Bearer eyJ")
        assert call.path.endswith("/")
