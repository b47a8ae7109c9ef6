"""Contract tests of the Bitnob adapter against the strict local fake of its v1 API: every
operation, the documented units and shapes both ways, every refusal mapped to a chat code,
retries (reads only, honouring retry_after, never really sleeping), idempotency by reference and
lookup-before-retry after unclear failures, paging, capabilities, and card secrets kept nowhere.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from handlers.texts import Texts
from services.money import Money
from services.providers import bitnob as bitnob_module
from services.providers import registry
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
from services.providers.bitnob import SANDBOX_URL, BitnobProvider, BitnobSettings
from services.providers.http import RetryPolicy
from services.settings import Settings
from tests.fakes.bitnob import FakeBitnob

SELFIE = b"\xff\xd8\xff\xe0selfie" + bytes(range(40))
ID_PHOTO = b"\xff\xd8\xff\xe0id-card" + bytes(range(40, 90))
ADA = KycApplication(
    reference="usr-ada-0001",
    first_name="Ada",
    last_name="Okafor",
    birth_date=date(1992, 3, 14),
    country="NG",
    phone_e164="+2348031234567",
    address_line1="12 Marina Road",
    city="Lagos",
    region="Lagos",
    postal_code="101001",
    id_type="bvn",
    id_number="22123456789",
    id_photo=ID_PHOTO,
    selfie=SELFIE,
)
CARDS = "/virtualcards/cards"


class Sleeps:
    """The injected sleep: records each wait, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBitnob]:
    server = FakeBitnob()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make(fake: FakeBitnob, sleeps: Sleeps, **values: Any) -> BitnobProvider:
    settings = BitnobSettings(
        _env_file=None,  # type: ignore[call-arg]
        **{"base_url": fake.base_url, "api_key": fake.api_key, "sandbox": True, **values},
    )
    return BitnobProvider(
        settings,
        sleep=sleeps,
        retry=RetryPolicy(attempts=3, base_delay=0.01),
        # plain HTTP to 127.0.0.1: skip loading the CA bundle (30 ms a client)
        transport=httpx.AsyncHTTPTransport(verify=False),
    )


@pytest.fixture
async def bitnob(fake: FakeBitnob, sleeps: Sleeps) -> AsyncIterator[BitnobProvider]:
    provider = make(fake, sleeps)
    yield provider
    await provider.aclose()


async def approved(bitnob: BitnobProvider, application: KycApplication = ADA) -> str:
    submitted = await bitnob.submit_kyc(application)
    assert submitted.status is KycStatus.PENDING
    assert (await bitnob.kyc_status(submitted.customer_id)).status is KycStatus.APPROVED
    return submitted.customer_id


def request(customer: str, reference: str = "cb-issue-1", **values: Any) -> IssueRequest:
    return IssueRequest(
        **{
            "customer_id": customer,
            "reference": reference,
            "brand": "visa",
            "initial": Money(2500),
            **values,
        }
    )


async def carded(bitnob: BitnobProvider, reference: str = "cb-issue-1") -> ProviderCard:
    """An approved card user with an active Visa card holding $25.00."""
    customer = await approved(bitnob)
    card = await bitnob.issue_card(request(customer, reference))
    assert (card.status, card.balance) == (CardStatus.ACTIVE, Money(2500))
    return card


async def second_card(bitnob: BitnobProvider, fake: FakeBitnob) -> ProviderCard:
    customer = next(iter(fake.users))
    return await bitnob.issue_card(request(customer, "cb-issue-2"))


def luhn_ok(number: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(number)):
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


async def refused(awaitable: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await awaitable
    return info.value


# -- capabilities and configuration -----------------------------------------------------------
async def test_capabilities_are_what_bitnob_v1_offers(bitnob: BitnobProvider) -> None:
    assert bitnob.info.name == "bitnob"
    assert bitnob.info.brands == ("visa", "mastercard")
    assert bitnob.info.capabilities == {
        Capability.ISSUE,
        Capability.INITIAL_AMOUNT,
        Capability.CHOOSE_BRAND,
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.AIRLINE_TOGGLE,
        Capability.SIMULATE,
    }


async def test_operations_the_api_lacks_are_not_offered_and_call_nothing(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    for call in (
        bitnob.products(),
        bitnob.set_limits("card", Limits(daily=Money(1000))),
        bitnob.open_dispute("card", "txn", "not mine"),
        bitnob.issue_card(request("user", disposable=True)),
        bitnob.issue_card(request("user", wallet="apple_pay")),
    ):
        assert (await refused(call)).code == "not-offered"
    assert fake.calls == []


async def test_outside_the_sandbox_there_are_no_mock_transactions(
    fake: FakeBitnob, sleeps: Sleeps
) -> None:
    live = make(fake, sleeps, sandbox=False)
    assert Capability.SIMULATE not in live.info.capabilities
    assert Capability.ISSUE in live.info.capabilities
    assert (await refused(live.simulate_purchase("card", Money(100), "Shop"))).code == (
        "not-offered"
    )
    assert fake.calls == []
    await live.aclose()


def test_settings_default_to_the_documented_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASE_URL", "API_KEY", "SANDBOX"):
        monkeypatch.delenv(f"CARDBOT_BITNOB_{name}", raising=False)
    settings = BitnobSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.base_url == SANDBOX_URL == "https://sandboxapi.bitnob.co/api/v1"
    assert settings.is_sandbox
    production = BitnobSettings(_env_file=None, base_url="https://api.bitnob.co/api/v1")  # type: ignore[call-arg]
    assert not production.is_sandbox


async def test_the_registry_builds_it_from_its_own_environment(
    monkeypatch: pytest.MonkeyPatch, fake: FakeBitnob
) -> None:
    monkeypatch.setenv("CARDBOT_BITNOB_BASE_URL", fake.base_url)
    monkeypatch.setenv("CARDBOT_BITNOB_API_KEY", fake.api_key)
    monkeypatch.setenv("CARDBOT_BITNOB_SANDBOX", "false")
    provider = registry.create("bitnob", Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(provider, BitnobProvider)
    assert provider.base_url == fake.base_url
    assert Capability.SIMULATE not in provider.info.capabilities
    with pytest.raises(ProviderError):
        await provider.get_card("no-such-card")
    assert fake.calls[-1].authorization == f"Bearer {fake.api_key}"
    await provider.aclose()
    monkeypatch.delenv("CARDBOT_BITNOB_API_KEY")
    with pytest.raises(SystemExit, match="CARDBOT_BITNOB_API_KEY"):
        registry.create("bitnob", Settings(_env_file=None))  # type: ignore[call-arg]


# -- authentication ----------------------------------------------------------------------------
async def test_every_call_carries_the_secret_key_as_a_bearer_token(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    await bitnob.top_up(card.card_id, Money(500), "cb-top-1")
    await bitnob.freeze(card.card_id)
    assert len(fake.calls) >= 6
    assert {c.authorization for c in fake.calls} == {f"Bearer {fake.api_key}"}


async def test_a_wrong_key_is_refused_once_and_not_retried(
    fake: FakeBitnob, sleeps: Sleeps
) -> None:
    wrong = make(fake, sleeps, api_key="sk.sandbox.not-ours")
    error = await refused(wrong.kyc_status("any-user"))
    assert (error.code, error.definite) == ("provider-auth", True)
    assert len(fake.calls) == 1 and sleeps.waits == []
    await wrong.aclose()


# -- KYC: register card user -------------------------------------------------------------------
async def test_kyc_registers_a_card_user_with_the_documented_fields(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    result = await bitnob.submit_kyc(ADA)
    assert result.status is KycStatus.PENDING
    (call,) = fake.posts("/virtualcards/registercarduser")
    body = call.body
    assert set(body) == {
        "customerReference", "firstName", "lastName", "idType", "idNumber", "country",
        "phoneNumber", "city", "state", "zipCode", "line1", "houseName", "dateOfBirth",
        "userPhoto", "idImage", "bvn",
    }  # fmt: skip
    assert body["customerReference"] == ADA.reference
    assert body["country"] == "Nigeria"  # a name, not "NG"
    assert (body["idType"], body["idNumber"], body["bvn"]) == ("BVN", "22123456789", "22123456789")
    assert body["dateOfBirth"] == "1992-03-14"
    assert (body["line1"], body["houseName"], body["zipCode"]) == ("12 Marina Road", "12", "101001")
    assert base64.b64decode(body["userPhoto"]) == SELFIE
    assert base64.b64decode(body["idImage"]) == ID_PHOTO
    assert result.customer_id in fake.users
    decided = await bitnob.kyc_status(result.customer_id)
    assert (decided.customer_id, decided.status) == (result.customer_id, KycStatus.APPROVED)


async def test_kyc_can_be_rejected(bitnob: BitnobProvider) -> None:
    result = await bitnob.submit_kyc(dataclasses.replace(ADA, last_name="Reject"))
    assert (await bitnob.kyc_status(result.customer_id)).status is KycStatus.REJECTED


async def test_kyc_status_of_an_unknown_user(bitnob: BitnobProvider) -> None:
    error = await refused(bitnob.kyc_status("3b4f3a8e-0000-4000-8000-000000000000"))
    assert (error.code, error.definite) == ("provider-not-found", True)


async def test_a_nigerian_without_a_bvn_is_told_what_is_missing(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    error = await refused(bitnob.submit_kyc(dataclasses.replace(ADA, id_type="nin")))
    assert (error.code, error.definite) == ("provider-bitnob-bvn-required", True)
    assert fake.posts("/virtualcards/registercarduser")[0].body["idType"] == "NIN"
    assert fake.users == {}


async def test_resubmitting_after_a_rejection_updates_the_card_user(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    first = await bitnob.submit_kyc(dataclasses.replace(ADA, last_name="Reject"))
    assert (await bitnob.kyc_status(first.customer_id)).status is KycStatus.REJECTED
    again = await bitnob.submit_kyc(ADA)  # the same person (reference), details corrected
    assert (again.customer_id, again.status) == (first.customer_id, KycStatus.PENDING)
    (update,) = [c for c in fake.calls if c.method == "PUT"]
    assert update.path == f"/virtualcards/users/{first.customer_id}"
    assert update.body["lastName"] == "Okafor"
    assert (await bitnob.kyc_status(first.customer_id)).status is KycStatus.APPROVED
    assert len(fake.users) == 1


@pytest.mark.parametrize("fault", ["500-after", "drop-after"])
async def test_an_unclear_registration_is_looked_up_not_repeated(
    bitnob: BitnobProvider, fake: FakeBitnob, fault: str
) -> None:
    fake.fail_next(fault, path="registercarduser")
    result = await bitnob.submit_kyc(ADA)
    assert result.customer_id in fake.users and len(fake.users) == 1
    assert len(fake.posts("/virtualcards/registercarduser")) == 1
    lookups = fake.gets("/virtualcards/users")
    assert lookups and lookups[0].query == {"order": "DESC", "page": "1", "take": "100"}


async def test_a_registration_refused_by_a_5xx_stays_unclear(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    fake.fail_next("500", path="registercarduser")
    error = await refused(bitnob.submit_kyc(ADA))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert fake.users == {} and len(fake.posts("/virtualcards/registercarduser")) == 1


# -- issuing -----------------------------------------------------------------------------------
async def test_issue_sends_whole_dollars_as_a_string_and_reads_cents_back(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    customer = await approved(bitnob)
    wallet = fake.wallet_cents
    card = await bitnob.issue_card(request(customer))
    (call,) = fake.posts("/virtualcards/create")
    assert call.body == {
        "customerReference": ADA.reference,
        "cardBrand": "visa",
        "cardType": "virtual",
        "reference": "cb-issue-1",
        "amount": "25",  # dollars, as a string
        "firstName": "Ada",  # sandbox only
        "lastName": "Okafor",
    }
    made = fake.cards[card.card_id]
    assert made.number is not None
    assert card.status is CardStatus.ACTIVE
    assert card.balance == Money(2500)  # the card's cents balance, read back
    assert card.last4 == made.number[-4:]
    assert card.masked_pan == f"•••• •••• •••• {card.last4}"
    assert card.brand == "visa"
    assert fake.wallet_cents == wallet - 2500


async def test_issue_a_mastercard(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    customer = await approved(bitnob)
    card = await bitnob.issue_card(request(customer, brand="mastercard", initial=Money(1000)))
    assert fake.posts("/virtualcards/create")[0].body["cardBrand"] == "mastercard"
    assert fake.posts("/virtualcards/create")[0].body["amount"] == "10"
    assert (card.brand, card.balance) == ("mastercard", Money(1000))


async def test_issue_outside_the_sandbox_sends_no_names(
    fake: FakeBitnob, sleeps: Sleeps, bitnob: BitnobProvider
) -> None:
    customer = await approved(bitnob)
    live = make(fake, sleeps, sandbox=False)
    await live.issue_card(request(customer))
    assert "firstName" not in fake.posts("/virtualcards/create")[0].body
    await live.aclose()


async def test_an_initial_load_with_cents_is_refused_before_calling(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    customer = await approved(bitnob)
    error = await refused(bitnob.issue_card(request(customer, initial=Money(2550))))
    assert (error.code, error.definite) == ("provider-bitnob-whole-dollars", True)
    assert fake.posts("/virtualcards/create") == [] and fake.cards == {}


async def test_no_card_before_kyc_passes(fake: FakeBitnob, bitnob: BitnobProvider) -> None:
    fake.auto_kyc = False
    submitted = await bitnob.submit_kyc(ADA)
    error = await refused(bitnob.issue_card(request(submitted.customer_id)))
    assert (error.code, error.definite) == ("provider-kyc-not-approved", True)
    assert fake.posts("/virtualcards/create") == []
    fake.decide_kyc(submitted.customer_id, False)
    error = await refused(bitnob.issue_card(request(submitted.customer_id)))
    assert error.code == "provider-kyc-not-approved" and fake.cards == {}


async def test_card_creation_is_asynchronous(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    fake.auto_create = False
    customer = await approved(bitnob)
    card = await bitnob.issue_card(request(customer))
    assert (card.status, card.last4, card.balance) == (CardStatus.PENDING, "", Money(0))
    assert (await bitnob.get_card(card.card_id)).status is CardStatus.PENDING
    assert (await refused(bitnob.reveal(card.card_id))).code == "provider-card-pending"
    error = await refused(bitnob.top_up(card.card_id, Money(500), "cb-top-early"))
    assert (error.code, error.definite) == ("provider-card-pending", True)
    fake.complete_creation(card.card_id)
    ready = await bitnob.get_card(card.card_id)
    number = fake.cards[card.card_id].number
    assert number is not None
    assert (ready.status, ready.last4, ready.balance) == (
        CardStatus.ACTIVE,
        number[-4:],
        Money(2500),
    )
    other = await bitnob.issue_card(request(customer, "cb-issue-2"))
    fake.complete_creation(other.card_id, ok=False)
    assert (await bitnob.get_card(other.card_id)).status is CardStatus.TERMINATED


@pytest.mark.parametrize("fault", ["500-after", "drop-after"])
async def test_an_unclear_issue_is_resolved_by_its_reference(
    bitnob: BitnobProvider, fake: FakeBitnob, fault: str
) -> None:
    customer = await approved(bitnob)
    fake.fail_next(fault, path="/virtualcards/create")
    card = await bitnob.issue_card(request(customer))
    assert list(fake.cards) == [card.card_id]
    assert fake.cards[card.card_id].reference == "cb-issue-1"
    assert (card.status, card.balance) == (CardStatus.ACTIVE, Money(2500))
    assert len(fake.posts("/virtualcards/create")) == 1


async def test_an_issue_refused_by_a_5xx_is_unclear_and_nothing_is_found(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    customer = await approved(bitnob)
    fake.fail_next("503", path="/virtualcards/create")
    error = await refused(bitnob.issue_card(request(customer)))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert len(fake.posts("/virtualcards/create")) == 1  # a write is never retried blindly
    assert await bitnob.find_card_by_reference("cb-issue-1") is None
    assert fake.cards == {}


async def test_issuing_again_with_the_same_reference_gives_the_same_card(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    customer = await approved(bitnob)
    first = await bitnob.issue_card(request(customer))
    wallet = fake.wallet_cents
    again = await bitnob.issue_card(request(customer))
    assert again.card_id == first.card_id and len(fake.cards) == 1
    assert fake.wallet_cents == wallet


async def test_find_card_by_reference_walks_the_pages(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    customer = await approved(bitnob)
    oldest = fake.add_card(customer, "cb-oldest", 1200)
    for i in range(150):
        fake.add_card(customer, f"cb-other-{i}")
    found = await bitnob.find_card_by_reference("cb-oldest")
    assert found is not None
    assert (found.card_id, found.balance, found.status) == (
        oldest.id,
        Money(1200),
        CardStatus.ACTIVE,
    )
    pages = [c.query for c in fake.gets(CARDS) if c.path == CARDS]
    assert pages == [
        {"order": "DESC", "page": "1", "take": "100"},
        {"order": "DESC", "page": "2", "take": "100"},
    ]
    assert await bitnob.find_card_by_reference("cb-never") is None


# -- money -------------------------------------------------------------------------------------
async def test_top_up_sends_integer_cents_and_shows_a_fresh_balance(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    start = len(fake.calls)
    after = await bitnob.top_up(card.card_id, Money(1050), "cb-top-1")
    assert after.balance == Money(3550)
    (call,) = fake.posts("/virtualcards/topup")
    assert call.body == {"amount": 1050, "cardId": card.card_id, "reference": "cb-top-1"}
    assert type(call.body["amount"]) is int
    steps = [(c.method, c.path) for c in fake.calls[start:]]
    assert steps == [
        ("GET", f"{CARDS}/{card.card_id}/transactions"),  # has this reference been used?
        ("POST", "/virtualcards/topup"),
        ("GET", f"{CARDS}/{card.card_id}"),  # the balance, fresh
    ]


async def test_withdraw_sends_integer_cents(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    after = await bitnob.withdraw(card.card_id, Money(1000), "cb-wd-1")
    assert after.balance == Money(1500)
    (call,) = fake.posts("/virtualcards/withdraw")
    assert call.body == {"amount": 1000, "cardId": card.card_id, "reference": "cb-wd-1"}


async def test_withdrawing_more_than_the_card_holds(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    error = await refused(bitnob.withdraw(card.card_id, Money(2501), "cb-wd-1"))
    assert (error.code, error.definite) == ("provider-insufficient-funds", True)
    assert (await bitnob.get_card(card.card_id)).balance == Money(2500)


async def test_a_top_up_when_the_funding_wallet_is_low(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.wallet_cents = 999
    error = await refused(bitnob.top_up(card.card_id, Money(1000), "cb-top-1"))
    assert (error.code, error.definite) == ("provider-bitnob-funding-low", True)
    assert fake.cards[card.card_id].balance == 2500


async def test_the_same_reference_moves_money_once(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    first = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    again = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    assert first.balance == again.balance == Money(3500)
    assert len(fake.posts("/virtualcards/topup")) == 1
    assert fake.cards[card.card_id].balance == 3500


@pytest.mark.parametrize("fault", ["500-after", "drop-after"])
async def test_an_unclear_top_up_is_looked_up_not_sent_again(
    bitnob: BitnobProvider, fake: FakeBitnob, fault: str
) -> None:
    card = await carded(bitnob)
    fake.fail_next(fault, path="/virtualcards/topup")
    after = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    assert after.balance == Money(3500)
    assert len(fake.posts("/virtualcards/topup")) == 1
    assert [t.reference for t in fake.txns].count("cb-top-1") == 1
    again = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")  # a later retry
    assert again.balance == Money(3500) and len(fake.posts("/virtualcards/topup")) == 1


async def test_a_top_up_that_timed_out_after_applying_moves_money_once(
    fake: FakeBitnob, sleeps: Sleeps, bitnob: BitnobProvider
) -> None:
    card = await carded(bitnob)
    impatient = make(fake, sleeps, timeout_seconds=0.3)
    fake.fail_next("hang-after", path="/virtualcards/topup")
    after = await impatient.top_up(card.card_id, Money(1000), "cb-top-1")
    assert after.balance == Money(3500)
    assert len(fake.posts("/virtualcards/topup")) == 1
    assert fake.cards[card.card_id].balance == 3500
    await impatient.aclose()


async def test_a_top_up_refused_by_a_5xx_is_unclear_and_a_retry_moves_it_once(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.fail_next("500", path="/virtualcards/topup")
    error = await refused(bitnob.top_up(card.card_id, Money(1000), "cb-top-1"))
    assert (error.code, error.definite) == ("provider-unavailable", False)
    assert len(fake.posts("/virtualcards/topup")) == 1  # not retried on its own
    assert fake.cards[card.card_id].balance == 2500
    after = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    assert after.balance == Money(3500)
    assert len(fake.posts("/virtualcards/topup")) == 2


@pytest.mark.parametrize("header", [False, True])
async def test_a_rate_limited_top_up_waits_as_told_then_goes_once(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps, header: bool
) -> None:
    card = await carded(bitnob)
    fake.fail_next("429", path="/virtualcards/topup", retry_after=7, header=header)
    after = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    assert after.balance == Money(3500)
    assert sleeps.waits == [7.0]
    assert len(fake.posts("/virtualcards/topup")) == 2
    assert [t.reference for t in fake.txns].count("cb-top-1") == 1


async def test_a_pending_top_up_is_accepted_and_a_failed_one_is_not_sent_again(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.hold_money = True
    pending = await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    assert pending.balance == Money(2500)  # accepted; the balance shown is Bitnob's, fresh
    fake.settle("cb-top-1")
    assert (await bitnob.get_card(card.card_id)).balance == Money(3500)
    await bitnob.top_up(card.card_id, Money(500), "cb-top-2")
    fake.settle("cb-top-2", ok=False)
    error = await refused(bitnob.top_up(card.card_id, Money(500), "cb-top-2"))
    assert (error.code, error.definite) == ("provider-bitnob-topup-failed", True)
    assert len(fake.posts("/virtualcards/topup")) == 2
    assert fake.cards[card.card_id].balance == 3500


async def test_a_reference_already_used_elsewhere_is_refused(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    other = await second_card(bitnob, fake)
    await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    error = await refused(bitnob.top_up(other.card_id, Money(1000), "cb-top-1"))
    assert (error.code, error.definite) == ("provider-bitnob-duplicate-reference", True)
    assert fake.cards[other.card_id].balance == 2500
    # the same reference for a different amount on the same card is not "already done"
    error = await refused(bitnob.top_up(card.card_id, Money(999), "cb-top-1"))
    assert error.code == "provider-bitnob-duplicate-reference"
    assert fake.cards[card.card_id].balance == 3500


# -- find_movement: the card's transactions carry our reference --------------------------------
async def test_find_movement_finds_lost_answers_by_reference_even_after_a_restart(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps
) -> None:
    card = await carded(bitnob)
    fake.fail_next("drop-after", path="/virtualcards/topup")
    await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    fake.fail_next("500-after", path="/virtualcards/withdraw")
    await bitnob.withdraw(card.card_id, Money(500), "cb-wd-1")
    restarted = make(fake, sleeps)  # nothing in memory: the reference is at Bitnob
    assert await restarted.find_movement(card.card_id, "cb-top-1") is True
    assert await restarted.find_movement(card.card_id, "cb-wd-1") is True
    await restarted.aclose()
    assert len(fake.posts("/virtualcards/topup")) == len(fake.posts("/virtualcards/withdraw")) == 1


async def test_find_movement_says_no_for_a_reference_bitnob_never_took(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.fail_next("500", path="/virtualcards/topup")  # refused before acting
    error = await refused(bitnob.top_up(card.card_id, Money(1000), "cb-top-1"))
    assert not error.definite
    assert await bitnob.find_movement(card.card_id, "cb-top-1") is False
    assert await bitnob.find_movement(card.card_id, "cb-never") is False
    await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")  # sent again, as told
    assert await bitnob.find_movement(card.card_id, "cb-top-1") is True
    assert fake.cards[card.card_id].balance == 3500


async def test_find_movement_waits_for_a_pending_movement_and_says_no_to_a_failed_one(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.hold_money = True
    await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    await bitnob.withdraw(card.card_id, Money(500), "cb-wd-1")
    assert await bitnob.find_movement(card.card_id, "cb-top-1") is None  # not settled yet
    assert await bitnob.find_movement(card.card_id, "cb-wd-1") is None
    fake.settle("cb-top-1")
    fake.settle("cb-wd-1", ok=False)
    assert await bitnob.find_movement(card.card_id, "cb-top-1") is True
    assert await bitnob.find_movement(card.card_id, "cb-wd-1") is False  # it moved nothing


async def test_find_movement_cannot_tell_past_the_pages_it_walks(
    bitnob: BitnobProvider, fake: FakeBitnob, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await carded(bitnob)
    await bitnob.top_up(card.card_id, Money(1000), "cb-old")
    for _ in range(4):
        fake.charge(card.card_id, 100)
    monkeypatch.setattr(bitnob_module, "MAX_TAKE", 2)
    monkeypatch.setattr(bitnob_module, "LOOKUP_PAGES", 2)  # 4 of the 6 rows, newest first
    assert await bitnob.find_movement(card.card_id, "cb-old") is None
    assert await bitnob.find_movement(card.card_id, "cb-never") is None
    monkeypatch.setattr(bitnob_module, "LOOKUP_PAGES", 3)  # the whole list
    assert await bitnob.find_movement(card.card_id, "cb-old") is True
    assert await bitnob.find_movement(card.card_id, "cb-never") is False


async def test_money_on_a_card_that_cannot_take_it(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    await bitnob.freeze(card.card_id)
    assert (await refused(bitnob.top_up(card.card_id, Money(100), "r1"))).code == (
        "provider-card-frozen"
    )
    assert (await refused(bitnob.withdraw(card.card_id, Money(100), "r2"))).code == (
        "provider-card-frozen"
    )
    await bitnob.terminate(card.card_id)
    assert (await refused(bitnob.top_up(card.card_id, Money(100), "r3"))).code == (
        "provider-card-terminated"
    )
    missing = await refused(bitnob.top_up("2f1c0000-0000-4000-8000-000000000000", Money(1), "r4"))
    assert (missing.code, missing.definite) == ("provider-not-found", True)
    assert fake.posts("/virtualcards/topup")[0].body["reference"] == "r1"
    assert fake.cards[card.card_id].balance == 2500


async def test_an_http_200_with_status_false_is_a_refusal(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    fake.fail_next("status-false", path="/virtualcards/withdraw", message="withdrawals paused")
    error = await refused(bitnob.withdraw(card.card_id, Money(500), "cb-wd-1"))
    assert (error.code, error.definite) == ("provider-bad-request", True)
    assert "withdrawals paused" in str(error)
    assert fake.cards[card.card_id].balance == 2500


async def test_money_in_another_currency_is_refused(bitnob: BitnobProvider) -> None:
    error = await refused(bitnob.top_up("card", Money(1000, "EUR"), "cb-top-1"))
    assert error.code == "provider-bad-request"


# -- card state --------------------------------------------------------------------------------
def secrets_absent(card: ProviderCard, fake: FakeBitnob) -> None:
    made = fake.cards[card.card_id]
    assert made.number and made.cvv
    shown = repr(card) + "".join(str(getattr(card, f.name)) for f in dataclasses.fields(card))
    assert made.number not in shown and made.number[:6] not in card.masked_pan


async def test_freeze_unfreeze_terminate(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    frozen = await bitnob.freeze(card.card_id)
    assert frozen.status is CardStatus.FROZEN and fake.cards[card.card_id].status == "frozen"
    secrets_absent(frozen, fake)  # the freeze answer carries cardNumber and cvv2
    active = await bitnob.unfreeze(card.card_id)
    assert active.status is CardStatus.ACTIVE
    secrets_absent(active, fake)
    closed = await bitnob.terminate(card.card_id)
    assert closed.status is CardStatus.TERMINATED
    secrets_absent(closed, fake)
    assert fake.posts("/virtualcards/freeze")[0].body == {"cardId": card.card_id}
    error = await refused(bitnob.unfreeze(card.card_id))
    assert (error.code, error.definite) == ("provider-card-terminated", True)


async def test_freezing_twice_is_harmless(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    await bitnob.freeze(card.card_id)
    again = await bitnob.freeze(card.card_id)  # Bitnob refuses ("already frozen"): it is
    assert again.status is CardStatus.FROZEN
    assert len(fake.posts("/virtualcards/freeze")) == 2
    assert (await bitnob.terminate(card.card_id)).status is CardStatus.TERMINATED
    assert (await bitnob.terminate(card.card_id)).status is CardStatus.TERMINATED


async def test_a_freeze_is_retried_after_a_5xx(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps
) -> None:
    card = await carded(bitnob)
    fake.fail_next("503", path="/virtualcards/freeze")
    assert (await bitnob.freeze(card.card_id)).status is CardStatus.FROZEN
    assert len(fake.posts("/virtualcards/freeze")) == 2 and len(sleeps.waits) == 1


async def test_airline_payments_toggle(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    off = await bitnob.set_airline_payments(card.card_id, False)
    assert off.airline_payments is False and fake.cards[card.card_id].airline is False
    (call,) = fake.posts(fake.airline_path)
    assert call.body == {"cardId": card.card_id, "isAirlinePaymentEnabled": False}
    on = await bitnob.set_airline_payments(card.card_id, True)
    assert on.airline_payments is True and fake.cards[card.card_id].airline is True
    await bitnob.terminate(card.card_id)
    error = await refused(bitnob.set_airline_payments(card.card_id, False))
    assert error.code == "provider-card-terminated"


# -- reveal ------------------------------------------------------------------------------------
async def test_reveal_reads_the_card_and_keeps_the_number_nowhere(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)
    secrets = await bitnob.reveal(card.card_id)
    made = fake.cards[card.card_id]
    assert made.number and made.cvv and made.expiry
    assert (secrets.pan, secrets.cvv) == (made.number, made.cvv)
    assert luhn_ok(secrets.pan) and secrets.pan[-4:] == card.last4
    assert (secrets.expiry_month, secrets.expiry_year) == (made.expiry.month, made.expiry.year)
    assert made.number not in repr(secrets) and made.cvv not in repr(secrets).split("…")[0]
    assert made.number not in str(secrets)
    assert fake.calls[-1].path == f"{CARDS}/{card.card_id}"  # the fetch-card call
    assert made.number not in repr(vars(bitnob))
    secrets_absent(await bitnob.get_card(card.card_id), fake)


async def test_reveal_when_bitnob_sends_no_number(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    fake.hide_secrets = True
    error = await refused(bitnob.reveal(card.card_id))
    assert (error.code, error.definite) == ("provider-bitnob-reveal-unavailable", True)


async def test_no_reveal_of_a_terminated_card(bitnob: BitnobProvider) -> None:
    card = await carded(bitnob)
    await bitnob.terminate(card.card_id)
    assert (await refused(bitnob.reveal(card.card_id))).code == "provider-card-terminated"


# -- statement ---------------------------------------------------------------------------------
async def test_statement_pages_are_one_based_newest_first(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    card = await carded(bitnob)  # the initial load is the first row
    await bitnob.top_up(card.card_id, Money(1000), "cb-top-1")
    await bitnob.withdraw(card.card_id, Money(300), "cb-wd-1")
    for cents in (100, 200, 300):
        await bitnob.simulate_purchase(card.card_id, Money(cents), "Shop")
    start = len(fake.calls)
    first = await bitnob.transactions(card.card_id, 0, 4)
    assert fake.calls[start].query == {"order": "DESC", "page": "1", "take": "4"}
    assert first.has_more and first.page == 0
    assert [(t.kind, t.amount) for t in first.items] == [
        ("purchase", Money(300)),
        ("purchase", Money(200)),
        ("purchase", Money(100)),
        ("withdraw", Money(300)),  # Bitnob's type is "credit"; the method says withdrawal
    ]
    second = await bitnob.transactions(card.card_id, 1, 4)
    assert fake.calls[-1].query == {"order": "DESC", "page": "2", "take": "4"}
    assert not second.has_more and second.page == 1
    assert [(t.kind, t.amount, t.status) for t in second.items] == [
        ("topup", Money(1000), "approved"),
        ("topup", Money(2500), "approved"),
    ]
    assert all(t.created_at.tzinfo is not None for t in first.items + second.items)


async def test_transaction_amounts_come_from_cents_not_the_dollar_field(
    bitnob: BitnobProvider, fake: FakeBitnob
) -> None:
    fake.quirky_amounts = True  # like the documented sample: amount "500" beside centAmount "500"
    card = await carded(bitnob)
    await bitnob.top_up(card.card_id, Money(500), "cb-top-1")
    page = await bitnob.transactions(card.card_id, 0, 10)
    assert [t.amount for t in page.items] == [Money(500), Money(2500)]


async def test_mock_transactions_in_the_sandbox(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    card = await carded(bitnob)
    bought = await bitnob.simulate_purchase(card.card_id, Money(700), "Shop")
    (call,) = fake.posts("/virtualcards/mock-transaction")
    assert call.body == {"cardId": card.card_id, "amount": "700", "type": "deduct"}
    assert (bought.kind, bought.amount, bought.status) == ("purchase", Money(700), "approved")
    assert (await bitnob.get_card(card.card_id)).balance == Money(1800)
    refund = await bitnob.simulate_refund(card.card_id, Money(200), "Shop")
    assert (refund.kind, refund.amount, refund.status) == ("refund", Money(200), "approved")
    await bitnob.freeze(card.card_id)
    declined = await bitnob.simulate_purchase(card.card_id, Money(100), "Shop")
    assert (declined.kind, declined.status) == ("purchase", "declined")
    assert (await bitnob.get_card(card.card_id)).balance == Money(2000)


# -- retries on reads --------------------------------------------------------------------------
async def test_reads_are_retried_after_a_5xx(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps
) -> None:
    card = await carded(bitnob)
    fake.fail_next("503", method="GET", path=f"{CARDS}/{card.card_id}")
    assert (await bitnob.get_card(card.card_id)).balance == Money(2500)
    assert len(sleeps.waits) == 1
    assert len([c for c in fake.calls if c.path == f"{CARDS}/{card.card_id}"]) == 3  # 1 + 2


@pytest.mark.parametrize("header", [False, True])
async def test_reads_honour_retry_after(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps, header: bool
) -> None:
    card = await carded(bitnob)
    fake.fail_next("429", method="GET", path="/transactions", retry_after=7, header=header)
    page = await bitnob.transactions(card.card_id, 0, 5)
    assert [t.amount for t in page.items] == [Money(2500)]
    assert sleeps.waits == [7.0]


async def test_reads_give_up_after_the_policy_s_attempts(
    bitnob: BitnobProvider, fake: FakeBitnob, sleeps: Sleeps
) -> None:
    card = await carded(bitnob)
    for _ in range(3):
        fake.fail_next("503", method="GET", path=f"{CARDS}/{card.card_id}")
    error = await refused(bitnob.get_card(card.card_id))
    assert (error.code, error.definite) == ("provider-unavailable", True)
    assert len(sleeps.waits) == 2


# -- the fake itself refuses what Bitnob refuses ------------------------------------------------
async def test_the_fake_is_strict(bitnob: BitnobProvider, fake: FakeBitnob) -> None:
    """A wrong adapter could not pass: each of these mistakes is refused."""
    card = await carded(bitnob)
    auth = {"Authorization": f"Bearer {fake.api_key}"}
    cid = card.card_id
    mistakes: list[tuple[str, str, Any, dict[str, str], int, str]] = [
        ("GET", f"{CARDS}/{cid}", None, {}, 401, "Unauthorized"),
        ("GET", f"{CARDS}/{cid}", None, {"Authorization": fake.api_key}, 401, "Unauthorized"),
        ("GET", f"/virtualcards/card/{cid}", None, auth, 404, "Cannot GET"),  # SDK path
        ("POST", "/virtualcards/credit", {}, auth, 404, "Cannot POST"),  # SDK path
        ("POST", "/virtualcards/topup", {"amount": "1000", "cardId": cid, "reference": "x1"},
         auth, 400, "amount must be an integer number"),
        ("POST", "/virtualcards/topup", {"amount": 10.5, "cardId": cid, "reference": "x2"},
         auth, 400, "amount must be an integer number"),
        ("POST", "/virtualcards/topup", {"cardBrand": 1000, "cardId": cid, "reference": "x3"},
         auth, 400, "property cardBrand should not exist"),
        ("POST", "/virtualcards/withdraw",
         {"amount": 100, "cardId": cid, "reference": "x4", "customerEmail": "a@b.c"},
         auth, 400, "property customerEmail should not exist"),
        ("POST", "/virtualcards/create",
         {"customerReference": ADA.reference, "cardBrand": "visa", "cardType": "virtual",
          "reference": "x5", "amount": 2500}, auth, 400, "amount must be a string"),
        ("POST", "/virtualcards/create",
         {"customerReference": ADA.reference, "cardBrand": "visa", "cardType": "virtual",
          "reference": "x6", "amount": "25.50"}, auth, 400, "whole number of dollars"),
        ("POST", "/virtualcards/create",
         {"customerReference": ADA.reference, "cardBrand": "visa", "cardType": "virtual",
          "reference": "cb-issue-1", "amount": "5"}, auth, 400, "reference already exists"),
        ("POST", "/virtualcards/registercarduser", {"customerEmail": "a@b.c"}, auth, 400,
         "property customerEmail should not exist"),
        ("POST", "/virtualcards/mock-transaction", {"cardId": cid, "amount": 700}, auth, 400,
         "amount must be a string"),
        ("POST", fake.airline_path, {"cardId": cid, "isAirlinePaymentEnabled": "false"}, auth,
         400, "must be a boolean"),
        ("POST", "/virtualcards/unfreeze", {"cardId": cid}, auth, 400, "card is not frozen"),
        ("POST", "/virtualcards/freeze", {"cardId": "nope"}, auth, 404, "card not found"),
        ("GET", CARDS, {"take": "500"}, auth, 400, "take must not be"),
        ("GET", CARDS, {"order": "desc"}, auth, 400, "order must be"),
        ("GET", CARDS, {"page": "0"}, auth, 400, "page must not be"),
        ("GET", CARDS, {"limit": "10"}, auth, 400, "property limit should not exist"),
    ]  # fmt: skip
    balance = fake.cards[cid].balance
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        for method, path, payload, headers, status, text in mistakes:
            if method == "GET":
                response = await client.get(path, params=payload, headers=headers)
            else:
                response = await client.post(path, json=payload, headers=headers)
            assert response.status_code == status, (path, payload, response.text)
            body = response.json()
            assert body["statusCode"] == status
            assert text in str(body["message"]), (path, body)
        form = await client.post(
            "/virtualcards/topup",
            data={"amount": "100", "cardId": cid, "reference": "x9"},
            headers=auth,
        )
        assert form.status_code == 400  # JSON bodies only
    assert fake.cards[cid].balance == balance and len(fake.cards) == 1


def test_every_bitnob_code_has_a_chat_text() -> None:
    source = Path(bitnob_module.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r"provider-bitnob-[a-z-]+[a-z]", source))
    codes |= {f"provider-bitnob-{kind}-failed" for kind in ("topup", "withdraw")}
    codes.discard("provider-bitnob-")
    assert len(codes) >= 10
    texts = Texts.load()
    for code in sorted(codes):
        assert texts.has(code), code
        assert texts.get("en", code)[0].islower(), code  # read after "That didn't go through:"
