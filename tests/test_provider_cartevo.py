"""The Cartevo adapter against a strict fake of Cartevo's documented API: auth and token renewal,
KYC as multipart with the document as a file, issuance, dollars both ways, fund/withdraw,
freeze/unfreeze/terminate, reveal, 0-indexed statement pages, documented errors, bounded retries
for reads only, and — since Cartevo takes no idempotency key — lookups after unclear writes so no
card is issued twice and no money moves twice for one reference."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from handlers.texts import Texts
from services.money import Money
from services.providers import cartevo, registry
from services.providers.base import (
    Capability,
    Cardholder,
    CardStatus,
    IssueRequest,
    KycApplication,
    KycStatus,
    Limits,
    ProviderError,
)
from services.providers.cartevo import (
    DEFAULT_BASE_URL,
    CartevoProvider,
    from_dollars,
    to_dollars,
    wire_number,
)
from services.providers.http import RetryPolicy
from services.settings import Settings
from tests.fakes.cartevo import CLIENT_ID, CLIENT_KEY, CartevoFake
from tests.journey import JPEG

FUND = "/cards/*/fund"
WITHDRAW = "/cards/*/withdraw"


class Sleeps:
    """An injected sleep: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[CartevoFake]:
    async with CartevoFake() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def provider(fake: CartevoFake, sleeps: Sleeps) -> AsyncIterator[CartevoProvider]:
    client = make(fake, sleeps)
    yield client
    await client.aclose()


# One TLS context for the module: building one per client costs ~50 ms (the fake is plain HTTP).
TLS = ssl.create_default_context()


def make(fake: CartevoFake, sleeps: Sleeps, **options: Any) -> CartevoProvider:
    options.setdefault("retry", RetryPolicy(attempts=3, base_delay=0.01))
    options.setdefault("transport", httpx.AsyncHTTPTransport(verify=TLS))
    return CartevoProvider(fake.url, CLIENT_ID, CLIENT_KEY, sleep=sleeps, **options)


def application(**overrides: Any) -> KycApplication:
    values: dict[str, Any] = {
        "reference": "user-1",
        "first_name": "Ada",
        "last_name": "Okafor",
        "birth_date": date(1992, 3, 14),
        "country": "NG",
        "phone_e164": "+2348031234567",
        "address_line1": "12 Marina Road",
        "city": "Lagos",
        "region": "Lagos",
        "postal_code": "101001",
        "id_type": "nin",
        "id_number": "12345678901",
        "id_photo": JPEG,
        "selfie": JPEG + b"selfie",
    }
    values.update(overrides)
    return KycApplication(**values)


def issue(customer_id: str, reference: str = "op-1", **overrides: Any) -> IssueRequest:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "reference": reference,
        "brand": "visa",
        "initial": Money(2500),
    }
    values.update(overrides)
    return IssueRequest(**values)


def fresh_card(fake: CartevoFake, balance: str = "20", status: str = "ACTIVE") -> str:
    return fake.add_card(fake.add_customer(), balance=Decimal(balance), status=status)


async def refused(awaitable: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await awaitable
    return caught.value


# -- declarations and configuration --
def test_capabilities_declare_only_what_cartevo_offers() -> None:
    assert CartevoProvider.info.name == "cartevo"
    assert CartevoProvider.info.capabilities == {
        Capability.ISSUE,
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.CHOOSE_BRAND,
        Capability.INITIAL_AMOUNT,
    }
    assert CartevoProvider.info.brands == ("visa", "mastercard")


async def test_what_cartevo_lacks_raises_not_offered_without_calling_it(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    for call in (
        provider.products(),
        provider.set_limits(card, Limits(daily=Money(5000))),
        provider.set_airline_payments(card, True),
        provider.open_dispute(card, "txn-1", "not mine"),
        provider.issue_card(issue(fake.add_customer(), disposable=True)),
        provider.issue_card(issue(fake.add_customer(), wallet="apple_pay")),
        provider.issue_card(issue(fake.add_customer(), limits=Limits(daily=Money(100)))),
    ):
        assert (await refused(call)).code == "not-offered"
    assert fake.calls == []


async def test_settings_come_from_cardbot_cartevo_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, fake: CartevoFake
) -> None:
    for name in ("BASE_URL", "CLIENT_ID", "CLIENT_KEY", "API_KEY"):
        monkeypatch.delenv(f"CARDBOT_CARTEVO_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = Settings(_env_file=None, key_file=tmp_path / "k")  # type: ignore[call-arg]
    with pytest.raises(SystemExit, match="CARDBOT_CARTEVO_CLIENT_ID"):
        registry.create("cartevo", settings)
    monkeypatch.setenv("CARDBOT_CARTEVO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CARDBOT_CARTEVO_API_KEY", CLIENT_KEY)  # API_KEY aliases client_key
    default = registry.create("cartevo", settings)
    assert isinstance(default, CartevoProvider)
    assert default.base_url == DEFAULT_BASE_URL == "https://api.cartevo.co/api/v1"
    assert CLIENT_KEY not in repr(default)
    await default.aclose()
    monkeypatch.setenv("CARDBOT_CARTEVO_BASE_URL", fake.url + "/")
    built = registry.create("cartevo", settings)
    assert isinstance(built, CartevoProvider) and built.base_url == fake.url
    card = fresh_card(fake)
    assert (await built.get_card(card)).card_id == card  # the alias key got a token
    await built.aclose()
    monkeypatch.setenv("CARDBOT_CARTEVO_CLIENT_KEY", "key_wrong")  # CLIENT_KEY wins over API_KEY
    wrong = registry.create("cartevo", settings)
    assert (await refused(wrong.get_card(card))).code == "provider-cartevo-auth"
    assert isinstance(wrong, CartevoProvider)
    await wrong.aclose()


# -- units --
def test_dollars_both_ways_without_floats_on_money() -> None:
    assert to_dollars(Money(1)) == Decimal("0.01")
    assert to_dollars(Money(2500)) == Decimal("25.00")
    assert wire_number(Decimal("25.00")) == 25 and isinstance(wire_number(Decimal("25")), int)
    assert json.dumps({"amount": wire_number(Decimal("12.34"))}) == '{"amount": 12.34}'
    assert from_dollars(Decimal("0.45")) == Money(45)
    assert from_dollars(100) == Money(10_000)
    assert from_dollars("19.99") == Money(1999)
    with pytest.raises(ProviderError) as caught:
        to_dollars(Money(100, "EUR"))
    assert caught.value.code == "provider-bad-request"


# -- authentication --
async def test_one_token_serves_every_call_as_a_bearer_header(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    await asyncio.gather(*(provider.get_card(card) for _ in range(4)))
    assert fake.token_requests == 1
    token_call = fake.calls[0]
    assert token_call.path == "/auth/token" and "authorization" not in token_call.headers
    assert token_call.json == {"client_id": CLIENT_ID, "client_key": CLIENT_KEY}
    others = [c for c in fake.calls if c.path != "/auth/token"]
    assert len(others) == 4
    for call in others:
        scheme, _, token = call.headers["authorization"].partition(" ")
        assert scheme == "Bearer" and token in fake.tokens


async def test_the_token_is_renewed_five_minutes_before_it_expires(
    fake: CartevoFake, sleeps: Sleeps
) -> None:
    now = [1000.0]
    client = make(fake, sleeps, clock=lambda: now[0])
    card = fresh_card(fake)
    await client.get_card(card)
    now[0] += 3600 - 301  # still more than 5 minutes left
    await client.get_card(card)
    assert fake.token_requests == 1
    now[0] += 2  # now less than 5 minutes left
    await client.get_card(card)
    assert fake.token_requests == 2
    await client.aclose()


async def test_a_401_renews_the_token_once_and_repeats_the_call(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    await provider.get_card(card)
    fake.expire_tokens()  # revoked or expired early on Cartevo's side
    view = await provider.top_up(card, Money(500), "op-auth")
    assert view.balance == Money(2500)
    assert fake.token_requests == 2
    assert [c.status for c in fake.calls_to("GET", "/cards/*")][:2] == [200, 401]
    assert len(fake.calls_to("POST", FUND)) == 1


async def test_a_fresh_token_refused_at_once_is_renewed_too(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    fake.fail_next("401", "GET", "/cards/*")
    assert (await provider.get_card(card)).card_id == card
    assert fake.token_requests == 2
    [first, second] = fake.calls_to("GET", "/cards/*")
    assert first.headers["authorization"] != second.headers["authorization"]


async def test_no_token_means_the_write_was_never_sent(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake)
    fake.fail_next("drop", "POST", "/auth/token", times=3)
    error = await refused(provider.top_up(card, Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-unavailable", True)
    assert fake.calls_to("POST", FUND) == [] and len(sleeps.waits) == 2


async def test_wrong_credentials_are_a_clear_configuration_error(
    fake: CartevoFake, sleeps: Sleeps
) -> None:
    client = CartevoProvider(
        fake.url,
        CLIENT_ID,
        "key_wrong",
        sleep=sleeps,
        transport=httpx.AsyncHTTPTransport(verify=TLS),
    )
    error = await refused(client.get_card(fresh_card(fake)))
    assert error.code == "provider-cartevo-auth"
    assert fake.token_requests == 1 and sleeps.waits == []
    await client.aclose()


# -- KYC --
async def test_kyc_is_multipart_with_the_document_as_a_file(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    result = await provider.submit_kyc(application())
    assert result.status is KycStatus.PENDING
    [call] = fake.calls_to("POST", "/customers")
    assert call.headers["content-type"].startswith("multipart/form-data")
    assert call.form == {
        "first_name": "Ada",
        "last_name": "Okafor",
        "email": "user-1@customers.cardbot.invalid",
        "country": "Nigeria",
        "street": "12 Marina Road",
        "city": "Lagos",
        "state": "Lagos",
        "postal_code": "101001",
        "country_iso_code": "NG",
        "country_phone_code": "+234",
        "phone_number": "8031234567",
        "identification_number": "12345678901",
        "id_document_type": "NIN",
        "date_of_birth": "1992-03-14",
    }
    assert set(call.files) == {"id_document_front"}  # Cartevo has no selfie field
    filename, content_type, content = call.files["id_document_front"]
    assert content == JPEG and content_type == "image/jpeg" and filename.endswith(".jpg")
    assert result.customer_id in fake.customers
    assert (await provider.kyc_status(result.customer_id)).status is KycStatus.APPROVED


@pytest.mark.parametrize(
    ("id_type", "sent"),
    [("passport", "PASSPORT"), ("drivers_licence", "DRIVERS_LICENSE"), ("national_id", "NIN")],
)
async def test_id_types_map_onto_cartevo_document_types(
    provider: CartevoProvider, fake: CartevoFake, id_type: str, sent: str
) -> None:
    await provider.submit_kyc(application(id_type=id_type, id_number="A1234567"))
    assert fake.calls_to("POST", "/customers")[0].form["id_document_type"] == sent


async def test_kyc_rejection_and_a_review_still_pending(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    rejected = await provider.submit_kyc(application(reference="u-r", last_name="Reject"))
    assert (await provider.kyc_status(rejected.customer_id)).status is KycStatus.REJECTED
    fake.kyc_outcome = None  # the review takes its time
    waiting = await provider.submit_kyc(application(reference="u-w"))
    assert (await provider.kyc_status(waiting.customer_id)).status is KycStatus.PENDING
    fake.decide_kyc(waiting.customer_id, "APPROVED")
    assert (await provider.kyc_status(waiting.customer_id)).status is KycStatus.APPROVED


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"id_type": "bvn", "id_number": "22123456789"}, "provider-cartevo-id-type"),
        ({"first_name": "Li"}, "provider-cartevo-name-too-short"),
    ],
)
async def test_what_cartevo_cannot_take_is_refused_before_sending(
    provider: CartevoProvider, fake: CartevoFake, overrides: dict[str, str], code: str
) -> None:
    error = await refused(provider.submit_kyc(application(**overrides)))
    assert error.code == code and error.definite
    assert fake.calls == []


async def test_details_cartevo_rejects_are_a_kyc_answer_problem(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    error = await refused(provider.submit_kyc(application(postal_code="12")))  # 3–255 chars
    assert error.code == "provider-cartevo-kyc-invalid" and error.definite
    assert fake.customers == {}


async def test_a_lost_kyc_answer_is_found_by_email_instead_of_a_second_customer(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    fake.add_customer(email="someone-else@example.com")
    fake.fail_next("drop-after", "POST", "/customers")
    first = await provider.submit_kyc(application())  # created, answer lost: looked up
    created = fake.customer_by_email("user-1@customers.cardbot.invalid")
    assert created is not None and first.customer_id == created.id
    assert fake.calls_to("GET", "/customers")[0].query == {"page": "1", "limit": "100"}
    again = await provider.submit_kyc(application())  # Cartevo answers 409: looked up too
    assert again.customer_id == created.id
    assert len(fake.customers) == 2
    assert [c.status for c in fake.calls_to("POST", "/customers")] == [0, 409]


async def test_a_lost_kyc_answer_with_no_customer_behind_it_stays_unclear(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    fake.fail_next("drop", "POST", "/customers")
    error = await refused(provider.submit_kyc(application()))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert fake.customers == {}


async def test_an_unknown_customer_is_not_found(provider: CartevoProvider) -> None:
    error = await refused(provider.kyc_status("6f1c1d2e-0000-4000-8000-000000000000"))
    assert error.code == "provider-not-found"


# -- issuing --
async def test_issue_sends_dollars_and_the_brand_and_returns_the_card(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    customer = fake.add_customer()
    card = await provider.issue_card(issue(customer, initial=Money(2500)))
    [call] = fake.calls_to("POST", "/cards")
    assert call.json == {"customer_id": customer, "brand": "VISA", "amount": 25}
    stored = fake.cards[card.card_id]
    assert stored.balance == Decimal("25") and card.balance == Money(2500)
    assert fake.wallet == Decimal("1000") - Decimal("25") - fake.issuance_fee
    assert card.status is CardStatus.ACTIVE and card.brand == "visa"
    assert card.last4 == stored.pan[-4:] and stored.pan not in card.masked_pan
    assert card.masked_pan.startswith(stored.pan[:4])


async def test_issue_with_cents_a_mastercard_and_the_name_on_card(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    holder = Cardholder("Ada", "Okafor", "+2348031234567", "NG")
    card = await provider.issue_card(
        issue(fake.add_customer(), brand="mastercard", initial=Money(1234), cardholder=holder)
    )
    [call] = fake.calls_to("POST", "/cards")
    assert call.json == {
        "customer_id": fake.cards[card.card_id].customer_id,
        "brand": "MASTERCARD",
        "amount": Decimal("12.34"),
        "name_on_card": "ADA OKAFOR",
    }
    assert card.balance == Money(1234) and card.brand == "mastercard"
    accented = Cardholder("Zoë", "N'Diaye-Éboué", "+2348031234567", "NG")
    await provider.issue_card(issue(fake.add_customer(), "op-2", cardholder=accented))
    assert fake.calls_to("POST", "/cards")[1].json["name_on_card"] == "ZOE NDIAYE-EBOUE"


async def test_an_unfunded_card_sends_no_amount(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = await provider.issue_card(issue(fake.add_customer(), initial=Money(0)))
    assert "amount" not in fake.calls_to("POST", "/cards")[0].json
    assert card.balance == Money(0)


async def test_the_seed_schema_shape_and_a_pending_card_are_read(
    fake: CartevoFake, sleeps: Sleeps
) -> None:
    fake.create_shape, fake.new_card_status = "schema", "PENDING"
    client = make(fake, sleeps)
    card = await client.issue_card(issue(fake.add_customer()))
    assert card.status is CardStatus.PENDING and card.balance == Money(2500)
    assert (await client.get_card(card.card_id)).status is CardStatus.ACTIVE
    await client.aclose()


@pytest.mark.parametrize("french", [False, True])
async def test_issuance_errors_documented_by_cartevo(
    fake: CartevoFake, sleeps: Sleeps, french: bool
) -> None:
    fake.french = french  # "message may be English or French"
    client = make(fake, sleeps)
    pending = fake.add_customer(kyc_status="PENDING")
    error = await refused(client.issue_card(issue(pending)))
    assert (error.code, error.definite) == ("provider-kyc-not-approved", True)
    fake.wallet = Decimal("10")
    error = await refused(client.issue_card(issue(fake.add_customer(), "op-2")))
    assert (error.code, error.definite) == ("provider-cartevo-wallet-insufficient", True)
    error = await refused(
        client.issue_card(issue("6f1c1d2e-0000-4000-8000-000000000000", "op-3", initial=Money(0)))
    )
    assert error.code == "provider-not-found"
    assert fake.cards == {}
    await client.aclose()


async def test_an_issuance_5xx_is_unclear_and_never_repeated_blindly(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    customer = fake.add_customer()
    fake.fail_next("500", "POST", "/cards")
    error = await refused(provider.issue_card(issue(customer)))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert len(fake.calls_to("POST", "/cards")) == 1 and sleeps.waits == []
    # Asked again with the same reference: nothing was issued, so it issues — once.
    card = await provider.issue_card(issue(customer))
    assert list(fake.cards) == [card.card_id]
    assert len(fake.calls_to("POST", "/cards")) == 2


@pytest.mark.parametrize("fault", ["drop-after", "500-after"])
async def test_a_card_issued_behind_a_lost_answer_is_found_not_issued_again(
    provider: CartevoProvider, fake: CartevoFake, fault: str
) -> None:
    customer = fake.add_customer()
    fake.fail_next(fault, "POST", "/cards")
    error = await refused(provider.issue_card(issue(customer)))
    assert not error.definite
    [issued] = fake.cards
    found = await provider.find_card_by_reference("op-1")
    assert found is not None and found.card_id == issued
    again = await provider.issue_card(issue(customer))
    assert again.card_id == issued
    assert len(fake.cards) == 1 and len(fake.calls_to("POST", "/cards")) == 1
    assert fake.wallet == Decimal("1000") - Decimal("25") - fake.issuance_fee


async def test_lookups_never_claim_another_references_card(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    customer = fake.add_customer()
    fake.fail_next("drop-after", "POST", "/cards")
    await refused(provider.issue_card(issue(customer, "op-a")))
    fake.fail_next("drop-after", "POST", "/cards")
    await refused(provider.issue_card(issue(customer, "op-b")))
    card_a, card_b = list(fake.cards)
    found_b = await provider.find_card_by_reference("op-b")
    found_a = await provider.find_card_by_reference("op-a")
    assert found_a is not None and found_b is not None
    assert (found_a.card_id, found_b.card_id) == (card_a, card_b)
    assert await provider.find_card_by_reference("op-unknown") is None


async def test_concurrent_presses_with_one_reference_issue_one_card(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    customer = fake.add_customer()
    first, second = await asyncio.gather(
        provider.issue_card(issue(customer)), provider.issue_card(issue(customer))
    )
    assert first.card_id == second.card_id and len(fake.cards) == 1


# -- money --
async def test_top_up_and_withdraw_send_dollars_and_move_the_money(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    after = await provider.top_up(card, Money(1050), "op-t")
    assert fake.calls_to("POST", FUND)[0].json == {"amount": Decimal("10.5")}
    assert after.balance == Money(3050) and fake.cards[card].balance == Decimal("30.50")
    assert fake.wallet == Decimal("989.50")
    after = await provider.withdraw(card, Money(2000), "op-w")
    assert fake.calls_to("POST", WITHDRAW)[0].json == {"amount": 20}
    assert after.balance == Money(1050) and fake.wallet == Decimal("1009.50")


async def test_balances_in_dollars_become_cents(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    assert (await provider.get_card(fresh_card(fake, "0.45"))).balance == Money(45)


async def test_withdrawing_from_a_frozen_card_is_allowed_topping_up_is_not(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20", status="FROZEN")
    assert (await provider.withdraw(card, Money(500), "op-w")).balance == Money(1500)
    error = await refused(provider.top_up(card, Money(500), "op-t"))
    assert error.code == "provider-card-frozen" and error.definite
    assert fake.calls_to("POST", FUND) == []


async def test_less_than_a_dollar_is_refused_before_sending(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    for move in (provider.top_up(card, Money(99), "a"), provider.withdraw(card, Money(50), "b")):
        assert (await refused(move)).code == "provider-cartevo-min-amount"
    assert fake.calls == []


async def test_money_errors_documented_by_cartevo(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "5")
    error = await refused(provider.withdraw(card, Money(600), "op-w"))
    assert (error.code, error.definite) == ("provider-insufficient-funds", True)
    fake.wallet = Decimal("3")
    error = await refused(provider.top_up(card, Money(400), "op-t"))
    assert (error.code, error.definite) == ("provider-cartevo-wallet-insufficient", True)
    assert fake.cards[card].balance == Decimal("5")
    terminated = fresh_card(fake, "0", status="TERMINATED")
    assert (await refused(provider.withdraw(terminated, Money(100), "x"))).code == (
        "provider-card-terminated"
    )


@pytest.mark.parametrize("kind", ["topup", "withdraw"])
@pytest.mark.parametrize("fault", ["drop-after", "500-after", "hang-after"])
async def test_a_move_behind_a_lost_answer_happens_once(
    fake: CartevoFake, sleeps: Sleeps, kind: str, fault: str
) -> None:
    client = make(fake, sleeps, timeout=0.15)
    card = fresh_card(fake, "20")
    move = client.top_up if kind == "topup" else client.withdraw
    path = FUND if kind == "topup" else WITHDRAW
    fake.fail_next(fault, "POST", path)
    error = await refused(move(card, Money(500), "op-1"))
    assert not error.definite  # Cartevo may have moved it
    again = await move(card, Money(500), "op-1")  # the same reference, asked again
    expected = Decimal("25") if kind == "topup" else Decimal("15")
    assert fake.cards[card].balance == expected
    assert again.balance == Money(int(expected * 100))
    assert len(fake.calls_to("POST", path)) == 1
    await client.aclose()


async def test_an_unclear_move_that_did_not_happen_is_made_once(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("500", "POST", FUND)  # refused before acting, but we cannot know that
    assert not (await refused(provider.top_up(card, Money(500), "op-1"))).definite
    after = await provider.top_up(card, Money(500), "op-1")
    assert after.balance == Money(2500) and fake.cards[card].balance == Decimal("25")
    assert [c.status for c in fake.calls_to("POST", FUND)] == [500, 200]


async def test_a_lagging_transaction_list_is_covered_by_the_balance(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("drop-after", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    fake.txns.clear()  # the funding is not listed yet; the balance already shows it
    await provider.top_up(card, Money(500), "op-1")
    assert fake.cards[card].balance == Decimal("25") and len(fake.calls_to("POST", FUND)) == 1


async def test_same_amount_moves_under_two_references_are_told_apart(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("500", "POST", FUND)  # op-1 did not happen…
    await refused(provider.top_up(card, Money(500), "op-1"))
    await provider.top_up(card, Money(500), "op-2")  # …op-2 did, for the same amount
    after = await provider.top_up(card, Money(500), "op-1")  # so op-1 must still happen
    assert fake.cards[card].balance == Decimal("30") and after.balance == Money(3000)
    fake.fail_next("drop-after", "POST", FUND)  # op-3 happened, op-4 too
    await refused(provider.top_up(card, Money(500), "op-3"))
    await provider.top_up(card, Money(500), "op-4")
    await provider.top_up(card, Money(500), "op-3")  # found, not repeated
    assert fake.cards[card].balance == Decimal("40")
    assert len(fake.calls_to("POST", FUND)) == 5


async def test_concurrent_presses_with_one_reference_move_money_once(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    await asyncio.gather(*(provider.top_up(card, Money(500), "op-1") for _ in range(3)))
    assert fake.cards[card].balance == Decimal("25") and len(fake.calls_to("POST", FUND)) == 1


async def test_a_failing_lookup_leaves_the_move_unclear(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("drop-after", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    fake.fail_next("500", "GET", "/cards/*/transactions", times=3)
    error = await refused(provider.top_up(card, Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert len(fake.calls_to("POST", FUND)) == 1 and fake.cards[card].balance == Decimal("25")


async def test_a_move_known_done_but_unreadable_is_not_reported_as_failed(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    await provider.top_up(card, Money(500), "op-1")
    fake.fail_next("500", "GET", "/cards/*", times=3)
    error = await refused(provider.top_up(card, Money(500), "op-1"))  # asked again
    assert not error.definite  # the money did move: never "failed"
    assert len(fake.calls_to("POST", FUND)) == 1 and fake.cards[card].balance == Decimal("25")


# -- find_movement: Cartevo keeps no reference of ours; the snapshot before the call tells --
@pytest.mark.parametrize("kind", ["topup", "withdraw"])
async def test_find_movement_confirms_a_move_whose_answer_was_lost(
    provider: CartevoProvider, fake: CartevoFake, kind: str
) -> None:
    card = fresh_card(fake, "20")
    move = provider.top_up if kind == "topup" else provider.withdraw
    path = FUND if kind == "topup" else WITHDRAW
    fake.fail_next("drop-after", "POST", path)
    assert not (await refused(move(card, Money(500), "op-1"))).definite
    fake.add_purchase(card, Decimal("3"), "Coffee Lab")  # other activity does not hide it
    assert await provider.find_movement(card, "op-1") is True
    again = await move(card, Money(500), "op-1")  # the service's resend: nothing sent
    expected = Decimal("22") if kind == "topup" else Decimal("12")
    assert fake.cards[card].balance == expected and again.balance == Money(int(expected * 100))
    assert len(fake.calls_to("POST", path)) == 1


async def test_find_movement_reads_a_lagging_list_from_the_balance(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("drop-after", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    fake.txns.clear()  # the funding is not listed yet; the balance already shows it
    assert await provider.find_movement(card, "op-1") is True


async def test_find_movement_answered_is_known_without_a_call(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    await provider.withdraw(card, Money(500), "op-1")
    calls = len(fake.calls)
    assert await provider.find_movement(card, "op-1") is True
    assert len(fake.calls) == calls


async def test_find_movement_says_no_when_nothing_happened_on_the_card(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("500", "POST", FUND)  # refused before acting, but we cannot know that
    assert not (await refused(provider.top_up(card, Money(500), "op-1"))).definite
    assert await provider.find_movement(card, "op-1") is False
    await provider.top_up(card, Money(500), "op-2")  # our own later move, the same amount
    assert await provider.find_movement(card, "op-1") is False  # told apart, taken out
    await provider.top_up(card, Money(500), "op-1")  # sent again, as told
    assert await provider.find_movement(card, "op-1") is True
    assert fake.cards[card].balance == Decimal("30") and len(fake.calls_to("POST", FUND)) == 3


async def test_find_movement_cannot_tell_when_other_activity_hides_the_answer(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("500", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    fake.add_purchase(card, Decimal("3"), "Coffee Lab")  # the balance moved, not by $5
    assert await provider.find_movement(card, "op-1") is None
    fake.add_transaction(card, "FUND", Decimal("7"), "SUCCESS")  # listed, not ours, no balance
    assert await provider.find_movement(card, "op-1") is None
    assert len(fake.calls_to("POST", FUND)) == 1


async def test_find_movement_cannot_tell_what_this_process_did_not_attempt(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card, other = fresh_card(fake, "20"), fresh_card(fake, "20")
    fake.fail_next("drop-after", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    restarted = make(fake, sleeps)  # the same Cartevo, without the snapshot
    assert await restarted.find_movement(card, "op-1") is None
    await restarted.aclose()
    assert await provider.find_movement(card, "op-unknown") is None
    assert await provider.find_movement(other, "op-1") is None  # not the card it was for
    assert await provider.find_movement(card, "op-1") is True


async def test_find_movement_that_cannot_read_the_card_raises_rather_than_guess(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "20")
    fake.fail_next("drop-after", "POST", FUND)
    await refused(provider.top_up(card, Money(500), "op-1"))
    fake.fail_next("500", "GET", "/cards/*/transactions", times=3)
    assert (await refused(provider.find_movement(card, "op-1"))).code == "provider-unavailable"
    assert await provider.find_movement(card, "op-1") is True


# -- card state --
async def test_freeze_and_unfreeze_are_puts_without_a_body(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    assert (await provider.freeze(card)).status is CardStatus.FROZEN
    assert fake.cards[card].status == "FROZEN"
    assert (await provider.freeze(card)).status is CardStatus.FROZEN  # harmless repeat
    assert (await provider.unfreeze(card)).status is CardStatus.ACTIVE
    assert fake.cards[card].status == "ACTIVE"
    puts = [c for c in fake.calls if c.method == "PUT"]
    assert [c.path.rsplit("/", 1)[1] for c in puts] == ["freeze", "unfreeze"]
    assert all(c.status == 200 for c in puts)


async def test_a_freeze_whose_answer_was_lost_is_retried_and_resolved(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake)
    fake.fail_next("500-after", "PUT", "/cards/*/freeze")
    assert (await provider.freeze(card)).status is CardStatus.FROZEN
    assert [c.status for c in fake.calls_to("PUT", "/cards/*/freeze")] == [500, 400]
    assert len(sleeps.waits) == 1


async def test_terminated_cards_cannot_be_frozen(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "0", status="TERMINATED")
    assert (await refused(provider.freeze(card))).code == "provider-card-terminated"
    assert (await refused(provider.terminate(card))).code == "provider-card-terminated"


async def test_terminate_refunds_the_balance_once_even_when_repeated(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "12.50")
    fake.fail_next("500-after", "POST", "/cards/*/terminate")
    closed = await provider.terminate(card)
    assert closed.status is CardStatus.TERMINATED and closed.balance == Money(0)
    assert fake.wallet == Decimal("1012.50")
    assert [c.status for c in fake.calls_to("POST", "/cards/*/terminate")] == [500, 400]


async def test_an_unknown_card_is_not_found(provider: CartevoProvider) -> None:
    error = await refused(provider.get_card("6f1c1d2e-0000-4000-8000-000000000000"))
    assert error.code == "provider-not-found"


# -- reveal --
async def test_reveal_asks_for_clear_details_and_hides_them_from_reprs(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    secrets = await provider.reveal(card)
    stored = fake.cards[card]
    assert (secrets.pan, secrets.cvv) == (stored.pan, stored.cvv)
    assert (secrets.expiry_month, secrets.expiry_year) == (stored.expiry_month, stored.expiry_year)
    assert stored.pan not in repr(secrets) and stored.cvv not in str(secrets).replace("…", "")
    assert fake.calls_to("GET", "/cards/*")[-1].query == {"reveal": "true"}
    assert fake.reveals == 1


async def test_a_reveal_that_still_answers_tokens_fails_without_showing_them(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    fake.reveal_honoured = False
    error = await refused(provider.reveal(fresh_card(fake)))
    assert error.code == "provider-cartevo-reveal-failed" and "tk" not in str(error)


async def test_terminated_cards_reveal_nothing(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    error = await refused(provider.reveal(fresh_card(fake, "0", status="TERMINATED")))
    assert error.code == "provider-card-terminated"


# -- statement --
async def test_statement_pages_count_from_zero_like_cartevos(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake, "0")
    await provider.top_up(card, Money(4000), "op-1")
    fake.add_purchase(card, Decimal("12.99"), "NETFLIX.COM")
    fake.add_purchase(card, Decimal("99"), "AIRLINE", status="FAILED")
    fake.add_transaction(card, "FUND", Decimal("7"), "FAILED")  # moved nothing: not shown
    await provider.withdraw(card, Money(1000), "op-2")
    first = await provider.transactions(card, 0, 2)
    assert fake.calls_to("GET", "/cards/*/transactions")[-1].query == {"page": "0", "limit": "2"}
    assert [(t.kind, t.amount, t.status) for t in first.items] == [
        ("withdraw", Money(1000), "approved")
    ]
    assert first.has_more and first.page == 0
    second = await provider.transactions(card, 1, 2)
    assert [(t.kind, t.amount, t.status, t.merchant) for t in second.items] == [
        ("purchase", Money(9900), "declined", "AIRLINE"),
        ("purchase", Money(1299), "approved", "NETFLIX.COM"),
    ]
    assert second.has_more
    last = await provider.transactions(card, 2, 2)
    assert [(t.kind, t.amount) for t in last.items] == [("topup", Money(4000))]
    assert last.items[0].balance_after == Money(4000) and not last.has_more


async def test_reads_are_retried_honouring_retry_after(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake)
    fake.fail_next("429", "GET", "/cards/*/transactions", retry_after=7)
    fake.fail_next("429", "GET", "/cards/*/transactions", retry_after=4, header=True)
    page = await provider.transactions(card, 0, 5)
    assert page.items == [] and not page.has_more
    assert sleeps.waits == [7.0, 4.0]
    assert [c.status for c in fake.calls_to("GET", "/cards/*/transactions")] == [429, 429, 200]


async def test_reads_give_up_after_bounded_attempts(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake)
    fake.fail_next("500", "GET", "/cards/*", times=3)
    error = await refused(provider.get_card(card))
    assert error.code == "provider-unavailable"
    assert len(fake.calls_to("GET", "/cards/*")) == 3 and len(sleeps.waits) == 2


# -- writes are never repeated by the client --
async def test_a_rate_limited_write_is_a_definite_refusal_not_a_retry(
    provider: CartevoProvider, fake: CartevoFake, sleeps: Sleeps
) -> None:
    card = fresh_card(fake)
    fake.fail_next("429", "POST", FUND, retry_after=3)
    error = await refused(provider.top_up(card, Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-cartevo-rate-limited", True)
    assert len(fake.calls_to("POST", FUND)) == 1 and sleeps.waits == []
    assert fake.cards[card].balance == Decimal("20")


async def test_http_200_with_success_false_is_a_refusal(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    fake.fail_next("soft-fail", "POST", FUND, message="Insufficient wallet balance")
    error = await refused(provider.top_up(card, Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-cartevo-wallet-insufficient", True)


async def test_an_html_gateway_error_on_a_write_is_unclear(
    provider: CartevoProvider, fake: CartevoFake
) -> None:
    card = fresh_card(fake)
    fake.fail_next("502-html", "POST", WITHDRAW)
    error = await refused(provider.withdraw(card, Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-unavailable", False)


async def test_nothing_listening_is_a_definite_unavailability(sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CartevoProvider(
        f"http://127.0.0.1:{port}/api/v1",
        CLIENT_ID,
        CLIENT_KEY,
        sleep=sleeps,
        transport=httpx.AsyncHTTPTransport(verify=TLS),
    )
    error = await refused(client.top_up("card", Money(500), "op-1"))
    assert (error.code, error.definite) == ("provider-unavailable", True)
    await client.aclose()


# -- the fake is strict: a wrong adapter could not pass --
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/cards/{card}", {"auth": None}, 401),
        ("GET", "/cards/{card}", {"auth": "Bearer not-a-token"}, 401),
        ("GET", "/cards/{card}", {"auth": "Token {token}"}, 401),
        ("POST", "/cards/{card}/fund", {"json": {"amount": "25.00"}}, 400),
        ("POST", "/cards/{card}/fund", {"json": {"amount": 0.5}}, 400),
        ("POST", "/cards/{card}/fund", {"json": {"amount": 10.123}}, 400),
        ("POST", "/cards/{card}/fund", {"json": {"amount": 10, "currency": "USD"}}, 400),
        ("POST", "/cards/{card}/fund", {"json": {"amount_cents": 1000}}, 400),
        ("POST", "/cards/{card}/fund", {"data": {"amount": "10"}}, 400),
        ("POST", "/cards/{card}/fund", {"json": {"amount": 100000}}, 400),  # cents, over cap
        ("POST", "/cards", {"json": {"customer_id": "{customer}", "brand": "AMEX"}}, 400),
        ("POST", "/cards", {"json": {"customer_id": "{customer}"}}, 400),
        ("POST", "/cards", {"json": {"customer": "{customer}", "brand": "VISA"}}, 400),
        ("POST", "/customers", {"json": {"first_name": "Ada"}}, 400),
        ("GET", "/cards/{card}/transactions", {"params": {"page": "-1"}}, 400),
        ("GET", "/cards/{card}/transactions", {"params": {"take": "5"}}, 400),
        ("GET", "/customers", {"params": {"page": "0"}}, 400),
        ("GET", "/cards/{card}", {"params": {"reveal": "yes"}}, 400),
        ("PUT", "/cards/{card}/freeze", {"json": {"freeze": True}}, 400),
        ("POST", "/cards/{card}/freeze", {}, 404),
        ("PUT", "/cards/{card}/unfreeze", {}, 400),  # it is not frozen
        ("GET", "/cards/6f1c1d2e-0000-4000-8000-000000000000", {}, 404),
        ("DELETE", "/cards/{card}", {}, 404),
    ],
)
async def test_the_fake_refuses_what_cartevo_would(
    fake: CartevoFake, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    customer = fake.add_customer()
    card = fake.add_card(customer, balance=Decimal("20"))
    async with httpx.AsyncClient(base_url=fake.url, verify=TLS) as client:
        token = (
            await client.post(
                "/auth/token", json={"client_id": CLIENT_ID, "client_key": CLIENT_KEY}
            )
        ).json()["access_token"]
        auth = kwargs.pop("auth", "Bearer {token}")
        headers = {"Authorization": auth.format(token=token)} if auth else {}
        if "json" in kwargs:
            kwargs["json"] = json.loads(json.dumps(kwargs["json"]).replace("{customer}", customer))
        response = await client.request(method, path.format(card=card), headers=headers, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["statusCode"] == status and body["message"]
    assert fake.cards[card].balance == Decimal("20") and fake.cards[card].status == "ACTIVE"


def test_every_reason_the_adapter_gives_has_a_chat_text() -> None:
    source = Path(cartevo.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'"((?:provider-[a-z-]*[a-z])|not-offered)"', source))
    codes |= {f"provider-card-{status}" for status in CardStatus}  # f"provider-card-{status}"
    assert {"provider-cartevo-wallet-insufficient", "not-offered"} <= codes  # the scan works
    texts = Texts.load()
    assert [code for code in sorted(codes) if not texts.has(code)] == []
