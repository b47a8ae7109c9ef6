"""Contract tests: the Numero adapter against the strict local fake of the Numero card API.

Every operation, every documented error, retries (with an injected sleep, never a real one),
idempotency by looking the result up, pagination, units both ways, capabilities. The whole file
runs against both documented envelopes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.money import Money
from services.providers import numero as numero_module
from services.providers.base import (
    Capability,
    CardStatus,
    IssueRequest,
    KycApplication,
    KycStatus,
    Limits,
    ProviderCard,
    ProviderError,
)
from services.providers.http import RetryPolicy
from services.providers.numero import (
    SANDBOX_URL,
    NumeroProvider,
    create,
    from_dollars,
    parse_envelope,
    secrets_from,
    to_dollars,
)
from services.settings import Settings
from tests.fakes.numero import DEFAULT_KEY, FakeProduct, NumeroFake

CARDS = r"/business/card/[^/]+"


class Sleeps(list[float]):
    """The injected sleep: records how long the adapter would have waited."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(params=["classic", "canonical"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[NumeroFake]:
    async with NumeroFake(envelope=request.param) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def adapter(fake: NumeroFake, sleeps: Sleeps, **kwargs: Any) -> NumeroProvider:
    # The fake speaks plain HTTP: a transport without a TLS context keeps each test quick.
    return NumeroProvider(
        fake.url,
        kwargs.pop("key", DEFAULT_KEY),
        retry=RetryPolicy(attempts=3),
        sleep=sleeps,
        transport=httpx.AsyncHTTPTransport(verify=False),
        **kwargs,
    )


@pytest.fixture
async def numero(fake: NumeroFake, sleeps: Sleeps) -> AsyncIterator[NumeroProvider]:
    provider = adapter(fake, sleeps)
    yield provider
    await provider.aclose()


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
        "id_type": "bvn",
        "id_number": "22123456789",
        "id_photo": b"\xff\xd8photo",
        "selfie": b"\xff\xd8selfie",
    }
    values.update(overrides)
    return KycApplication(**values)


async def customer(numero: NumeroProvider) -> str:
    result = await numero.submit_kyc(application())
    assert result.status is KycStatus.APPROVED
    return result.customer_id


def request(customer_id: str, reference: str = "cb-ref-1", **overrides: Any) -> IssueRequest:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "reference": reference,
        "brand": "visa",
        "initial": Money(2500),
        "product": "USD_VIRTUAL",
    }
    values.update(overrides)
    return IssueRequest(**values)


async def card(
    numero: NumeroProvider, initial: int = 2500, reference: str = "cb-ref-1"
) -> ProviderCard:
    return await numero.issue_card(
        request(await customer(numero), reference, initial=Money(initial))
    )


def posts(fake: NumeroFake, suffix: str) -> list[Any]:
    return fake.calls_to("POST", CARDS + suffix)


# -- capabilities ----------------------------------------------------------------------------


def test_capabilities_are_exactly_what_the_api_offers() -> None:
    assert NumeroProvider.info.name == "numero"
    assert NumeroProvider.info.capabilities == {
        Capability.ISSUE,
        Capability.INITIAL_AMOUNT,
        Capability.PRODUCTS,
        Capability.WALLET_PAY,
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.LIMITS,
    }
    for missing in (
        Capability.TERMINATE,
        Capability.DISPOSABLE,
        Capability.AIRLINE_TOGGLE,
        Capability.DISPUTES,
        Capability.SIMULATE,
        Capability.CHOOSE_BRAND,
    ):
        assert missing not in NumeroProvider.info.capabilities


async def test_operations_the_api_does_not_offer_raise_not_offered_without_a_call(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    calls = [
        numero.terminate("NCRD1"),
        numero.set_airline_payments("NCRD1", True),
        numero.open_dispute("NCRD1", "NTXN1", "not mine"),
        numero.issue_card(request("NCUS1", disposable=True)),
        numero.set_limits("NCRD1", Limits(daily_count=3)),
    ]
    for call in calls:
        with pytest.raises(ProviderError) as caught:
            await call
        assert caught.value.code == "not-offered"
    assert fake.calls == []


# -- auth and envelopes ----------------------------------------------------------------------


async def test_every_call_carries_the_numero_api_key_header(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    await numero.get_card(issued.card_id)
    assert len(fake.calls) >= 4
    for call in fake.calls:
        assert call.headers["x-numero-api-key"] == DEFAULT_KEY
        assert call.outcome == "ok"


async def test_a_wrong_key_is_refused_in_the_body_and_maps_to_provider_auth(
    fake: NumeroFake, sleeps: Sleeps
) -> None:
    provider = adapter(fake, sleeps, key="live_key_wrong")
    with pytest.raises(ProviderError) as caught:
        await provider.products()
    await provider.aclose()
    assert caught.value.code == "provider-auth"
    assert caught.value.definite
    assert sleeps == []  # a refusal is not retried
    assert fake.calls[0].outcome.startswith("401")


async def test_the_fake_refuses_the_older_header_and_answers_http_200(fake: NumeroFake) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{fake.url}/business/card/products", headers={"x-api-key": DEFAULT_KEY}
        )
    assert response.status_code == 200  # the quirk: failure only in the body
    envelope = parse_envelope(response.json())
    assert not envelope.ok
    assert "api key" in envelope.words.lower()


def test_parse_envelope_reads_both_documented_shapes() -> None:
    classic_ok = parse_envelope(
        {
            "status": True,
            "message": "Successful",
            "code": "200",
            "version": "v1",
            "reference": "NREF1",
            "data": {"x": 1},
            "error": None,
        }
    )
    assert classic_ok.ok and classic_ok.data == {"x": 1} and classic_ok.reference == "NREF1"
    classic_failed = parse_envelope(
        {
            "status": False,
            "message": "Unsuccessful",
            "code": "403",
            "version": "v1",
            "reference": "NREF2",
            "data": None,
            "error": {"message": "approval_required"},
        }
    )
    assert not classic_failed.ok
    assert classic_failed.code == "403"
    assert classic_failed.message == "approval_required"
    canonical_ok = parse_envelope(
        {
            "data": [1],
            "error": None,
            "meta": {"request_id": "req_1", "pagination": {"page": 1, "has_more": True}},
        }
    )
    assert canonical_ok.ok and canonical_ok.reference == "req_1"
    assert canonical_ok.pagination == {"page": 1, "has_more": True}
    canonical_failed = parse_envelope(
        {
            "data": None,
            "error": {"message": "Card not found", "param": None},
            "meta": {"request_id": "req_2"},
        }
    )
    assert not canonical_failed.ok and canonical_failed.message == "Card not found"
    # status true but a failing code, or a failing HTTP status: not a success
    assert not parse_envelope({"status": True, "code": "500", "data": None}).ok
    assert not parse_envelope({"data": {"x": 1}}, http_status=502).ok
    with pytest.raises(ProviderError):
        parse_envelope(["not", "an", "object"])


# -- units -----------------------------------------------------------------------------------


def test_units_convert_exactly_both_ways() -> None:
    assert to_dollars(Money(1)) == 0.01
    assert to_dollars(Money(1999)) == 19.99
    assert to_dollars(Money(2500)) == 25.0
    assert to_dollars(Money(123_456_789)) == 1234567.89
    assert from_dollars(Decimal("9.99")) == Money(999)
    assert from_dollars(25) == Money(2500)
    assert from_dollars("25.10") == Money(2510)
    assert from_dollars(None) == Money(0)
    with pytest.raises(ProviderError):
        from_dollars(9.99)  # a float never gets this far: responses are parsed as Decimal
    with pytest.raises(ProviderError):
        to_dollars(Money(100, "EUR"))
    for cents in (1, 7, 10, 99, 101, 1005, 29_999, 1_000_001):
        assert from_dollars(Decimal(repr(to_dollars(Money(cents))))) == Money(cents)


# -- KYC ---------------------------------------------------------------------------------------


async def test_submit_kyc_creates_a_cardholder_with_the_documented_fields(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    result = await numero.submit_kyc(application())
    assert result.status is KycStatus.APPROVED
    assert result.customer_id.startswith("NCUS")
    [call] = fake.calls_to("POST", "/business/cardholders")
    assert call.body == {
        "firstName": "Ada",
        "lastName": "Okafor",
        "phone": "+2348031234567",
        "dateOfBirth": "1992-03-14",
        "address1": "12 Marina Road",
        "city": "Lagos",
        "state": "Lagos",
        "zipcode": "101001",
        "country": "NG",
        "idType": "BVN",
        "idNumber": "22123456789",
        "bvn": "22123456789",
    }
    assert (await numero.kyc_status(result.customer_id)).status is KycStatus.APPROVED


async def test_a_passport_is_sent_without_a_bvn(numero: NumeroProvider, fake: NumeroFake) -> None:
    await numero.submit_kyc(application(id_type="passport", id_number="A12345678"))
    [call] = fake.calls_to("POST", "/business/cardholders")
    assert call.body["idType"] == "PASSPORT"
    assert "bvn" not in call.body


async def test_kyc_review_pending_then_decided(sleeps: Sleeps) -> None:
    now = [datetime(2026, 11, 21, 12, tzinfo=UTC)]
    async with NumeroFake(kyc_delay=5, clock=lambda: now[0]) as fake:
        provider = adapter(fake, sleeps)
        pending = await provider.submit_kyc(application())
        rejected = await provider.submit_kyc(application(last_name="Reject", reference="user-2"))
        assert pending.status is KycStatus.PENDING
        assert (await provider.kyc_status(pending.customer_id)).status is KycStatus.PENDING
        now[0] += timedelta(seconds=6)
        assert (await provider.kyc_status(pending.customer_id)).status is KycStatus.APPROVED
        assert (await provider.kyc_status(rejected.customer_id)).status is KycStatus.REJECTED
        with pytest.raises(ProviderError) as caught:
            await provider.kyc_status("NCUS_nobody")
        await provider.aclose()
    assert caught.value.code == "provider-not-found"


async def test_an_unclear_kyc_submission_is_looked_up_not_repeated(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    fake.fail_next("drop", apply=True, method="POST", path="^/business/cardholders$")
    result = await numero.submit_kyc(application())
    assert len(fake.cardholders) == 1
    assert result.customer_id in fake.cardholders
    assert result.status is KycStatus.APPROVED


async def test_a_kyc_submission_lost_before_arrival_is_sent_once_more(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    fake.fail_next("drop", method="POST", path="^/business/cardholders$")
    with pytest.raises(ProviderError) as caught:
        await numero.submit_kyc(application())
    assert caught.value.code == "provider-unavailable"
    assert not caught.value.definite
    assert fake.cardholders == {}
    again = await numero.submit_kyc(application())  # looks up first, finds none, creates one
    assert list(fake.cardholders) == [again.customer_id]
    assert len(fake.calls_to("GET", "/business/cardholders")) == 2


# -- products ----------------------------------------------------------------------------------


async def test_products_are_discovered_with_their_wallets(numero: NumeroProvider) -> None:
    products = await numero.products()
    assert [(p.code, p.name, p.brand, p.wallets) for p in products] == [
        ("USD_VIRTUAL", "USD Virtual Card", "visa", ()),
        ("USD_APPLE_PAY", "USD Apple Pay Card", "visa", ("apple_pay",)),
        ("USD_GOOGLE_PAY", "USD Google Pay Card", "visa", ("google_pay",)),
    ]


async def test_unavailable_products_are_left_out(sleeps: Sleeps) -> None:
    offered = (
        FakeProduct("USD_VIRTUAL", "Plain", ("USD",)),
        FakeProduct("USD_WALLET", "Wallet", ("APPLE_PAY", "GOOGLE_PAY"), available=False),
    )
    async with NumeroFake(products=offered) as fake:
        provider = adapter(fake, sleeps)
        products = await provider.products()
        await provider.aclose()
    assert [p.code for p in products] == ["USD_VIRTUAL"]


async def test_without_the_entitlement_products_and_issuing_say_approval_required(
    sleeps: Sleeps,
) -> None:
    async with NumeroFake(entitled=False, envelope="canonical") as fake:
        provider = adapter(fake, sleeps)
        with pytest.raises(ProviderError) as listing:
            await provider.products()
        customer_id = await customer(provider)
        with pytest.raises(ProviderError) as issuing:
            await provider.issue_card(request(customer_id))
        await provider.aclose()
    assert listing.value.code == "provider-numero-approval-required"
    assert issuing.value.code == "provider-numero-approval-required"
    assert issuing.value.definite
    assert fake.cards == {}


# -- issuing -----------------------------------------------------------------------------------


async def test_issue_sends_dollars_and_the_reference_as_label(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    wallet_before = fake.wallet
    customer_id = await customer(numero)
    issued = await numero.issue_card(request(customer_id, "cb-0123", initial=Money(2550)))
    [call] = fake.calls_to("POST", f"/business/cardholders/{customer_id}/cards")
    assert call.body == {
        "productCode": "USD_VIRTUAL",
        "capability": "USD",
        "label": "cb-0123",
        "initialBalance": Decimal("25.5"),  # a JSON number in dollars, not cents, not a string
    }
    stored = fake.card(issued.card_id)
    assert stored.balance == Decimal("25.50")
    assert fake.wallet == wallet_before - Decimal("25.50")
    assert issued.card_id.startswith("NCRD")
    assert issued.balance == Money(2550)
    assert issued.status is CardStatus.ACTIVE
    assert issued.brand == "visa"
    assert issued.last4 == stored.pan[-4:]
    assert issued.masked_pan == f"{stored.pan[:4]} {stored.pan[4:6]}•• •••• {stored.pan[-4:]}"
    assert stored.pan not in repr(issued)
    assert issued.wallet is None


async def test_issue_without_an_initial_amount_sends_none(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero, initial=0)
    [call] = fake.calls_to("POST", r"/business/cardholders/[^/]+/cards")
    assert "initialBalance" not in call.body
    assert issued.balance == Money(0)


async def test_a_wallet_card_is_issued_with_its_capability(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    customer_id = await customer(numero)
    apple = await numero.issue_card(
        request(customer_id, "cb-a", product="USD_APPLE_PAY", wallet="apple_pay")
    )
    google = await numero.issue_card(
        request(customer_id, "cb-g", product=None, wallet="google_pay")
    )
    plain = await numero.issue_card(request(customer_id, "cb-p", product=None))
    bodies = [c.body for c in fake.calls_to("POST", r"/business/cardholders/[^/]+/cards")]
    assert [(b["productCode"], b["capability"]) for b in bodies] == [
        ("USD_APPLE_PAY", "APPLE_PAY"),
        ("USD_GOOGLE_PAY", "GOOGLE_PAY"),
        ("USD_VIRTUAL", "USD"),
    ]
    assert (apple.wallet, google.wallet, plain.wallet) == ("apple_pay", "google_pay", None)


async def test_issue_refusals_map_to_clear_codes(sleeps: Sleeps) -> None:
    async with NumeroFake(wallet="30.00", kyc_delay=60) as fake:
        provider = adapter(fake, sleeps)
        pending = await provider.submit_kyc(application())
        fake.approve(pending.customer_id)
        cases = {
            "provider-numero-capability-unavailable": request(
                pending.customer_id, "r1", wallet="apple_pay"
            ),
            "provider-bad-request": request(pending.customer_id, "r2", product="USD_GOLD"),
            "provider-numero-wallet-underfunded": request(
                pending.customer_id, "r3", initial=Money(3001)
            ),
            "provider-not-found": request("NCUS_nobody", "r4"),
        }
        outcomes = {}
        for code, issue in cases.items():
            with pytest.raises(ProviderError) as caught:
                await provider.issue_card(issue)
            outcomes[code] = caught.value
        waiting = await provider.submit_kyc(
            application(reference="u2", phone_e164="+2348030000000")
        )
        with pytest.raises(ProviderError) as not_verified:
            await provider.issue_card(request(waiting.customer_id, "r5"))
        await provider.aclose()
    for code, error in outcomes.items():
        assert error.code == code
        assert error.definite
    assert not_verified.value.code == "provider-kyc-not-approved"
    assert fake.cards == {}
    assert fake.wallet == Decimal("30.00")


async def test_issuing_twice_with_one_reference_issues_one_card(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    customer_id = await customer(numero)
    first = await numero.issue_card(request(customer_id, "cb-same"))
    second = await numero.issue_card(request(customer_id, "cb-same"))
    assert first.card_id == second.card_id
    assert len(fake.cards) == 1
    assert len(fake.calls_to("POST", r"/business/cardholders/[^/]+/cards")) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop", "apply": True},
        {"kind": "http", "status": 502, "apply": True},
        {"kind": "envelope", "status": 500, "apply": True},
    ],
)
async def test_an_issue_that_landed_but_failed_on_the_way_back_is_found_by_its_label(
    numero: NumeroProvider, fake: NumeroFake, fault: dict[str, Any]
) -> None:
    customer_id = await customer(numero)
    fake.fail_next(method="POST", path=r"/cards$", **fault)
    issued = await numero.issue_card(request(customer_id, "cb-unclear"))
    [stored] = fake.cards.values()
    assert issued.card_id == stored.reference
    assert stored.label == "cb-unclear"
    assert len(fake.calls_to("POST", r"/business/cardholders/[^/]+/cards")) == 1


async def test_an_issue_that_timed_out_after_landing_is_found_not_repeated(
    fake: NumeroFake, sleeps: Sleeps
) -> None:
    provider = adapter(fake, sleeps, timeout=0.2)
    customer_id = await customer(provider)
    fake.fail_next("hang", apply=True, method="POST", path=r"/cards$")
    issued = await provider.issue_card(request(customer_id, "cb-timeout"))
    fake.release()
    await provider.aclose()
    assert list(fake.cards) == [issued.card_id]


async def test_an_issue_that_never_arrived_stays_unclear_then_issues_once(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    customer_id = await customer(numero)
    fake.fail_next("envelope", status=500, method="POST", path=r"/cards$")
    with pytest.raises(ProviderError) as caught:
        await numero.issue_card(request(customer_id, "cb-lost"))
    assert caught.value.code == "provider-unavailable"
    assert not caught.value.definite  # a write that failed with a 5xx may have acted
    assert await numero.find_card_by_reference("cb-lost") is None
    issued = await numero.issue_card(request(customer_id, "cb-lost"))
    assert list(fake.cards) == [issued.card_id]
    assert await numero.find_card_by_reference("cb-lost") == issued


async def test_a_pending_card_becomes_active(sleeps: Sleeps) -> None:
    async with NumeroFake(card_activation_delay=60) as fake:
        provider = adapter(fake, sleeps)
        issued = await card(provider)
        assert issued.status is CardStatus.PENDING
        with pytest.raises(ProviderError) as caught:
            await provider.top_up(issued.card_id, Money(100), "cb-t")
        fake.activate(issued.card_id)
        assert (await provider.get_card(issued.card_id)).status is CardStatus.ACTIVE
        await provider.aclose()
    assert caught.value.code == "provider-card-pending"


async def test_issue_with_limits_sets_them(numero: NumeroProvider, fake: NumeroFake) -> None:
    customer_id = await customer(numero)
    issued = await numero.issue_card(
        request(customer_id, limits=Limits(daily=Money(50_000), per_transaction=Money(5_000)))
    )
    assert issued.limits == Limits(daily=Money(50_000), per_transaction=Money(5_000))
    assert fake.card(issued.card_id).daily_limit == Decimal("500.00")


# -- finding and reading cards -------------------------------------------------------------


async def test_find_by_reference_from_a_fresh_process_walks_the_card_list(
    numero: NumeroProvider,
    fake: NumeroFake,
    sleeps: Sleeps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(numero_module, "LIST_CARDS_PAGE_SIZE", 2)
    customer_id = await customer(numero)
    issued = [
        await numero.issue_card(request(customer_id, f"cb-{n}", initial=Money(100)))
        for n in range(5)
    ]
    fresh = adapter(fake, sleeps)  # knows nothing of what was issued
    found = await fresh.find_card_by_reference("cb-4")
    missing = await fresh.find_card_by_reference("cb-none")
    await fresh.aclose()
    assert found == issued[4]
    assert missing is None
    walked = fake.calls_to("GET", "/business/card")
    assert [c.query for c in walked[:3]] == [
        {"pageNumber": "1", "pageSize": "2"},
        {"pageNumber": "2", "pageSize": "2"},
        {"pageNumber": "3", "pageSize": "2"},
    ]
    assert len(walked) == 6  # three pages to find cb-4, three to know cb-none is not there


async def test_get_card_maps_every_documented_status(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    assert (await numero.get_card(issued.card_id)).status is CardStatus.ACTIVE
    fake.card(issued.card_id).status = "Frozen"
    assert (await numero.get_card(issued.card_id)).status is CardStatus.FROZEN
    fake.terminate(issued.card_id)
    assert (await numero.get_card(issued.card_id)).status is CardStatus.TERMINATED
    fake.card(issued.card_id).status = "Exploded"
    with pytest.raises(ProviderError) as odd:
        await numero.get_card(issued.card_id)
    with pytest.raises(ProviderError) as unknown:
        await numero.get_card("NCRD_nope")
    assert odd.value.code == "provider-bad-response"
    assert unknown.value.code == "provider-not-found"


async def test_three_insufficient_declines_terminate_the_card(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero, initial=500)
    for _ in range(3):
        fake.spend(issued.card_id, "9.99")
    assert (await numero.get_card(issued.card_id)).status is CardStatus.TERMINATED


# -- money ---------------------------------------------------------------------------------


async def test_top_up_sends_dollars_and_moves_the_balance(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    wallet = fake.wallet
    after = await numero.top_up(issued.card_id, Money(1234), "cb-top-1")
    [call] = posts(fake, "/topup")
    assert call.body == {"amount": Decimal("12.34")}
    assert after.balance == Money(3734)
    assert fake.card(issued.card_id).balance == Decimal("37.34")
    assert fake.wallet == wallet - Decimal("12.34")


async def test_withdraw_sends_dollars_and_returns_to_the_wallet(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    wallet = fake.wallet
    after = await numero.withdraw(issued.card_id, Money(1001), "cb-wd-1")
    [call] = posts(fake, "/withdraw")
    assert call.body == {"amount": Decimal("10.01")}
    assert after.balance == Money(1499)
    assert fake.wallet == wallet + Decimal("10.01")
    with pytest.raises(ProviderError) as caught:
        await numero.withdraw(issued.card_id, Money(1500), "cb-wd-2")
    assert caught.value.code == "provider-insufficient-funds"
    assert caught.value.definite


async def test_money_refusals_map_to_clear_codes(numero: NumeroProvider, fake: NumeroFake) -> None:
    issued = await card(numero)
    fake.wallet = Decimal("5.00")
    with pytest.raises(ProviderError) as short:
        await numero.top_up(issued.card_id, Money(501), "cb-1")
    fake.card(issued.card_id).status = "Frozen"
    with pytest.raises(ProviderError) as frozen:
        await numero.top_up(issued.card_id, Money(100), "cb-2")
    fake.terminate(issued.card_id)
    with pytest.raises(ProviderError) as terminated:
        await numero.withdraw(issued.card_id, Money(100), "cb-3")
    with pytest.raises(ProviderError) as unknown:
        await numero.top_up("NCRD_nope", Money(100), "cb-4")
    assert short.value.code == "provider-numero-wallet-underfunded"
    assert frozen.value.code == "provider-card-frozen"
    assert terminated.value.code == "provider-card-terminated"
    assert unknown.value.code == "provider-not-found"
    assert fake.card(issued.card_id).balance == Decimal("25.00")


async def test_bad_amounts_are_refused_before_any_call(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    for amount in (Money(0), Money(-100), Money(100, "NGN")):
        with pytest.raises(ProviderError) as caught:
            await numero.top_up("NCRD1", amount, "cb-bad")
        assert caught.value.code == "provider-bad-request"
    assert fake.calls == []


async def test_topping_up_twice_with_one_reference_moves_money_once(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    await numero.top_up(issued.card_id, Money(1000), "cb-once")
    again = await numero.top_up(issued.card_id, Money(1000), "cb-once")
    assert len(posts(fake, "/topup")) == 1
    assert again.balance == Money(3500)
    with pytest.raises(ProviderError) as reused:
        await numero.top_up(issued.card_id, Money(2000), "cb-once")
    assert reused.value.code == "provider-bad-request"


async def test_a_top_up_that_timed_out_after_landing_is_not_repeated(
    fake: NumeroFake, sleeps: Sleeps
) -> None:
    provider = adapter(fake, sleeps, timeout=0.2)
    issued = await card(provider)
    fake.fail_next("hang", apply=True, method="POST", path="/topup$")
    after = await provider.top_up(issued.card_id, Money(1000), "cb-slow")
    fake.release()
    assert after.balance == Money(3500)
    again = await provider.top_up(issued.card_id, Money(1000), "cb-slow")
    await provider.aclose()
    assert again.balance == Money(3500)
    assert fake.card(issued.card_id).balance == Decimal("35.00")
    assert len(posts(fake, "/topup")) == 1


async def test_an_unclear_top_up_with_the_balance_unreadable_is_resolved_on_the_next_call(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", apply=True, method="POST", path="/topup$")
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=3, skip=1)
    with pytest.raises(ProviderError) as caught:
        await numero.top_up(issued.card_id, Money(1000), "cb-unclear")
    assert not caught.value.definite
    again = await numero.top_up(issued.card_id, Money(1000), "cb-unclear")
    assert again.balance == Money(3500)
    assert fake.card(issued.card_id).balance == Decimal("35.00")
    assert len(posts(fake, "/topup")) == 1


async def test_a_withdrawal_that_never_arrived_is_sent_again_once(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", method="POST", path="/withdraw$")
    with pytest.raises(ProviderError) as caught:
        await numero.withdraw(issued.card_id, Money(1000), "cb-lost")
    assert not caught.value.definite
    assert fake.card(issued.card_id).balance == Decimal("25.00")
    again = await numero.withdraw(issued.card_id, Money(1000), "cb-lost")
    third = await numero.withdraw(issued.card_id, Money(1000), "cb-lost")
    assert again.balance == third.balance == Money(1500)
    assert fake.card(issued.card_id).balance == Decimal("15.00")
    assert len(posts(fake, "/withdraw")) == 2  # one lost on the way, one carried out


async def test_an_unclear_movement_with_other_activity_is_not_guessed(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", method="POST", path="/topup$")
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=3, skip=1)
    with pytest.raises(ProviderError):
        await numero.top_up(issued.card_id, Money(1000), "cb-muddy")
    fake.spend(issued.card_id, "3.00", "Coffee")  # the balance moves for another reason
    with pytest.raises(ProviderError) as caught:
        await numero.top_up(issued.card_id, Money(1000), "cb-muddy")
    assert caught.value.code == "provider-numero-unconfirmed"
    assert not caught.value.definite
    assert len(posts(fake, "/topup")) == 1


# -- find_movement: what a look-up after an unclear failure can tell ---------------------------
# Numero carries no reference of ours: only a movement this process asked for can be told, by
# the card balance against the one read just before the call.


async def test_find_movement_confirms_a_top_up_whose_answer_was_lost(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", apply=True, method="POST", path="/topup$")
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=3, skip=1)
    with pytest.raises(ProviderError) as caught:
        await numero.top_up(issued.card_id, Money(1000), "cb-lost")
    assert not caught.value.definite  # it landed, but the balance could not be read then
    assert await numero.find_movement(issued.card_id, "cb-lost") is True
    again = await numero.top_up(issued.card_id, Money(1000), "cb-lost")
    assert again.balance == Money(3500)
    assert len(posts(fake, "/topup")) == 1
    assert fake.card(issued.card_id).balance == Decimal("35.00")


async def test_find_movement_confirms_an_answered_movement_without_a_call(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    await numero.withdraw(issued.card_id, Money(500), "cb-wd-ok")
    calls = len(fake.calls)
    assert await numero.find_movement(issued.card_id, "cb-wd-ok") is True
    assert len(fake.calls) == calls


async def test_find_movement_says_no_when_the_balance_is_where_it_was(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", method="POST", path="/withdraw$")  # lost on the way: never arrived
    with pytest.raises(ProviderError) as caught:
        await numero.withdraw(issued.card_id, Money(1000), "cb-gone")
    assert not caught.value.definite
    assert await numero.find_movement(issued.card_id, "cb-gone") is False
    await numero.withdraw(issued.card_id, Money(1000), "cb-gone")  # sent again, as told
    assert await numero.find_movement(issued.card_id, "cb-gone") is True
    assert len(posts(fake, "/withdraw")) == 2
    assert fake.card(issued.card_id).balance == Decimal("15.00")


async def test_find_movement_cannot_tell_when_the_balance_moved_otherwise(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    fake.fail_next("drop", method="POST", path="/topup$")
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=3, skip=1)
    with pytest.raises(ProviderError):
        await numero.top_up(issued.card_id, Money(1000), "cb-muddy")
    fake.spend(issued.card_id, "3.00", "Coffee")  # neither before nor before + $10.00
    assert await numero.find_movement(issued.card_id, "cb-muddy") is None
    assert len(posts(fake, "/topup")) == 1


async def test_find_movement_cannot_tell_what_another_process_asked_for(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    issued = await card(numero)
    other = await card(numero, reference="cb-ref-2")
    fake.fail_next("drop", apply=True, method="POST", path="/topup$")
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=3, skip=1)
    with pytest.raises(ProviderError):
        await numero.top_up(issued.card_id, Money(1000), "cb-before-restart")
    restarted = adapter(fake, sleeps)  # the same API, without this process's memory
    assert await restarted.find_movement(issued.card_id, "cb-before-restart") is None
    await restarted.aclose()
    assert await numero.find_movement(issued.card_id, "cb-never-asked") is None
    assert await numero.find_movement(other.card_id, "cb-before-restart") is None
    assert await numero.find_movement(issued.card_id, "cb-before-restart") is True


async def test_a_write_that_was_rate_limited_is_retried_after_retry_after(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    issued = await card(numero)
    fake.fail_next("http", status=429, retry_after=2, method="POST", path="/topup$")
    after = await numero.top_up(issued.card_id, Money(500), "cb-429")
    assert sleeps == [2.0]
    assert after.balance == Money(3000)
    assert len(posts(fake, "/topup")) == 2
    assert fake.card(issued.card_id).balance == Decimal("30.00")


async def test_a_write_failing_with_5xx_is_not_retried(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    issued = await card(numero)
    fake.fail_next("http", status=500, method="POST", path="/topup$")
    with pytest.raises(ProviderError) as caught:
        await numero.top_up(issued.card_id, Money(500), "cb-500")
    assert caught.value.code == "provider-unavailable"
    assert not caught.value.definite
    assert len(posts(fake, "/topup")) == 1
    assert sleeps == []


# -- retries on reads ------------------------------------------------------------------------


async def test_reads_are_retried_on_5xx_with_backoff(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    issued = await card(numero)
    fake.fail_next("http", status=503, method="GET", path=CARDS + "$", times=2)
    assert (await numero.get_card(issued.card_id)).card_id == issued.card_id
    assert len(sleeps) == 2
    assert all(0 <= s <= 8 for s in sleeps)


async def test_reads_honour_retry_after_on_429_in_the_body_or_over_http(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    fake.fail_next("http", status=429, retry_after=3, method="GET")
    fake.fail_next("envelope", status=429, retry_after=1.5, method="GET")
    products = await numero.products()
    assert products
    assert sleeps == [3.0, 1.5]
    assert len(fake.calls_to("GET", "/business/card/products")) == 3


async def test_reads_give_up_after_the_bounded_attempts(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    fake.fail_next("envelope", status=500, method="GET", times=10)
    with pytest.raises(ProviderError) as caught:
        await numero.products()
    assert caught.value.code == "provider-unavailable"
    assert len(fake.calls) == 3
    assert len(sleeps) == 2


async def test_a_rate_limit_that_persists_is_reported_as_such(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    fake.fail_next("http", status=429, retry_after=1, method="GET", times=10)
    with pytest.raises(ProviderError) as caught:
        await numero.products()
    assert caught.value.code == "provider-rate-limited"


# -- card state --------------------------------------------------------------------------------


async def test_freeze_and_unfreeze_post_no_body_and_are_repeatable(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    frozen = await numero.freeze(issued.card_id)
    assert frozen.status is CardStatus.FROZEN
    assert fake.card(issued.card_id).status == "Frozen"
    again = await numero.freeze(issued.card_id)  # the API refuses; the card is frozen: fine
    assert again.status is CardStatus.FROZEN
    assert posts(fake, "/freeze")[1].outcome.startswith("400")
    thawed = await numero.unfreeze(issued.card_id)
    assert thawed.status is CardStatus.ACTIVE
    assert (await numero.unfreeze(issued.card_id)).status is CardStatus.ACTIVE
    for call in posts(fake, "/(un)?freeze"):
        assert call.body is None


async def test_freeze_refusals(numero: NumeroProvider, fake: NumeroFake) -> None:
    issued = await card(numero)
    stored = fake.card(issued.card_id)
    stored.status, stored.activate_at = "Pending", stored.issued_at.replace(year=2999)
    with pytest.raises(ProviderError) as pending:
        await numero.freeze(issued.card_id)
    fake.terminate(issued.card_id)
    with pytest.raises(ProviderError) as terminated:
        await numero.unfreeze(issued.card_id)
    with pytest.raises(ProviderError) as unknown:
        await numero.freeze("NCRD_nope")
    assert pending.value.code == "provider-card-pending"
    assert terminated.value.code == "provider-card-terminated"
    assert unknown.value.code == "provider-not-found"


async def test_a_freeze_whose_answer_was_lost_is_retried_and_ends_frozen(
    numero: NumeroProvider, fake: NumeroFake, sleeps: Sleeps
) -> None:
    issued = await card(numero)
    fake.fail_next("http", status=502, apply=True, method="POST", path="/freeze$")
    frozen = await numero.freeze(issued.card_id)
    assert frozen.status is CardStatus.FROZEN
    assert len(sleeps) == 1


# -- reveal --------------------------------------------------------------------------------


async def test_reveal_returns_the_live_details_and_hides_them_in_repr(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    secrets = await numero.reveal(issued.card_id)
    stored = fake.card(issued.card_id)
    assert (secrets.pan, secrets.cvv) == (stored.pan, stored.cvv)
    assert (secrets.expiry_month, secrets.expiry_year) == (stored.expiry_month, stored.expiry_year)
    assert repr(secrets) == str(secrets) == f"CardSecrets(pan=…{stored.pan[-4:]}, cvv=***)"
    assert posts(fake, "/reveal")[0].body is None
    fake.card(issued.card_id).status = "Frozen"
    assert (await numero.reveal(issued.card_id)).pan == stored.pan
    fake.terminate(issued.card_id)
    with pytest.raises(ProviderError) as caught:
        await numero.reveal(issued.card_id)
    assert caught.value.code == "provider-card-terminated"


def test_a_malformed_reveal_never_echoes_card_data() -> None:
    pan = "4111111111111111"
    with pytest.raises(ProviderError) as caught:
        secrets_from({"pan": pan, "expiryMonth": "06", "expiryYear": "2029"})  # no cvv
    assert pan not in str(caught.value)
    assert pan not in repr(caught.value)
    two_digit = secrets_from(
        {"cardNumber": pan, "cvv2": "123", "expiryMonth": "6", "expiryYear": "29"}
    )
    assert (two_digit.pan, two_digit.expiry_month, two_digit.expiry_year) == (pan, 6, 2029)


# -- statement -----------------------------------------------------------------------------


async def test_statement_maps_transactions_in_dollars(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero, initial=2000)
    fake.spend(issued.card_id, "9.99", "Netflix")
    fake.spend(issued.card_id, "50.00", "Airline")  # declined: not enough balance
    fake.refund(issued.card_id, "4.50", "Netflix")
    page = await numero.transactions(issued.card_id, 0, 10)
    [call] = fake.calls_to("GET", CARDS + "/transactions")
    assert call.query == {"pageNumber": "1", "pageSize": "10"}
    assert [(t.kind, t.amount, t.status, t.merchant) for t in page.items] == [
        ("refund", Money(450), "approved", "Netflix"),
        ("purchase", Money(5000), "declined", "Airline"),
        ("purchase", Money(999), "approved", "Netflix"),
    ]
    assert page.items[1].decline_reason == "insufficient_funds"
    assert page.items[0].id.startswith("NTXN")
    assert page.items[0].created_at.tzinfo is not None
    assert page.has_more is False
    assert page.page == 0


async def test_statement_pages_are_one_based_at_the_api_and_know_when_to_stop(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero, initial=10_000)
    for n in range(4):
        fake.spend(issued.card_id, f"{n + 1}.00", f"Shop {n}")
    first = await numero.transactions(issued.card_id, 0, 2)
    second = await numero.transactions(issued.card_id, 1, 2)
    third = await numero.transactions(issued.card_id, 2, 2)
    assert [t.merchant for t in first.items] == ["Shop 3", "Shop 2"]
    assert [t.merchant for t in second.items] == ["Shop 1", "Shop 0"]
    assert third.items == []
    assert (first.has_more, second.has_more, third.has_more) == (True, False, False)
    queries = [c.query for c in fake.calls_to("GET", CARDS + "/transactions")]
    assert queries[0] == {"pageNumber": "1", "pageSize": "2"}
    if fake.envelope == "classic":  # no paging figures in the body: peek at the next row
        assert {"pageNumber": "3", "pageSize": "1"} in queries
        assert {"pageNumber": "5", "pageSize": "1"} in queries
    else:  # meta.pagination.has_more says it
        assert len(queries) == 3


async def test_statement_page_size_is_kept_within_the_documented_range(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    await numero.transactions(issued.card_id, 0, 500)
    await numero.transactions(issued.card_id, -3, 0)
    queries = [c.query for c in fake.calls_to("GET", CARDS + "/transactions")]
    assert queries == [
        {"pageNumber": "1", "pageSize": "200"},
        {"pageNumber": "1", "pageSize": "1"},
    ]
    with pytest.raises(ProviderError) as caught:
        await numero.transactions("NCRD_nope", 0, 5)
    assert caught.value.code == "provider-not-found"


# -- limits --------------------------------------------------------------------------------


async def test_limits_are_sent_in_dollars_and_cleared_with_null(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    limited = await numero.set_limits(
        issued.card_id, Limits(daily=Money(50_000), per_transaction=Money(2_550))
    )
    assert limited.limits == Limits(daily=Money(50_000), per_transaction=Money(2_550))
    cleared = await numero.set_limits(issued.card_id, Limits(daily=Money(10_000)))
    bodies = [c.body for c in posts(fake, "/limits")]
    assert bodies == [
        {"dailyLimit": Decimal("500.0"), "perTransactionLimit": Decimal("25.5")},
        {"dailyLimit": Decimal("100.0"), "perTransactionLimit": None},
    ]
    assert cleared.limits == Limits(daily=Money(10_000), per_transaction=None)
    assert fake.card(issued.card_id).per_transaction_limit is None
    with pytest.raises(ProviderError) as inverted:
        await numero.set_limits(
            issued.card_id, Limits(daily=Money(1_000), per_transaction=Money(2_000))
        )
    with pytest.raises(ProviderError) as zero:
        await numero.set_limits(issued.card_id, Limits(daily=Money(0)))
    assert inverted.value.code == "provider-bad-request"
    assert zero.value.code == "provider-bad-request"
    assert len(posts(fake, "/limits")) == 3  # the zero limit never left the adapter


# -- the fake is strict ------------------------------------------------------------------------


async def test_the_fake_refuses_what_the_api_would(
    numero: NumeroProvider, fake: NumeroFake
) -> None:
    issued = await card(numero)
    url = f"{fake.url}/business/card/{issued.card_id}"
    headers = {"X-Numero-Api-Key": DEFAULT_KEY}
    refused = {
        "cents as a string": ("POST", "/topup", {"amount": "2500"}),
        "a wrong field name": ("POST", "/topup", {"amount_cents": 2500}),
        "three decimals": ("POST", "/topup", {"amount": 1.005}),
        "a boolean": ("POST", "/withdraw", {"amount": True}),
        "zero": ("POST", "/topup", {"amount": 0}),
        "a body on freeze": ("POST", "/freeze", {"reason": "lost"}),
        "a zero-based page": ("GET", "/transactions?pageNumber=0&pageSize=5", None),
        "an oversized page": ("GET", "/transactions?pageSize=201", None),
        "a cursor": ("GET", "/transactions?cursor=abc", None),
    }
    async with httpx.AsyncClient(headers=headers) as client:
        for why, (method, suffix, body) in refused.items():
            response = await client.request(method, url + suffix, json=body)
            envelope = parse_envelope(response.json(), response.status_code)
            assert not envelope.ok, why
        wrong_method = await client.delete(url)
        unknown_route = await client.post(f"{url}/terminate")
    assert wrong_method.status_code == 405
    assert not parse_envelope(unknown_route.json(), unknown_route.status_code).ok
    assert fake.card(issued.card_id).balance == Decimal("25.00")
    assert fake.card(issued.card_id).status == "Active"


# -- configuration ---------------------------------------------------------------------------


async def test_create_reads_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDBOT_NUMERO_API_KEY", "live_key_abc")
    monkeypatch.delenv("CARDBOT_NUMERO_BASE_URL", raising=False)
    provider = create(Settings(_env_file=None))  # type: ignore[call-arg]
    assert provider.base_url == SANDBOX_URL
    assert await provider.auth_headers() == {"X-Numero-Api-Key": "live_key_abc"}
    assert "live_key_abc" not in repr(provider)
    await provider.aclose()
    monkeypatch.setenv("CARDBOT_NUMERO_BASE_URL", "https://api.usenumero.com/numeroaccount/api/v1/")
    provider = create(Settings(_env_file=None))  # type: ignore[call-arg]
    assert provider.base_url == "https://api.usenumero.com/numeroaccount/api/v1"
    await provider.aclose()
    monkeypatch.delenv("CARDBOT_NUMERO_API_KEY")
    with pytest.raises(SystemExit) as missing:
        create(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "CARDBOT_NUMERO_API_KEY" in str(missing.value)
