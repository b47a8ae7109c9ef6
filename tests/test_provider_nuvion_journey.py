"""The chat journey end to end on the Nuvion fake, configured exactly as a deployment would be:
``CARDBOT_PROVIDER=nuvion``, ``CARDBOT_NUVION_BASE_URL``, the API key and the funding account in
the environment, then the real app.

Nuvion has no cardholder KYC API (the verification is approved locally and at once), loads a
card only when it is created (no top-up or withdraw), and offers regular and single-use cards.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.fakes.nuvion import ACCOUNT_ID, API_KEY, FakeNuvion
from tests.journey import ANSWERS, JPEG, fund, issue_card


@pytest.fixture
async def fake() -> AsyncIterator[FakeNuvion]:
    async with FakeNuvion() as server:
        yield server


@pytest.fixture
async def nuvion_app(
    fake: FakeNuvion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> AsyncIterator[App]:
    monkeypatch.setenv("CARDBOT_PROVIDER", "nuvion")
    monkeypatch.setenv("CARDBOT_NUVION_BASE_URL", fake.base_url)
    monkeypatch.setenv("CARDBOT_NUVION_API_KEY", API_KEY)
    monkeypatch.setenv("CARDBOT_NUVION_ACCOUNT_ID", ACCOUNT_ID)
    application = await build_app(make_settings(tmp_path), clock=clock, configure_logs=False)
    yield application
    await application.close()


async def verify(user: ChatUser) -> None:
    """/start to a submitted verification (journey.onboard, without waiting for a review that
    Nuvion does not have)."""
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


async def test_the_journey_on_nuvion(nuvion_app: App, fake: FakeNuvion, clock: FakeClock) -> None:
    user = ChatUser(nuvion_app)
    await verify(user)
    assert "You're verified!" in user.screen_text()
    assert fake.calls == []  # no cardholder KYC call exists at Nuvion

    # a regular (virtual) card, loaded with $25.00 from the business's account
    before = fake.available
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    [created] = fake.calls_to("POST", "/virtual-cards")
    assert created.body["amount"] == 2500
    assert created.body["cardholder"] == {
        "first_name": "Ada",
        "last_name": "Okafor",
        "phone_number": "+2348031234567",
    }
    assert fake.available == before - 2500
    [card] = fake.cards.values()
    screen = user.screen_text()  # active at once: Nuvion cards are never pending
    assert "Active" in screen and "$25.00" in screen and card.number[-4:] in screen
    await user.type("/cards")
    await user.press(card.number[-4:])
    screen = user.screen_text()
    assert f"{card.number[:4]} {card.number[4:6]}•• •••• {card.number[-4:]}" in screen
    assert "Active" in screen and "$25.00" in screen
    labels = " ".join(user.labels())
    assert "Top up" not in labels and "Withdraw" not in labels  # not offered by Nuvion
    assert "Show card details" in labels and "Freeze" in labels and "Statement" in labels

    # reveal: live from GET /card-details, into one protected, self-destructing message
    await user.press("Show card details")
    secret = user.last
    assert secret.protect_content
    assert card.number in secret.text and card.cvv in secret.text
    assert re.search(rf"<code>{card.number}</code>", secret.text)
    assert fake.calls_to("GET", f"/card-details/{card.id}")

    # a purchase at the card, then the statement and the balance the API reports
    fake.charge(card.id, 1250, merchant="Coffee Lab")
    await user.press("Statement")
    screen = user.screen_text()
    assert "Coffee Lab" in screen and "$12.50" in screen
    # No webhook in this test: the reconcile job books the issuer's figure (amount_balance).
    [correction] = await nuvion_app.services.cards.reconcile()
    assert correction.after.minor - correction.before.minor == -1250
    await user.press("Back")
    assert "$12.50" in user.screen_text()  # 25.00 − 12.50

    # freeze and unfreeze
    await user.press("Freeze")
    assert "frozen" in user.screen_text().lower()
    assert fake.cards[card.id].status == "blocked"
    await user.press("Unfreeze")
    assert "active again" in user.screen_text()
    assert fake.cards[card.id].status == "active"

    # terminate: soft-deleted at Nuvion
    await user.press("Terminate card")
    await user.press("Yes, terminate it")
    await user.press("Terminate")
    assert fake.cards[card.id].deleted is not None
    assert "Terminated" in user.screen_text()


async def test_a_single_use_card_on_nuvion(
    nuvion_app: App, fake: FakeNuvion, clock: FakeClock
) -> None:
    user = ChatUser(nuvion_app)
    await verify(user)
    await issue_card(user, clock, initial="$10.00", pick="Single-use")
    [created] = fake.calls_to("POST", "/disposable-cards")
    assert created.body["amount"] == 1000
    assert re.fullmatch(r"(0[1-9]|1[0-2])", created.body["expiration_month"])
    assert re.fullmatch(r"[0-9]{2}", created.body["expiration_year"])
    [card] = fake.cards.values()
    await user.type("/cards")
    await user.press(card.number[-4:])
    assert "Active" in user.screen_text() and "$10.00" in user.screen_text()
    fake.charge(card.id, 400, merchant="Airline Tickets")  # its one successful charge
    await user.type("/cards")
    await user.press(card.number[-4:])
    screen = user.screen_text()
    assert "Terminated" in screen  # blocked for good after its first charge
    assert "Unfreeze" not in " ".join(user.labels())


async def test_limits_are_asked_for_while_the_card_is_created(
    nuvion_app: App, fake: FakeNuvion, clock: FakeClock
) -> None:
    """Nuvion takes spending controls only at creation: the chat asks for them then, and the
    card view shows them; there is no Limits button to change them later."""
    user = ChatUser(nuvion_app)
    await verify(user)
    await user.type("/menu")
    await user.press("New card")
    await user.press("Visa")
    assert "No initial amount" not in user.labels()  # cannot be loaded later
    await user.press("$50.00")
    assert "can only be set now" in user.screen_text()
    await user.press("Set limits")
    await user.type("40")  # daily
    await user.type("60")  # per purchase above daily: refused, asked again
    assert "can't be above the daily limit ($40.00)" in user.screen_text()
    await user.type("25")
    await user.press("5")  # purchases a day
    quote = user.screen_text()
    assert "$40.00 a day · $25.00 per purchase" in quote and "At most 5 purchases a day" in quote
    await user.press("Confirm")
    [created] = fake.calls_to("POST", "/virtual-cards")
    controls = created.body["individual_controls"]
    assert controls["daily_amount_limit"] == 4000
    assert controls["transaction_amount_limit"] == 2500
    assert controls["daily_transaction_count"] == 5
    view = user.screen_text()
    assert "$40.00 a day" in view and "At most 5 purchases a day" in view
    assert not any("Limits" in label for label in user.labels())
