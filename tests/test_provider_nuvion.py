"""Contract tests: the Nuvion adapter against the strict local fake of the Nuvion cards API.

Every operation, every documented error, retries (reads on 5xx/429 honouring ``retry_after``,
with an injected sleep that only records), lookup-before-retry on unclear issuance, cursor
pagination, unit conversion both ways and the capability declaration. A few quirks the fake does
not produce (a 2xx carrying an error body, the generic list envelope) are served by an
``httpx.MockTransport``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from handlers.texts import Texts
from services.money import Money
from services.providers import nuvion, registry
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
from services.providers.http import RetryPolicy
from services.providers.nuvion import (
    NuvionProvider,
    NuvionSettings,
    from_api_amount,
    to_api_amount,
)
from services.settings import Settings
from tests.fakes.nuvion import ACCOUNT_ID, API_KEY, READ_ONLY_KEY, FakeNuvion

HOLDER = Cardholder("Ada", "Okafor", "+2348031234567", "NG")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def app_settings() -> Settings:
    no_env_file: dict[str, Any] = {"_env_file": None}
    return Settings(**no_env_file)


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def config(base_url: str, **overrides: Any) -> NuvionSettings:
    values: dict[str, Any] = {
        "base_url": base_url,
        "api_key": API_KEY,
        "account_id": ACCOUNT_ID,
        "_env_file": None,
    }
    values.update(overrides)
    return NuvionSettings(**values)


def adapter(
    base_url: str, sleeps: Sleeps | None = None, timeout: float | None = None, **overrides: Any
) -> NuvionProvider:
    return NuvionProvider(
        config(base_url, **overrides),
        retry=RetryPolicy(attempts=3, base_delay=0.01),
        sleep=sleeps or Sleeps(),
        clock=lambda: NOW,
        timeout=timeout,
    )


def issue(reference: str = "cb-0001", amount: int = 2500, **fields: Any) -> IssueRequest:
    values: dict[str, Any] = {
        "customer_id": "nvlocal_u1",
        "reference": reference,
        "brand": "visa",
        "initial": Money(amount),
        "cardholder": HOLDER,
    }
    values.update(fields)
    return IssueRequest(**values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeNuvion]:
    async with FakeNuvion() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def nv(fake: FakeNuvion, sleeps: Sleeps) -> AsyncIterator[NuvionProvider]:
    provider = adapter(fake.base_url, sleeps)
    yield provider
    await provider.aclose()


async def raises(code: str, awaitable: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await awaitable
    assert caught.value.code == code, caught.value
    return caught.value


# -- declaration and configuration ----------------------------------------------------------------


def test_capabilities_are_exactly_what_the_api_offers() -> None:
    assert NuvionProvider.info.name == "nuvion"
    assert NuvionProvider.info.capabilities == {
        Capability.ISSUE,
        Capability.INITIAL_AMOUNT,
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.LIMITS_AT_ISSUE,
        Capability.DISPOSABLE,
    }
    for absent in (
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.PRODUCTS,
        Capability.WALLET_PAY,
        Capability.AIRLINE_TOGGLE,
        Capability.DISPUTES,
        Capability.CHOOSE_BRAND,
        Capability.SIMULATE,
    ):
        assert absent not in NuvionProvider.info.capabilities


async def test_what_the_api_does_not_offer_is_refused_without_a_call(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    await raises("not-offered", nv.top_up("crd_x", Money(500), "cb-t"))
    await raises("not-offered", nv.withdraw("crd_x", Money(500), "cb-w"))
    await raises("not-offered", nv.set_limits("crd_x", Limits(daily=Money(100))))
    await raises("not-offered", nv.set_airline_payments("crd_x", True))
    await raises("not-offered", nv.open_dispute("crd_x", "txn_x", "not mine"))
    await raises("not-offered", nv.products())
    assert fake.calls == []


def test_settings_default_to_the_sandbox_and_pin_the_version() -> None:
    settings = config("https://api.nuvion.dev", api_key="nv_test_x")
    assert NuvionSettings.model_fields["base_url"].default == "https://api.nuvion.dev"
    assert settings.api_version == "2026-02-06"
    with pytest.raises(ValidationError):
        config("https://api.nuvion.dev", account_id=ACCOUNT_ID[:-1])  # 25 characters


async def test_the_registry_builds_it_from_the_environment(
    fake: FakeNuvion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDBOT_NUVION_BASE_URL", fake.base_url)
    monkeypatch.setenv("CARDBOT_NUVION_API_KEY", API_KEY)
    monkeypatch.setenv("CARDBOT_NUVION_ACCOUNT_ID", ACCOUNT_ID)
    provider = registry.create("nuvion", app_settings())
    assert isinstance(provider, NuvionProvider)
    try:
        card = await provider.issue_card(issue())
        assert (await provider.get_card(card.card_id)).status is CardStatus.ACTIVE
    finally:
        await provider.aclose()
    assert fake.calls[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_missing_credentials_say_which_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARDBOT_NUVION_API_KEY", raising=False)
    monkeypatch.setenv("CARDBOT_NUVION_ACCOUNT_ID", ACCOUNT_ID)
    with pytest.raises(SystemExit, match="CARDBOT_NUVION_API_KEY"):
        nuvion.create(app_settings())
    monkeypatch.setenv("CARDBOT_NUVION_API_KEY", API_KEY)
    monkeypatch.delenv("CARDBOT_NUVION_ACCOUNT_ID")
    with pytest.raises(SystemExit, match="CARDBOT_NUVION_ACCOUNT_ID"):
        nuvion.create(app_settings())


# -- authentication and version -------------------------------------------------------------------


async def test_every_call_carries_the_bearer_key_and_the_pinned_version(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue())
    await nv.get_card(card.card_id)
    await nv.freeze(card.card_id)
    await nv.transactions(card.card_id, 0, 5)
    await nv.find_card_by_reference("cb-0001")
    await nv.terminate(card.card_id)
    assert len(fake.calls) >= 6
    for call in fake.calls:
        assert call.headers["authorization"] == f"Bearer {API_KEY}"
        assert call.headers["x-api-version"] == "2026-02-06"
        assert not call.path.startswith("/v1")


async def test_a_wrong_key_is_an_auth_error_and_not_retried(fake: FakeNuvion) -> None:
    provider = adapter(fake.base_url, api_key="nv_test_wrong")
    try:
        error = await raises("provider-auth", provider.get_card("crd_x"))
    finally:
        await provider.aclose()
    assert error.definite
    assert "unauthorized" in error.detail
    assert len(fake.calls) == 1


async def test_a_read_only_key_cannot_issue(fake: FakeNuvion) -> None:
    provider = adapter(fake.base_url, api_key=READ_ONLY_KEY)
    try:
        error = await raises("provider-auth", provider.issue_card(issue()))
    finally:
        await provider.aclose()
    assert error.definite and "forbidden" in error.detail
    assert fake.cards == {}


# -- KYC ------------------------------------------------------------------------------------------


async def test_kyc_is_local_and_approved_without_calling_nuvion(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    application = KycApplication(
        "user-42", "Ada", "Okafor", NOW.date(), "NG", "+2348031234567", "12 Marina Road",
        "Lagos", "Lagos", "101001", "BVN", "22123456789", b"jpeg", b"jpeg",
    )  # fmt: skip
    result = await nv.submit_kyc(application)
    assert result.status is KycStatus.APPROVED
    assert result.customer_id == "nvlocal_user-42"
    assert "Okafor" not in result.customer_id
    assert (await nv.kyc_status(result.customer_id)).status is KycStatus.APPROVED
    await raises("provider-not-found", nv.kyc_status("cus_someone_else"))
    assert fake.calls == []


# -- issuing --------------------------------------------------------------------------------------


async def test_a_virtual_card_is_created_as_documented(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    before = fake.available
    card = await nv.issue_card(issue("cb-virtual", 2500))
    [call] = fake.calls
    assert (call.method, call.path) == ("POST", "/virtual-cards")
    assert call.headers["content-type"] == "application/json"
    assert call.headers["idempotency-key"] == "cb-virtual"
    assert call.body == {
        "account_id": ACCOUNT_ID,
        "card_name": "cardbot cb-virtual",
        "cardholder": {
            "first_name": "Ada",
            "last_name": "Okafor",
            "phone_number": "+2348031234567",
        },
        "currency": "USD",
        "amount": 2500,
        "metadata": {"reference": "cb-virtual", "customer": "nvlocal_u1", "amount": "2500"},
    }
    stored = fake.cards[card.card_id]
    assert card.status is CardStatus.ACTIVE
    assert card.last4 == stored.number[-4:]
    assert (
        card.masked_pan == f"{stored.number[:4]} {stored.number[4:6]}•• •••• {stored.number[-4:]}"
    )
    assert stored.number not in repr(card)
    assert card.brand == "visa"
    assert card.balance == Money(2500)
    assert not card.disposable
    assert fake.available == before - 2500


async def test_an_email_goes_along_when_the_cardholder_has_one(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    holder = Cardholder("Ada", "Okafor", "+2348031234567", "NG", email="ada@example.com")
    await nv.issue_card(issue(cardholder=holder))
    assert fake.calls[0].body["cardholder"]["email"] == "ada@example.com"


async def test_amounts_convert_to_integer_cents_and_back(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue(amount=12345))  # $123.45
    sent = fake.calls[0].body["amount"]
    assert sent == 12345 and type(sent) is int
    fake.charge(card.card_id, 2000)
    assert (await nv.get_card(card.card_id)).balance == Money(10345)
    assert to_api_amount(Money(10000)) == 10000  # 10000 = $100.00 (the docs' example)
    assert from_api_amount(495000) == Money(495000)
    for wrong in (123.45, True, "12.5", None):
        with pytest.raises(ProviderError):
            from_api_amount(wrong)
    await raises("provider-bad-request", nv.issue_card(issue(initial=Money(2500, "EUR"))))


async def test_limits_go_out_as_individual_controls_and_come_back(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    limits = Limits(
        daily=Money(50000),
        per_transaction=Money(20000),
        daily_count=10,
        cycle="weekly",
        cycle_count=20,
    )
    card = await nv.issue_card(issue(amount=500000, limits=limits))
    assert fake.calls[0].body["individual_controls"] == {
        "daily_amount_limit": 50000,
        "transaction_amount_limit": 20000,
        "daily_transaction_count": 10,
        "cycle_transaction_count": 20,
        "billing_cycle": "Weekly",
    }
    assert card.limits == limits
    assert (await nv.get_card(card.card_id)).limits == limits
    # one control alone; the cycle control the API echoes as 0 reads as "no limit"
    other = await nv.issue_card(issue("cb-other", limits=Limits(per_transaction=Money(1500))))
    assert fake.calls[-1].body["individual_controls"] == {"transaction_amount_limit": 1500}
    assert (await nv.get_card(other.card_id)).limits == Limits(per_transaction=Money(1500))
    # the controls hold at the card: a purchase over the per-transaction limit fails
    assert fake.charge(other.card_id, 2000)["status"] == "failed"


async def test_limits_the_api_would_refuse_are_refused_before_calling(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    await raises("provider-bad-request", nv.issue_card(issue(limits=Limits(daily=Money(0)))))
    await raises("provider-bad-request", nv.issue_card(issue(limits=Limits(daily_count=-1))))
    await raises(
        "provider-bad-request", nv.issue_card(issue(limits=Limits(cycle="yearly", cycle_count=3)))
    )
    assert fake.calls == []


async def test_a_disposable_card_is_single_use(fake: FakeNuvion, nv: NuvionProvider) -> None:
    card = await nv.issue_card(issue("cb-once", 4000, disposable=True))
    [call] = fake.calls
    assert call.path == "/disposable-cards"
    assert call.body["expiration_month"] == "11"  # the clock says November 2026; a year on
    assert call.body["expiration_year"] == "27"
    assert "individual_controls" not in call.body
    assert card.disposable and card.status is CardStatus.ACTIVE and card.limits is None
    assert card.balance == Money(4000)
    fresh = await nv.get_card(card.card_id)
    assert fresh.disposable and fresh.balance == Money(4000)
    fake.charge(card.card_id, 1500)  # the first successful charge blocks it for good
    used = await nv.get_card(card.card_id)
    assert used.status is CardStatus.TERMINATED
    assert used.balance == Money(0)
    await raises("provider-card-terminated", nv.unfreeze(card.card_id))
    await raises("provider-card-terminated", nv.reveal(card.card_id))


async def test_a_disposable_card_frozen_before_use_can_be_unfrozen(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue("cb-once", 4000, disposable=True))
    assert (await nv.freeze(card.card_id)).status is CardStatus.FROZEN
    assert (await nv.unfreeze(card.card_id)).status is CardStatus.ACTIVE


async def test_a_disposable_balance_survives_a_restart_through_metadata(fake: FakeNuvion) -> None:
    first = adapter(fake.base_url)
    card = await first.issue_card(issue("cb-once", 4000, disposable=True))
    await first.aclose()
    second = adapter(fake.base_url)  # a new process: nothing in memory
    try:
        assert (await second.get_card(card.card_id)).balance == Money(4000)
    finally:
        await second.aclose()


async def test_what_nuvion_cannot_issue_is_refused_before_calling(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    await raises(
        "provider-nuvion-disposable-no-limits",
        nv.issue_card(issue(disposable=True, limits=Limits(daily=Money(1000)))),
    )
    await raises("provider-nuvion-amount-required", nv.issue_card(issue(amount=0)))
    await raises("provider-nuvion-cardholder-required", nv.issue_card(issue(cardholder=None)))
    assert fake.calls == []


async def test_documented_issue_errors_map_to_clear_codes(fake: FakeNuvion) -> None:
    unknown_account = adapter(fake.base_url, account_id="01K747KD7QW8KQS2GRD8MQBT00")
    try:
        error = await raises(
            "provider-nuvion-account-not-found", unknown_account.issue_card(issue())
        )
    finally:
        await unknown_account.aclose()
    assert error.definite
    provider = adapter(fake.base_url)
    try:
        error = await raises(
            "provider-insufficient-funds", provider.issue_card(issue(amount=fake.available + 1))
        )
        assert error.definite
        invalid = Cardholder("Ada", "Okafor", "08031234567", "NG")  # not E.164
        error = await raises("provider-bad-request", provider.issue_card(issue(cardholder=invalid)))
        assert error.definite
        fake.kyc_complete = False
        error = await raises("provider-nuvion-kyc-incomplete", provider.issue_card(issue()))
        assert error.definite
    finally:
        await provider.aclose()
    assert fake.cards == {}


# -- unclear issuance: look it up, never issue twice ----------------------------------------------


async def test_a_rate_limited_issue_waits_retry_after_then_issues_once(
    fake: FakeNuvion, nv: NuvionProvider, sleeps: Sleeps
) -> None:
    fake.rate_limit_next(retry_after=7, method="POST", path="/virtual-cards")
    card = await nv.issue_card(issue())
    assert sleeps.waits == [7.0]
    assert len(fake.calls_to("POST", "/virtual-cards")) == 2
    assert list(fake.cards) == [card.card_id]


async def test_an_issue_rate_limited_throughout_is_a_definite_refusal(
    fake: FakeNuvion, nv: NuvionProvider, sleeps: Sleeps
) -> None:
    fake.rate_limit_next(retry_after=3, method="POST", times=3)
    error = await raises("provider-rate-limited", nv.issue_card(issue()))
    assert error.definite
    assert sleeps.waits == [3.0, 3.0]
    assert fake.cards == {}


@pytest.mark.parametrize("fault", ["500-after", "503-after", "drop"])
async def test_an_issue_that_landed_before_the_failure_is_found_not_repeated(
    fake: FakeNuvion, nv: NuvionProvider, fault: str
) -> None:
    if fault == "drop":
        fake.drop_after_applying_next(method="POST", path="/virtual-cards")
    else:
        fake.fail_next(int(fault[:3]), method="POST", path="/virtual-cards", after=True)
    card = await nv.issue_card(issue("cb-landed"))
    assert list(fake.cards) == [card.card_id]
    assert len(fake.calls_to("POST", "/virtual-cards")) == 1  # never posted twice
    assert card.balance == Money(2500) and card.status is CardStatus.ACTIVE
    assert fake.calls_to("GET", "/cards")  # it was looked up


async def test_a_timed_out_issue_is_looked_up(fake: FakeNuvion, sleeps: Sleeps) -> None:
    provider = adapter(fake.base_url, sleeps, timeout=0.2)
    fake.hang_after_applying_next(method="POST", path="/virtual-cards")
    try:
        card = await provider.issue_card(issue("cb-slow"))
    finally:
        await provider.aclose()
    assert list(fake.cards) == [card.card_id]
    assert len(fake.calls_to("POST", "/virtual-cards")) == 1


async def test_an_issue_that_did_not_land_stays_unclear_then_is_retried_once(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    fake.fail_next(500, method="POST", path="/virtual-cards")  # refused before applying
    error = await raises("provider-unavailable", nv.issue_card(issue("cb-retry")))
    assert not error.definite  # a 5xx after a write: the caller must not assume nothing happened
    assert fake.cards == {}
    assert await nv.find_card_by_reference("cb-retry") is None
    card = await nv.issue_card(issue("cb-retry"))  # the same reference: looked up, then posted
    assert list(fake.cards) == [card.card_id]
    assert len(fake.calls_to("POST", "/virtual-cards")) == 2
    lookups = [c for c in fake.calls if c.path == "/cards"]
    assert len(lookups) >= 3  # after the failure, by hand, and before posting again
    again = await nv.issue_card(issue("cb-retry-2"))
    assert again.card_id != card.card_id


async def test_when_the_lookup_fails_too_the_issue_stays_unclear(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    fake.fail_next(500, method="POST", path="/virtual-cards", after=True)
    fake.fail_next(503, method="GET", path="/cards", times=3)
    error = await raises("provider-unavailable", nv.issue_card(issue("cb-dark")))
    assert not error.definite
    fake.fail_next(503, method="GET", path="/cards", times=3)
    # a retry with the same reference must not post while the lookup cannot answer
    error = await raises("provider-unavailable", nv.issue_card(issue("cb-dark")))
    assert not error.definite
    assert len(fake.calls_to("POST", "/virtual-cards")) == 1
    found = await nv.issue_card(issue("cb-dark"))  # the lookup answers: the card that landed
    assert list(fake.cards) == [found.card_id]
    assert len(fake.calls_to("POST", "/virtual-cards")) == 1


async def test_find_by_reference_walks_the_cursor_pages(fake: FakeNuvion) -> None:
    first = adapter(fake.base_url)
    try:
        target = await first.issue_card(issue("cb-target"))
        for n in range(45):  # newer cards push it to the third page of 20
            await first.issue_card(issue(f"cb-filler-{n}", 100))
    finally:
        await first.aclose()
    fresh = adapter(fake.base_url)  # a new process looks it up
    try:
        found = await fresh.find_card_by_reference("cb-target")
        assert await fresh.find_card_by_reference("cb-never") is None
    finally:
        await fresh.aclose()
    assert found is not None and found.card_id == target.card_id
    assert found.last4 == target.last4 and found.balance == Money(2500)
    lists = [c for c in fake.calls if c.path == "/cards"]
    assert [c.query.get("next_cursor") is None for c in lists[:3]] == [True, False, False]
    assert all(c.query["limit"] == "20" and c.query["account_id"] == ACCOUNT_ID for c in lists)


async def test_a_deleted_card_is_not_found_by_reference(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue("cb-gone"))
    await nv.terminate(card.card_id)
    assert await nv.find_card_by_reference("cb-gone") is None


# -- reading a card -------------------------------------------------------------------------------


async def test_unknown_and_foreign_cards(fake: FakeNuvion, nv: NuvionProvider) -> None:
    await raises("provider-not-found", nv.get_card("crd_NOPE"))
    error = await raises("provider-forbidden", nv.get_card(fake.add_foreign_card()))
    assert error.definite
    await raises("provider-not-found", nv.freeze("crd_NOPE"))
    await raises("provider-not-found", nv.transactions("crd_NOPE", 0, 5))


async def test_reads_are_retried_on_5xx_and_429_honouring_retry_after(
    fake: FakeNuvion, nv: NuvionProvider, sleeps: Sleeps
) -> None:
    card = await nv.issue_card(issue())
    fake.fail_next(503, method="GET", path="/card-details")
    fake.rate_limit_next(retry_after=4, method="GET", path="/card-details")
    assert (await nv.get_card(card.card_id)).status is CardStatus.ACTIVE
    assert len(fake.calls_to("GET", "/card-details")) == 3
    assert len(sleeps.waits) == 2 and sleeps.waits[1] == 4.0
    assert 0 <= sleeps.waits[0] <= 0.01  # jittered backoff: no retry_after on the 503


async def test_reads_give_up_after_the_bounded_attempts(
    fake: FakeNuvion, nv: NuvionProvider, sleeps: Sleeps
) -> None:
    card = await nv.issue_card(issue())
    fake.fail_next(500, method="GET", path="/card-details", times=3)
    await raises("provider-unavailable", nv.get_card(card.card_id))
    assert len(fake.calls_to("GET", "/card-details")) == 3
    assert len(sleeps.waits) == 2


# -- freeze, unfreeze, terminate ------------------------------------------------------------------


async def test_freeze_and_unfreeze(fake: FakeNuvion, nv: NuvionProvider) -> None:
    card = await nv.issue_card(issue())
    frozen = await nv.freeze(card.card_id)
    call = fake.calls_to("PATCH", "/card-details")[-1]
    assert call.path == f"/card-details/{card.card_id}/freeze" and call.body is None
    assert frozen.status is CardStatus.FROZEN and fake.cards[card.card_id].status == "blocked"
    assert frozen.balance == Money(2500) and frozen.last4 == card.last4
    assert (await nv.freeze(card.card_id)).status is CardStatus.FROZEN  # again: harmless
    active = await nv.unfreeze(card.card_id)
    assert fake.calls_to("PATCH", "/card-details")[-1].path.endswith("/unfreeze")
    assert active.status is CardStatus.ACTIVE and fake.cards[card.card_id].status == "active"
    assert (await nv.unfreeze(card.card_id)).status is CardStatus.ACTIVE  # again: harmless


async def test_a_fraud_block_reads_as_frozen_and_cannot_be_lifted(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue())
    fake.flag_fraud(card.card_id)
    assert (await nv.get_card(card.card_id)).status is CardStatus.FROZEN
    await raises("provider-card-frozen", nv.unfreeze(card.card_id))


async def test_terminate_soft_deletes_and_blocked_plus_deleted_reads_terminated(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue())
    await nv.freeze(card.card_id)  # frozen is `blocked` too: only `deleted` tells them apart
    closed = await nv.terminate(card.card_id)
    assert fake.calls_to("DELETE", "/card-details")[-1].path == f"/card-details/{card.card_id}"
    assert closed.status is CardStatus.TERMINATED and closed.balance == Money(0)
    assert fake.cards[card.card_id].deleted is not None
    assert fake.cards[card.card_id].status == "blocked"
    assert (await nv.terminate(card.card_id)).status is CardStatus.TERMINATED  # again: harmless
    await raises("provider-card-terminated", nv.unfreeze(card.card_id))
    await raises("provider-card-terminated", nv.freeze(card.card_id))
    await raises("provider-card-terminated", nv.reveal(card.card_id))


async def test_a_terminate_whose_answer_was_lost_is_retried_safely(
    fake: FakeNuvion, nv: NuvionProvider
) -> None:
    card = await nv.issue_card(issue())
    fake.drop_after_applying_next(method="DELETE", path="/card-details")
    closed = await nv.terminate(card.card_id)
    assert closed.status is CardStatus.TERMINATED
    assert len(fake.calls_to("DELETE", "/card-details")) == 2  # the retry found it gone


# -- reveal ---------------------------------------------------------------------------------------


async def test_reveal_reads_card_details_and_keeps_the_pan_out_of_reprs_and_logs(
    fake: FakeNuvion, nv: NuvionProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.drop_after_applying_next(method="POST", path="/virtual-cards")  # logs a lookup line
    card = await nv.issue_card(issue())
    fake.fail_next(503, method="GET", path="/card-details")  # logs a retry line
    secrets = await nv.reveal(card.card_id)
    stored = fake.cards[card.card_id]
    assert (secrets.pan, secrets.cvv) == (stored.number, stored.cvv)
    assert (secrets.expiry_month, secrets.expiry_year) == (12, 2029)
    assert stored.number not in repr(secrets) and stored.cvv not in str(secrets)
    fake.fail_next(500, method="GET", path="/card-details", times=3)
    error = await raises("provider-unavailable", nv.reveal(card.card_id))
    assert stored.number not in str(error)
    output = capsys.readouterr()
    assert "nuvion.issue_resolved_by_lookup" in output.out + output.err  # logs were captured
    assert stored.number not in output.out + output.err
    assert stored.cvv not in re.findall(r"\b\d{3}\b", output.out + output.err)


async def test_reveal_of_a_frozen_card_still_works(fake: FakeNuvion, nv: NuvionProvider) -> None:
    card = await nv.issue_card(issue())
    await nv.freeze(card.card_id)
    assert (await nv.reveal(card.card_id)).pan == fake.cards[card.card_id].number


# -- statement: cursors behind 0-based pages ------------------------------------------------------


async def test_statement_pages_follow_the_cursors(fake: FakeNuvion, nv: NuvionProvider) -> None:
    card = await nv.issue_card(issue(amount=50000))
    for n in range(6):
        fake.charge(card.card_id, 1000 + n, merchant=f"Shop {n}")
    fake.refund(card.card_id, 1005, merchant="Shop 5")
    first = await nv.transactions(card.card_id, 0, 5)
    assert first.page == 0 and first.has_more
    assert [t.amount for t in first.items] == [Money(m) for m in (1005, 1005, 1004, 1003, 1002)]
    assert [t.kind for t in first.items] == ["refund"] + ["purchase"] * 4
    assert first.items[1].merchant == "Shop 5" and first.items[1].status == "approved"
    payment = fake.cards[card.card_id].payments[-1]
    assert first.items[0].created_at == datetime.fromtimestamp(payment["created"] / 1000, UTC)
    assert first.items[0].id == payment["id"]
    second = await nv.transactions(card.card_id, 1, 5)
    assert [t.amount for t in second.items] == [Money(1001), Money(1000)]
    assert not second.has_more
    calls = fake.calls_to("GET", "/card-transactions")
    assert calls[0].query == {"limit": "5"}
    assert calls[1].query["next_cursor"]  # the cursor the first page gave
    assert await nv.transactions(card.card_id, 7, 5) == type(second)([], has_more=False, page=7)


async def test_a_deep_page_walks_from_the_start_once_then_uses_the_known_cursor(
    fake: FakeNuvion,
) -> None:
    first = adapter(fake.base_url)
    card = await first.issue_card(issue(amount=50000))
    await first.aclose()
    for n in range(12):
        fake.charge(card.card_id, 100 + n)
    fresh = adapter(fake.base_url)
    try:
        third = await fresh.transactions(card.card_id, 2, 5)
        assert [t.amount.minor for t in third.items] == [101, 100]
        walked = len(fake.calls_to("GET", "/card-transactions"))
        second = await fresh.transactions(card.card_id, 1, 5)
        assert [t.amount.minor for t in second.items] == [106, 105, 104, 103, 102]
    finally:
        await fresh.aclose()
    assert walked == 3
    assert len(fake.calls_to("GET", "/card-transactions")) == 4


async def test_declined_payments_and_page_size_cap(fake: FakeNuvion, nv: NuvionProvider) -> None:
    card = await nv.issue_card(issue(amount=1000))
    fake.charge(card.card_id, 5000)  # more than the card holds: failed
    [declined] = (await nv.transactions(card.card_id, 0, 50)).items
    assert declined.status == "declined" and declined.decline_reason == "insufficient_funds"
    assert fake.calls_to("GET", "/card-transactions")[-1].query["limit"] == "20"


# -- envelopes and quirks the fake does not produce -----------------------------------------------


def mock(handler: Any) -> NuvionProvider:
    return NuvionProvider(
        config("https://api.nuvion.dev"),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, base_delay=0.0),
        sleep=Sleeps(),
    )


async def test_an_error_body_under_http_200_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"status": "400", "message": "Invalid card", "type": "error_cards_invalid"}
        return httpx.Response(200, json=body)

    provider = mock(handler)
    await raises("provider-bad-request", provider.get_card("crd_x"))
    await provider.aclose()


async def test_a_created_card_with_an_unreadable_answer_is_unclear_then_looked_up() -> None:
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posted.append(json.loads(request.content))
            return httpx.Response(200, text="<html>gateway</html>")
        if request.url.path == "/cards":
            return httpx.Response(200, json={"data": {"cards": [], "pagination": {}}})
        return httpx.Response(404, json={"status": "404", "message": "x", "type": "e"})

    provider = mock(handler)
    error = await raises("provider-bad-response", provider.issue_card(issue()))
    assert not error.definite and len(posted) == 1
    await provider.aclose()


async def test_the_generic_list_envelope_of_the_pagination_guide_is_read_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cards":
            item = {"id": "crd_1", "name": "cardbot cb-9", "status": "active", "created": 1}
            meta = {"pagination": {"has_next": False, "next_cursor": None}}
            return httpx.Response(200, json={"status": "success", "message": "ok",
                                             "data": {"data": [item], "meta": meta}})  # fmt: skip
        controls = {"amount_balance": 700}
        card = {"id": "crd_1", "status": "active", "type": "virtual", "number": "4111111111111111",
                "cvv": "123", "expiration_month": "01", "expiration_year": "30",
                "individual_controls": controls}  # fmt: skip
        return httpx.Response(200, json={"data": card})

    provider = mock(handler)
    found = await provider.find_card_by_reference("cb-9")
    await provider.aclose()
    assert found is not None and found.card_id == "crd_1" and found.balance == Money(700)


# -- the fake refuses what the real API refuses ---------------------------------------------------


async def test_the_fake_is_strict(fake: FakeNuvion) -> None:
    good = {
        "account_id": ACCOUNT_ID,
        "card_name": "x",
        "cardholder": {"first_name": "A", "last_name": "B", "phone_number": "+12125550198"},
        "currency": "USD",
        "amount": 2500,
    }
    headers = {"Authorization": f"Bearer {API_KEY}", "X-API-Version": "2026-02-06"}
    async with httpx.AsyncClient(base_url=fake.base_url) as client:

        async def post(body: Any, path: str = "/virtual-cards", **extra: str) -> httpx.Response:
            return await client.post(path, json=body, headers={**headers, **extra})

        assert (await post(good)).status_code == 200
        for wrong in (
            {**good, "amount": 25.0},  # dollars as a float
            {**good, "amount": "2500"},  # a string
            {**good, "cardName": "x"},  # a wrong field name
            {**good, "account_id": ACCOUNT_ID[:-1]},
            {k: v for k, v in good.items() if k != "cardholder"},
            {**good, "individual_controls": {"daily_amount_limit": 500.5}},
            {**good, "metadata": {"n": 1}},
        ):
            response = await post(wrong)
            assert response.status_code == 400, wrong
            assert response.json()["status"] == "400" and response.json()["validations"]
        disposable = {**good, "expiration_month": "7", "expiration_year": "2027"}
        assert (await post(disposable, "/disposable-cards")).status_code == 400
        no_auth = await client.get("/cards", headers={"X-API-Version": "2026-02-06"})
        assert no_auth.status_code == 401 and no_auth.json()["error"]["code"] == "unauthorized"
        unpinned = await client.get("/cards", headers={"Authorization": f"Bearer {API_KEY}"})
        assert unpinned.status_code == 400
        too_many = await client.get("/cards", params={"limit": 101}, headers=headers)
        assert too_many.status_code == 400
        card_id = next(iter(fake.cards))
        txn = await client.get(
            f"/card-transactions/{card_id}", params={"limit": 21}, headers=headers
        )
        assert txn.status_code == 400
        cursor = await client.get("/cards", params={"next_cursor": "bogus"}, headers=headers)
        assert cursor.status_code == 400
        fake.rate_limit_next()
        limited = (await client.get("/cards", headers=headers)).json()
        assert {"retry_after", "limit_type", "current_count", "limit"} <= set(limited)
        moved = await client.patch(
            f"/cards/{card_id}/account", json={"account_id": ACCOUNT_ID}, headers=headers
        )
        assert moved.status_code == 409


# -- catalogue ------------------------------------------------------------------------------------


def test_every_nuvion_code_has_a_short_text_in_the_catalogue() -> None:
    source = Path(nuvion.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'"(provider-nuvion-[a-z-]+)"', source))
    assert codes >= {
        "provider-nuvion-account-not-found",
        "provider-nuvion-kyc-incomplete",
        "provider-nuvion-amount-required",
        "provider-nuvion-cardholder-required",
        "provider-nuvion-disposable-no-limits",
    }
    texts = Texts.load()
    for code in codes:
        assert texts.has(code), code
        text = texts.get("en", code)
        assert text[0].islower() and len(text) < 140, code


ERROR_TYPES = (
    "error_cards_x",
    "error_accounts_not_found",
    "error_cards_deleted",
    "error_accounts_insufficient_funds",
    "error_entities_kyc_incomplete",
)


def test_every_code_an_api_error_maps_to_has_a_text() -> None:
    texts = Texts.load()
    seen = set()
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 503):
        for error_type in ERROR_TYPES:
            seen.add(nuvion.error_code(status, error_type, ""))
    assert {"provider-rate-limited", "provider-unavailable", "provider-forbidden"} <= seen
    for code in seen:
        assert texts.has(code), code
