"""The chat journey end to end on the Cartevo fake, configured exactly as a deployment would be:
``CARDBOT_PROVIDER=cartevo``, ``CARDBOT_CARTEVO_BASE_URL`` and the client id/key in the
environment, then the real app.

Cartevo takes the KYC as multipart with the ID photo as a file (NIN, passport, driver's licence
or voter's card — not a BVN), reviews it, issues Visa or Mastercard cards with a first load in
dollars, funds and withdraws in dollars, reveals through ``?reveal=true``, freezes with PUT, and
pages the card's transactions from 0. It offers no limits, products, disposable, wallet, airline
or dispute features, so the chat shows none.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import App, build_app
from services.settings import Settings
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.fakes.cartevo import CLIENT_ID, CLIENT_KEY, CartevoFake
from tests.journey import ANSWERS, JPEG, fund, issue_card

NIN = "12345678901"


@pytest.fixture
async def fake() -> AsyncIterator[CartevoFake]:
    async with CartevoFake() as server:
        yield server


@pytest.fixture
async def cartevo_app(
    fake: CartevoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> AsyncIterator[App]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("CARDBOT_PROVIDERS", "CARDBOT_ROUTES", "CARDBOT_CARTEVO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARDBOT_PROVIDER", "cartevo")
    monkeypatch.setenv("CARDBOT_CARTEVO_BASE_URL", fake.url)
    monkeypatch.setenv("CARDBOT_CARTEVO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CARDBOT_CARTEVO_CLIENT_KEY", CLIENT_KEY)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        key_file=tmp_path / "cardbot.keys",
    )
    application = await build_app(settings, clock=clock, configure_logs=False)
    yield application
    await application.close()
    await application.services.provider.aclose()  # type: ignore[attr-defined]


async def onboard(user: ChatUser, clock: FakeClock, id_type: str = "NIN") -> None:
    """From /start to the review answer, with an ID document Cartevo takes."""
    await user.type("/start")
    await user.press("Verify my identity")
    for field in ("first_name", "last_name", "birth_date"):
        await user.type(ANSWERS[field])
    await user.press("Nigeria")
    await user.type(ANSWERS["phone"])
    for field in ("address_line1", "city", "region", "postal_code"):
        await user.type(ANSWERS[field])
    await user.press(id_type)
    await user.type(NIN if id_type == "NIN" else ANSWERS["id_number"])
    await user.send_photo(JPEG)
    await user.send_photo(JPEG)
    assert "check your details" in user.screen_text()
    await user.press("Submit")
    await fund(user)  # the business credits the wallet (its deposit webhook)


async def test_the_journey_on_cartevo(
    cartevo_app: App, fake: CartevoFake, clock: FakeClock
) -> None:
    assert cartevo_app.services.provider.info.name == "cartevo"
    user = ChatUser(cartevo_app)

    # KYC: one multipart customer with the ID photo as a file, reviewed, approved
    await onboard(user, clock)
    assert "being reviewed" in user.screen_text()
    clock.advance(10)
    await user.press("Check status")
    assert "You're verified!" in user.screen_text()
    [registration] = fake.calls_to("POST", "/customers")
    assert registration.form["id_document_type"] == "NIN"
    assert registration.form["identification_number"] == NIN
    assert registration.form["country"] == "Nigeria"
    assert registration.form["country_phone_code"] == "+234"
    assert registration.form["phone_number"] == "8031234567"
    assert registration.form["date_of_birth"] == "1992-03-14"
    assert registration.files["id_document_front"][2] == JPEG
    [customer] = fake.customers.values()
    assert customer.kyc_status == "APPROVED"

    # a Visa card with a first load of $25.00, sent as the number 25 (dollars)
    wallet = fake.wallet
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    [created] = fake.calls_to("POST", "/cards")
    assert created.json == {
        "customer_id": customer.id,
        "brand": "VISA",
        "amount": 25,
        "name_on_card": "ADA OKAFOR",
    }
    assert fake.wallet == wallet - Decimal("25") - fake.issuance_fee
    [card] = fake.cards.values()
    last4 = card.pan[-4:]
    await user.type("/cards")
    await user.press(last4)
    screen = user.screen_text()
    assert "Active" in screen and "Balance: $25.00" in screen and last4 in screen
    assert card.pan not in screen
    labels = " ".join(user.labels())
    for offered in ("Show card details", "Top up", "Withdraw", "Freeze", "Statement", "Terminate"):
        assert offered in labels, offered
    for absent in ("Limits", "airline", "Dispute"):
        assert absent not in labels, absent

    # top up $10.00 and withdraw $5.50: dollars on the wire, balances read back
    await user.press("Top up")
    await user.press("$10.00")
    await user.press("Confirm")
    assert "$10.00 added to your card" in user.screen_text()
    assert "Balance: $35.00" in user.screen_text()
    [fund] = fake.calls_to("POST", "/cards/*/fund")
    assert fund.json == {"amount": 10} and card.balance == Decimal("35")
    await user.press("Withdraw")
    await user.type("5.50")
    await user.press("Confirm")
    assert "Balance: $29.50" in user.screen_text()
    [withdrawal] = fake.calls_to("POST", "/cards/*/withdraw")
    assert withdrawal.json == {"amount": Decimal("5.5")} and card.balance == Decimal("29.50")

    # reveal: fetched live with ?reveal=true into one protected, self-destructing message
    await user.press("Show card details")
    secret = user.last
    assert secret.protect_content
    assert re.search(rf"<code>{card.pan}</code>", secret.text)
    assert card.cvv in secret.text
    assert sum(card.pan in m.text for m in user.log) == 1
    assert fake.reveals == 1
    assert fake.calls_to("GET", "/cards/*")[-1].query == {"reveal": "true"}

    # a purchase at a merchant, then the statement, newest first, from page 0
    fake.add_purchase(card.id, Decimal("12.50"), "Coffee Lab")
    await user.press("Statement")
    assert fake.calls_to("GET", "/cards/*/transactions")[-1].query["page"] == "0"
    lines = [line for line in user.screen_text().splitlines()[1:] if line.strip()]
    assert "Coffee Lab" in lines[0] and "$12.50" in lines[0]
    assert "Withdrawal" in lines[1] and "$5.50" in lines[1]
    assert "Top-up" in lines[2] and "$10.00" in lines[2]
    assert "Top-up" in lines[3] and "$25.00" in lines[3]
    assert len(lines) == 4
    # No webhook in this test: the reconcile job books the issuer's new figure.
    [correction] = await cartevo_app.services.cards.reconcile()
    assert correction.after.minor - correction.before.minor == -1250
    await user.press("Back to card")
    assert "Balance: $17.00" in user.screen_text()

    # freeze (PUT, no body) and unfreeze
    await user.press("Freeze")
    assert "is frozen" in user.screen_text()
    assert card.status == "FROZEN"
    assert "Top up" not in " ".join(user.labels())
    await user.press("Unfreeze")
    assert "active again" in user.screen_text()
    assert card.status == "ACTIVE"
    assert [c.path.rsplit("/", 1)[1] for c in fake.calls if c.method == "PUT"] == [
        "freeze",
        "unfreeze",
    ]


async def test_a_top_up_whose_answer_was_lost_moves_the_money_once(
    cartevo_app: App, fake: CartevoFake, clock: FakeClock
) -> None:
    user = ChatUser(cartevo_app)
    await onboard(user, clock)
    clock.advance(10)
    await user.press("Check status")
    await issue_card(user, clock, initial="$25.00", pick="Visa")
    [card] = fake.cards.values()
    await user.type("/cards")
    await user.press(card.pan[-4:])
    fake.fail_next("drop-after", "POST", "/cards/*/fund")  # funded, but the answer is lost
    # …and Cartevo rate-limits the look-up that follows (the snapshot before the call gets
    # through), so the bot cannot tell at once
    fake.fail_next("429", "GET", "/cards/*/transactions", times=3, retry_after=0, skip=1)
    await user.press("Top up")
    await user.press("$10.00")
    message_id, confirm = user.find("Confirm")
    await user.press_data(message_id, confirm)
    assert "has not confirmed yet" in user.screen_text()
    await user.press_data(message_id, confirm)  # tapped again: nothing is sent twice
    await cartevo_app.services.cards.resume()  # what the resume loop does in production
    assert len(fake.calls_to("POST", "/cards/*/fund")) == 1
    assert card.balance == Decimal("35")
    await user.type("/cards")
    await user.press(card.pan[-4:])
    assert "Balance: $35.00" in user.screen_text()  # read back from Cartevo


async def test_an_empty_company_wallet_is_said_plainly(
    cartevo_app: App, fake: CartevoFake, clock: FakeClock
) -> None:
    user = ChatUser(cartevo_app)
    await onboard(user, clock)
    clock.advance(10)
    await user.press("Check status")
    fake.wallet = Decimal("5")  # Cartevo: 400 "Insufficient balance"
    await user.type("/menu")
    await user.press("New card")
    await user.press("Mastercard")
    await user.press("$25.00")
    await user.press("Confirm")
    assert "That didn't go through: the card service cannot fund this" in user.screen_text()
    assert fake.cards == {}
    assert fake.calls_to("POST", "/cards")[0].json["brand"] == "MASTERCARD"


async def test_a_bvn_is_refused_with_what_to_choose_instead(
    cartevo_app: App, fake: CartevoFake, clock: FakeClock
) -> None:
    user = ChatUser(cartevo_app)
    await onboard(user, clock, id_type="BVN")
    screen = user.screen_text()
    assert "That didn't go through: this card issuer does not accept that ID" in screen
    assert "NIN, passport or driver's licence" in screen
    assert fake.calls_to("POST", "/customers") == [] and fake.customers == {}
