"""Contract tests: the cardprogram adapter (EgaCard, seed 003) against the strict local fake."""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator, Awaitable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from handlers.texts import LOCALES, Texts
from services.money import Money
from services.providers import cardprogram as cp
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
from services.providers.cardprogram import CardProgramProvider, from_api_amount, to_api_amount
from services.providers.http import RetryPolicy
from services.settings import Settings
from tests.fakes.cardprogram import EMAIL, PASSWORD, WALLET_ID, FakeCardProgram

IDEMPOTENCY = "x-egacard-idempotency-key"
# One TLS context for every client in this module: building one per client (certificate loading)
# costs more than the calls under test. The fake is plain HTTP on 127.0.0.1 anyway.
TLS = ssl.create_default_context()


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def fake(fake_options: dict[str, Any]) -> AsyncIterator[FakeCardProgram]:
    server = FakeCardProgram(**fake_options)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make(fake: FakeCardProgram, sleeps: Sleeps) -> AsyncIterator[Any]:
    made: list[CardProgramProvider] = []

    def build(**overrides: Any) -> CardProgramProvider:
        options: dict[str, Any] = {
            "email": EMAIL,
            "password": PASSWORD,
            "retry": RetryPolicy(attempts=3, base_delay=0.01),
            "sleep": sleeps,
            "timeout": 5.0,
            "transport": httpx.AsyncHTTPTransport(verify=TLS),
        }
        options.update(overrides)
        provider = CardProgramProvider(fake.url, **options)
        made.append(provider)
        return provider

    yield build
    for provider in made:
        await provider.aclose()


@pytest.fixture
def provider(make: Any) -> CardProgramProvider:
    built: CardProgramProvider = make()
    return built


def request(reference: str = "cb-1", brand: str = "visa", **extra: Any) -> IssueRequest:
    return IssueRequest(
        customer_id="u-1", reference=reference, brand=brand, initial=Money(0), **extra
    )


async def active_card(
    provider: CardProgramProvider, fake: FakeCardProgram, funded: int = 0, ref: str = "cb-card"
) -> ProviderCard:
    card = await provider.issue_card(request(ref))
    fake.set_status(card.card_id, "active")
    if funded:
        card = await provider.top_up(card.card_id, Money(funded), f"{ref}-fund")
    return card


async def refused(awaitable: Awaitable[Any]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await awaitable
    return caught.value


# -- capabilities and configuration ------------------------------------------------------------
def test_capabilities_declare_only_what_the_api_offers() -> None:
    caps = CardProgramProvider.info.capabilities
    assert CardProgramProvider.info.name == "cardprogram"
    assert caps == {
        Capability.ISSUE,
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.STATEMENT,
        Capability.SIMULATE,
        Capability.PRODUCTS,
        Capability.DISPUTES,
    }
    for absent in (
        Capability.REVEAL,
        Capability.LIMITS,
        Capability.AIRLINE_TOGGLE,
        Capability.DISPOSABLE,
        Capability.WALLET_PAY,
        Capability.INITIAL_AMOUNT,
        Capability.CHOOSE_BRAND,
    ):
        assert absent not in caps


async def test_operations_not_offered_raise_not_offered_without_calling_the_api(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    attempts: list[Awaitable[Any]] = [
        provider.reveal("MC1"),
        provider.set_limits("MC1", Limits(daily=Money(5000))),
        provider.set_airline_payments("MC1", False),
        provider.issue_card(
            IssueRequest(customer_id="u", reference="r", brand="visa", initial=Money(500))
        ),
        provider.issue_card(request(disposable=True)),
        provider.issue_card(request(wallet="apple_pay")),
    ]
    for attempt in attempts:
        error = await refused(attempt)
        assert error.code == "not-offered"
        assert error.definite
    assert fake.calls == []


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASE_URL", "API_KEY", "REFRESH_TOKEN", "EMAIL", "PASSWORD", "WALLET_ID"):
        monkeypatch.delenv(f"CARDBOT_CARDPROGRAM_{name}", raising=False)


def test_create_refuses_to_start_without_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_EMAIL", EMAIL)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_PASSWORD", PASSWORD)
    with pytest.raises(SystemExit) as caught:
        cp.create(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "CARDBOT_CARDPROGRAM_BASE_URL" in str(caught.value)


def test_create_refuses_to_start_without_a_way_to_sign_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_EMAIL", EMAIL)  # no password
    with pytest.raises(SystemExit) as caught:
        cp.create(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "CARDBOT_CARDPROGRAM_API_KEY" in str(caught.value)
    assert "CARDBOT_CARDPROGRAM_PASSWORD" in str(caught.value)


async def test_create_from_the_environment_signs_in_with_the_credentials(
    monkeypatch: pytest.MonkeyPatch, fake: FakeCardProgram
) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_BASE_URL", fake.url + "/")
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_EMAIL", EMAIL)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_PASSWORD", PASSWORD)
    provider = cp.create(Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        assert [p.code for p in await provider.products()] == ["EGA-USD-VISA", "EGA-USD-MC"]
    finally:
        await provider.aclose()
    login = fake.posts("/api/v1/token/")
    assert len(login) == 1
    assert login[0].body == {"email": EMAIL, "password": PASSWORD}
    assert PASSWORD not in repr(provider)


async def test_a_preissued_jwt_is_used_as_is_without_signing_in(
    monkeypatch: pytest.MonkeyPatch, fake: FakeCardProgram
) -> None:
    access, _refresh = fake.issue_tokens()
    _clear_env(monkeypatch)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_BASE_URL", fake.url)
    monkeypatch.setenv("CARDBOT_CARDPROGRAM_API_KEY", access)
    provider = cp.create(Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        await provider.products()
    finally:
        await provider.aclose()
    assert [c.path for c in fake.calls] == ["/cards/api/v1/programs/"]
    assert fake.calls[0].headers["authorization"] == f"Bearer {access}"


# -- authentication ----------------------------------------------------------------------------
async def test_card_calls_carry_the_user_jwt_json_content_type_and_trailing_slashes(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=1000)
    await provider.freeze(card.card_id)
    await provider.transactions(card.card_id, 0, 5)
    calls = fake.card_calls()
    assert len(calls) >= 6
    for call in calls:
        scheme, _, token = call.headers["authorization"].partition(" ")
        assert scheme == "Bearer"
        assert token in fake.access_tokens
        assert call.headers["content-type"].startswith("application/json")
        assert call.path.endswith("/")
        assert call.status < 300, (call.path, call.status)


async def test_an_expired_access_token_is_rotated_with_the_refresh_token(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await provider.issue_card(request())
    first_refresh = next(iter(fake.refresh_tokens))
    fake.expire_access_tokens()
    assert (await provider.get_card(card.card_id)).card_id == card.card_id
    refreshes = fake.posts("/api/v1/token/refresh/")
    assert [c.body for c in refreshes] == [{"refresh": first_refresh}]
    assert first_refresh not in fake.refresh_tokens  # rotated, the old one is spent
    assert len([c for c in fake.calls if c.path == "/api/v1/token/"]) == 1
    fake.expire_access_tokens()  # the rotated refresh token works next time too
    await provider.get_card(card.card_id)
    assert len(fake.posts("/api/v1/token/refresh/")) == 2


async def test_a_refused_refresh_falls_back_to_signing_in_again(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    await provider.products()
    fake.expire_access_tokens()
    fake.refresh_tokens.clear()
    assert len(await provider.products()) == 2
    assert len([c for c in fake.calls if c.path == "/api/v1/token/"]) == 2


async def test_a_write_refused_at_the_door_is_sent_again_once_after_renewal(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.expire_tokens_at_next(path="/fund/")
    updated = await provider.top_up(card.card_id, Money(700), "cb-t")
    assert updated.balance == Money(700)
    assert [c.status for c in fake.posts("/fund/")] == [401, 201]
    assert len(fake.posts("/api/v1/token/refresh/")) == 1
    assert fake.cards[card.card_id].balance == Decimal("7.00")


async def test_wrong_credentials_are_a_definite_auth_error_that_never_shows_the_password(
    make: Any, fake: FakeCardProgram
) -> None:
    provider = make(password="not-it")
    error = await refused(provider.products())
    assert error.code == "provider-auth"
    assert error.definite
    assert "not-it" not in str(error) and "not-it" not in repr(error)
    assert fake.card_calls() == []


async def test_a_refused_preissued_jwt_without_credentials_is_an_auth_error(
    make: Any, fake: FakeCardProgram
) -> None:
    provider = make(email=None, password=None, access_token="eyJ.bogus")
    error = await refused(provider.products())
    assert error.code == "provider-auth"
    assert len(fake.gets("/programs/")) == 1  # tried once; nothing to renew with


async def test_the_fake_refuses_a_missing_or_malformed_authorization(
    fake: FakeCardProgram,
) -> None:
    access, _ = fake.issue_tokens()
    async with httpx.AsyncClient(base_url=fake.url) as client:
        missing = await client.get("/cards/api/v1/programs/")
        wrong_scheme = await client.get(
            "/cards/api/v1/programs/", headers={"Authorization": f"JWT {access}"}
        )
        good = await client.get(
            "/cards/api/v1/programs/", headers={"Authorization": f"Bearer {access}"}
        )
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert wrong_scheme.status_code == 401
    assert wrong_scheme.json()["code"] == "token_not_valid"
    assert good.status_code == 200


# -- programs ----------------------------------------------------------------------------------
async def test_products_are_the_usd_programs_the_api_lists(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    products = await provider.products()
    assert [(p.code, p.name, p.brand) for p in products] == [
        ("EGA-USD-VISA", "USD Virtual Visa", "visa"),
        ("EGA-USD-MC", "USD Virtual Mastercard", "mastercard"),
    ]  # the NGN program is not offered in a USD bot
    fake.programs.append(
        {
            "code": "EGA-USD-TRAVEL",
            "name": "Travel Visa",
            "network": "visa",
            "currency": "USD",
            "status": "active",
        }
    )
    assert "EGA-USD-TRAVEL" in [p.code for p in await provider.products()]


async def test_reads_are_retried_on_5xx_and_429_honouring_retry_after(
    provider: CardProgramProvider, fake: FakeCardProgram, sleeps: Sleeps
) -> None:
    await provider.products()  # signed in
    fake.fail_next(500, path="/programs/")
    fake.fail_next(429, path="/programs/", retry_after=7)
    assert len(await provider.products()) == 2
    statuses = [c.status for c in fake.gets("/programs/")]
    assert statuses == [200, 500, 429, 200]
    assert len(sleeps.waits) == 2
    assert sleeps.waits[1] == 7.0


async def test_reads_give_up_after_the_bounded_attempts(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    await provider.products()
    fake.fail_next(503, path="/programs/", times=3)
    error = await refused(provider.products())
    assert error.code == "provider-unavailable"
    assert error.definite  # a read changed nothing
    assert len(fake.gets("/programs/")) == 4


# -- issuing -----------------------------------------------------------------------------------
async def test_issue_sends_the_program_and_our_reference_and_returns_a_pending_card(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await provider.issue_card(request("cb-issue-1"))
    (create,) = fake.posts("/managed-cards/")
    assert create.path == "/cards/api/v1/managed-cards/"
    assert create.body == {
        "program": "EGA-USD-VISA",
        "currency": "USD",
        "metadata": {"cardbot_reference": "cb-issue-1"},
    }
    assert create.headers[IDEMPOTENCY] == "cb-issue-1"
    stored = fake.cards[card.card_id]
    assert card.status is CardStatus.PENDING
    assert card.balance == Money(0)
    assert card.brand == "visa"
    assert card.last4 == stored.last4
    assert card.masked_pan == f"4000 00•• •••• {stored.last4}"
    assert (await provider.get_card(card.card_id)).status is CardStatus.ACTIVE


def test_the_masked_number_never_shows_more_than_the_bin_and_last_four() -> None:
    assert cp._masked("400000******1234", "1234") == "4000 00•• •••• 1234"
    assert cp._masked("4000001234561234", "1234") == "•••• 1234"  # unmasked: not repeated
    assert cp._masked("", "1234") == "•••• 1234"


async def test_issue_picks_the_program_by_brand_or_by_product(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    mastercard = await provider.issue_card(request("cb-mc", brand="mastercard"))
    assert fake.cards[mastercard.card_id].program == "EGA-USD-MC"
    assert mastercard.brand == "mastercard"
    chosen = await provider.issue_card(request("cb-p", brand="mastercard", product="EGA-USD-VISA"))
    assert fake.cards[chosen.card_id].program == "EGA-USD-VISA"
    error = await refused(provider.issue_card(request("cb-amex", brand="amex")))
    assert error.code == "provider-cardprogram-program-unavailable"
    assert error.definite
    assert len(fake.posts("/managed-cards/")) == 2


async def test_issue_links_the_configured_wallet(make: Any, fake: FakeCardProgram) -> None:
    provider = make(wallet_id=WALLET_ID)
    await provider.issue_card(request())
    assert fake.posts("/managed-cards/")[0].body["wallet"] == WALLET_ID


async def test_issue_again_with_the_same_reference_returns_the_same_card(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    first = await provider.issue_card(request("cb-same"))
    again = await provider.issue_card(request("cb-same"))
    assert again.card_id == first.card_id
    assert len(fake.cards) == 1
    assert len(fake.posts("/managed-cards/")) == 1


async def test_issue_answer_lost_after_the_card_was_made_finds_it_instead_of_issuing_twice(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.drop_next(path="/managed-cards/", method="POST")
    card = await provider.issue_card(request("cb-drop"))
    assert list(fake.cards) == [card.card_id]
    assert len(fake.posts("/managed-cards/")) == 1
    assert (await provider.issue_card(request("cb-drop"))).card_id == card.card_id
    assert len(fake.cards) == 1


async def test_issue_read_timeout_after_the_card_was_made_finds_it(
    make: Any, fake: FakeCardProgram
) -> None:
    provider = make(timeout=0.2)
    fake.hang_next(path="/managed-cards/", method="POST")
    card = await provider.issue_card(request("cb-hang"))
    assert list(fake.cards) == [card.card_id]
    assert len(fake.posts("/managed-cards/")) == 1


async def test_issue_server_error_after_the_card_was_made_finds_it(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.fail_next(502, path="/managed-cards/", method="POST", apply=True)
    card = await provider.issue_card(request("cb-502"))
    assert list(fake.cards) == [card.card_id]


async def test_an_unreadable_success_is_looked_up_not_taken_for_a_refusal(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.fail_next(201, path="/managed-cards/", method="POST", apply=True)  # 201, HTML body
    card = await provider.issue_card(request("cb-garbled"))
    assert list(fake.cards) == [card.card_id]
    fake.set_status(card.card_id, "active")
    fake.fail_next(201, path="/fund/", apply=True)
    assert (await provider.top_up(card.card_id, Money(300), "cb-g")).balance == Money(300)
    assert len(fake.posts("/fund/")) == 1


async def test_issue_server_error_before_the_card_was_made_stays_unclear_then_issues_once(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.fail_next(500, path="/managed-cards/", method="POST")
    error = await refused(provider.issue_card(request("cb-500")))
    assert error.code == "provider-unavailable"
    assert not error.definite  # a 5xx after a write: it may have acted, so it is looked up
    assert fake.cards == {}
    assert len(fake.posts("/managed-cards/")) == 1  # a write is never retried blindly
    card = await provider.issue_card(request("cb-500"))
    assert list(fake.cards) == [card.card_id]


async def test_a_repeated_idempotency_key_without_a_card_stays_unclear(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.idempotency_keys.add("cb-burnt")
    error = await refused(provider.issue_card(request("cb-burnt")))
    assert not error.definite
    assert fake.cards == {}


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("verified", "provider-cardprogram-unverified"),
        ("country_active", "provider-cardprogram-country"),
    ],
)
async def test_issue_refused_for_the_account_is_definite(
    provider: CardProgramProvider, fake: FakeCardProgram, flag: str, code: str
) -> None:
    setattr(fake, flag, False)
    error = await refused(provider.issue_card(request()))
    assert error.code == code
    assert error.definite
    assert fake.cards == {}


async def test_a_failed_issuance_is_a_definite_refusal(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.fail_issuance = True
    error = await refused(provider.issue_card(request("cb-fail")))
    assert error.code == "provider-cardprogram-issue-failed"
    assert error.definite
    found = await provider.find_card_by_reference("cb-fail")
    assert found is not None and found.status is CardStatus.TERMINATED


async def test_find_card_by_reference_walks_the_pages(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    target = fake.add_card(metadata={"cardbot_reference": "cb-old"})
    for _ in range(230):
        fake.add_card()
    found = await provider.find_card_by_reference("cb-old")
    assert found is not None and found.card_id == target
    pages = [(c.query["page"], c.query["page_size"]) for c in fake.gets("/managed-cards/")]
    assert pages == [("1", "100"), ("2", "100"), ("3", "100")]
    assert await provider.find_card_by_reference("cb-never") is None
    assert len(fake.gets("/managed-cards/")) == 6


# -- money -------------------------------------------------------------------------------------
def test_amounts_convert_to_dollar_strings_and_back_to_cents() -> None:
    assert to_api_amount(Money(1)) == "0.01"
    assert to_api_amount(Money(2599)) == "25.99"
    assert to_api_amount(Money(100_000)) == "1000.00"
    assert from_api_amount("25.99") == Money(2599)
    assert from_api_amount("0.10") == Money(10)
    assert from_api_amount(25.5) == Money(2550)
    assert from_api_amount(7) == Money(700)
    for bad in ("0.001", "abc", True, None, "NaN"):
        with pytest.raises(ProviderError) as caught:
            from_api_amount(bad)
        assert caught.value.code == "provider-bad-response"
    with pytest.raises(ProviderError):
        to_api_amount(Money(100, "EUR"))
    with pytest.raises(ProviderError):
        to_api_amount(Money(0))


async def test_top_up_sends_dollars_as_a_decimal_string_and_reads_the_balance_back(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    updated = await provider.top_up(card.card_id, Money(2599), "cb-top-1")
    (fund,) = fake.posts("/fund/")
    assert fund.path == f"/cards/api/v1/managed-cards/{card.card_id}/fund/"
    assert fund.body == {"amount": "25.99", "currency": "USD", "client_reference": "cb-top-1"}
    assert fund.headers[IDEMPOTENCY] == "cb-top-1"
    assert updated.balance == Money(2599)
    assert fake.cards[card.card_id].balance == Decimal("25.99")
    assert fake.wallet == Decimal("974.01")


async def test_the_fake_refuses_cents_integers_sub_cents_and_unknown_fields(
    fake: FakeCardProgram,
) -> None:
    access, _ = fake.issue_tokens()
    ref = fake.add_card()
    path = f"/cards/api/v1/managed-cards/{ref}/fund/"
    auth = {"Authorization": f"Bearer {access}"}
    async with httpx.AsyncClient(base_url=fake.url, headers=auth) as client:
        cents = await client.post(path, json={"amount": 2599, "currency": "USD"})
        sub_cent = await client.post(path, json={"amount": "25.999", "currency": "USD"})
        renamed = await client.post(path, json={"amount_usd": "25.00", "currency": "USD"})
        no_currency = await client.post(path, json={"amount": "25.00"})
        as_form = await client.post(path, data={"amount": "25.00", "currency": "USD"})
        no_slash = await client.post(path.rstrip("/"), json={"amount": "1.00", "currency": "USD"})
    assert cents.status_code == 400 and "amount" in cents.json()
    assert sub_cent.json() == {"amount": ["Ensure that there are no more than 2 decimal places."]}
    assert renamed.status_code == 400 and renamed.json()["amount_usd"] == ["Unknown field."]
    assert no_currency.json() == {"currency": ["This field is required."]}
    assert as_form.status_code == 415
    assert no_slash.status_code == 301
    assert fake.cards[ref].balance == Decimal("0")


async def test_top_up_again_with_the_same_reference_moves_money_once(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    await provider.top_up(card.card_id, Money(1000), "cb-twice")
    again = await provider.top_up(card.card_id, Money(1000), "cb-twice")
    assert again.balance == Money(1000)
    assert len(fake.posts("/fund/")) == 1
    assert fake.cards[card.card_id].balance == Decimal("10.00")


@pytest.mark.parametrize(
    "fake_options", [{"honour_idempotency": True}, {"honour_idempotency": False}]
)
async def test_top_up_answer_lost_after_the_money_moved_is_found_not_sent_again(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.drop_next(path="/fund/")
    updated = await provider.top_up(card.card_id, Money(2500), "cb-lost")
    assert updated.balance == Money(2500)
    again = await provider.top_up(card.card_id, Money(2500), "cb-lost")
    assert again.balance == Money(2500)
    assert len(fake.posts("/fund/")) == 1
    assert fake.cards[card.card_id].balance == Decimal("25.00")
    assert fake.wallet == Decimal("975.00")


async def test_top_up_read_timeout_after_the_money_moved_is_found(
    make: Any, fake: FakeCardProgram
) -> None:
    provider = make(timeout=0.2)
    card = await active_card(provider, fake)
    fake.hang_next(path="/fund/")
    updated = await provider.top_up(card.card_id, Money(1500), "cb-slow")
    assert updated.balance == Money(1500)
    assert len(fake.posts("/fund/")) == 1


async def test_top_up_server_error_before_the_money_moved_stays_unclear_then_moves_once(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.fail_next(500, path="/fund/")
    error = await refused(provider.top_up(card.card_id, Money(1200), "cb-500"))
    assert error.code == "provider-unavailable"
    assert not error.definite
    assert fake.cards[card.card_id].balance == Decimal("0")
    updated = await provider.top_up(card.card_id, Money(1200), "cb-500")
    again = await provider.top_up(card.card_id, Money(1200), "cb-500")
    assert updated.balance == again.balance == Money(1200)
    assert len(fake.posts("/fund/")) == 2
    assert fake.cards[card.card_id].balance == Decimal("12.00")


async def test_a_write_is_not_retried_on_429(
    provider: CardProgramProvider, fake: FakeCardProgram, sleeps: Sleeps
) -> None:
    card = await active_card(provider, fake)
    fake.fail_next(429, path="/fund/", retry_after=3)
    error = await refused(provider.top_up(card.card_id, Money(100), "cb-429"))
    assert error.code == "provider-rate-limited"
    assert error.definite
    assert len(fake.posts("/fund/")) == 1
    assert sleeps.waits == []


async def test_funding_beyond_the_program_wallet_is_its_own_error(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.wallet = Decimal("10.00")
    error = await refused(provider.top_up(card.card_id, Money(1001), "cb-short"))
    assert error.code == "provider-cardprogram-wallet-insufficient"
    assert error.definite
    assert fake.cards[card.card_id].balance == Decimal("0")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("frozen", "provider-card-frozen"),
        ("pending", "provider-card-pending"),
        ("under_review", "provider-cardprogram-under-review"),
        ("blocked", "provider-cardprogram-blocked"),
        ("expired", "provider-cardprogram-expired"),
        ("terminated", "provider-card-terminated"),
    ],
)
async def test_funding_refused_by_the_card_state(
    provider: CardProgramProvider, fake: FakeCardProgram, status: str, code: str
) -> None:
    ref = fake.add_card(status=status)
    error = await refused(provider.top_up(ref, Money(500), f"cb-{status}"))
    assert error.code == code
    assert error.definite


async def test_funding_over_the_card_cap_is_a_limit(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    fake.wallet = Decimal("20000.00")
    card = await active_card(provider, fake)
    error = await refused(provider.top_up(card.card_id, Money(1_000_001), "cb-cap"))
    assert error.code == "provider-limit"


async def test_an_unknown_card_is_not_found(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    assert (await refused(provider.get_card("MCNOPE"))).code == "provider-not-found"
    error = await refused(provider.top_up("MCNOPE", Money(500), "cb-nope"))
    assert error.code == "provider-not-found"
    assert error.definite
    assert (await refused(provider.get_card("../token"))).code == "provider-not-found"


async def test_withdraw_moves_card_balance_back_to_the_wallet(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=5000)
    updated = await provider.withdraw(card.card_id, Money(1234), "cb-wd")
    (call,) = fake.posts("/withdraw/")
    assert call.path == f"/cards/api/v1/managed-cards/{card.card_id}/withdraw/"
    assert call.body == {"amount": "12.34", "currency": "USD", "client_reference": "cb-wd"}
    assert call.headers[IDEMPOTENCY] == "cb-wd"
    assert updated.balance == Money(3766)
    assert fake.wallet == Decimal("962.34")
    error = await refused(provider.withdraw(card.card_id, Money(3767), "cb-wd-2"))
    assert error.code == "provider-insufficient-funds"  # the card's balance, not the wallet


async def test_withdraw_answer_lost_is_found_not_sent_again(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=5000)
    fake.drop_next(path="/withdraw/")
    updated = await provider.withdraw(card.card_id, Money(2000), "cb-wd-lost")
    again = await provider.withdraw(card.card_id, Money(2000), "cb-wd-lost")
    assert updated.balance == again.balance == Money(3000)
    assert len(fake.posts("/withdraw/")) == 1


# -- find_movement: the card's transactions by our reference ------------------------------------
def _statement_line(fake: FakeCardProgram, card_id: str, reference: str) -> dict[str, Any]:
    [line] = [t for t in fake.transactions[card_id] if t["client_reference"] == reference]
    return line


async def test_find_movement_finds_lost_answers_by_reference_even_after_a_restart(
    provider: CardProgramProvider, fake: FakeCardProgram, make: Any
) -> None:
    card = await active_card(provider, fake)
    fake.drop_next(path="/fund/")
    await provider.top_up(card.card_id, Money(2500), "cb-lost")
    fake.fail_next(500, path="/withdraw/", apply=True)  # carried out, then a 5xx page
    await provider.withdraw(card.card_id, Money(500), "cb-wd-lost")
    restarted = make()  # nothing in memory: the reference is on the statement
    assert await restarted.find_movement(card.card_id, "cb-lost") is True
    assert await restarted.find_movement(card.card_id, "cb-wd-lost") is True
    assert len(fake.posts("/fund/")) == len(fake.posts("/withdraw/")) == 1


async def test_find_movement_says_no_for_a_reference_the_program_never_took(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.fail_next(500, path="/fund/")  # refused before the money moved
    error = await refused(provider.top_up(card.card_id, Money(1200), "cb-500"))
    assert not error.definite
    assert await provider.find_movement(card.card_id, "cb-500") is False
    assert await provider.find_movement(card.card_id, "cb-never") is False
    await provider.top_up(card.card_id, Money(1200), "cb-500")  # sent again, as told
    assert await provider.find_movement(card.card_id, "cb-500") is True
    assert fake.cards[card.card_id].balance == Decimal("12.00")


async def test_find_movement_waits_for_one_in_flight_and_says_no_to_a_declined_one(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    await provider.top_up(card.card_id, Money(1000), "cb-slow")
    line = _statement_line(fake, card.card_id, "cb-slow")
    line["status"] = "pending"  # taken by the program, not applied yet
    assert await provider.find_movement(card.card_id, "cb-slow") is None
    await provider.top_up(card.card_id, Money(1000), "cb-slow")  # and never sent twice
    assert len(fake.posts("/fund/")) == 1
    line["status"] = "declined"
    assert await provider.find_movement(card.card_id, "cb-slow") is False
    line["status"] = "successful"
    assert await provider.find_movement(card.card_id, "cb-slow") is True


async def test_find_movement_cannot_tell_past_the_pages_it_walks(
    provider: CardProgramProvider, fake: FakeCardProgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await active_card(provider, fake)
    await provider.top_up(card.card_id, Money(1000), "cb-old")
    for n in range(4):
        await provider.top_up(card.card_id, Money(100), f"cb-new-{n}")
    monkeypatch.setattr(cp, "LOOKUP_PAGE_SIZE", 2)
    monkeypatch.setattr(cp, "LOOKUP_MAX_PAGES", 2)  # the newest 4 of 5 lines
    assert await provider.find_movement(card.card_id, "cb-old") is None
    assert await provider.find_movement(card.card_id, "cb-never") is None
    monkeypatch.setattr(cp, "LOOKUP_MAX_PAGES", 3)  # the whole statement
    assert await provider.find_movement(card.card_id, "cb-old") is True
    assert await provider.find_movement(card.card_id, "cb-never") is False


# -- card state --------------------------------------------------------------------------------
async def test_freeze_unfreeze_and_terminate_follow_the_lifecycle(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=3000)
    assert (await provider.freeze(card.card_id)).status is CardStatus.FROZEN
    assert fake.posts("/freeze/")[0].body == {}
    assert (await provider.unfreeze(card.card_id)).status is CardStatus.ACTIVE
    closed = await provider.terminate(card.card_id)
    assert closed.status is CardStatus.TERMINATED
    assert closed.balance == Money(0)
    assert fake.wallet == Decimal("1000.00")  # the balance went back to the wallet


async def test_a_change_already_made_is_reported_done(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    await provider.freeze(card.card_id)
    assert (await provider.freeze(card.card_id)).status is CardStatus.FROZEN
    await provider.terminate(card.card_id)
    assert (await provider.terminate(card.card_id)).status is CardStatus.TERMINATED
    assert [c.status for c in fake.posts("/terminate/")] == [200, 400]


async def test_a_blocked_card_shows_frozen_but_only_the_issuer_can_lift_it(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    ref = fake.add_card(status="blocked")
    assert (await provider.get_card(ref)).status is CardStatus.FROZEN
    for change in (provider.unfreeze(ref), provider.freeze(ref)):
        error = await refused(change)
        assert error.code == "provider-cardprogram-blocked"
        assert error.definite


async def test_a_lost_freeze_answer_is_settled_by_reading_the_card(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.drop_next(path="/freeze/")
    assert (await provider.freeze(card.card_id)).status is CardStatus.FROZEN
    fake.fail_next(500, path="/unfreeze/")  # refused before acting: still frozen
    error = await refused(provider.unfreeze(card.card_id))
    assert not error.definite
    assert fake.cards[card.card_id].status == "frozen"


@pytest.mark.parametrize(
    ("raw", "ours"),
    [
        ("pending", CardStatus.PENDING),
        ("under_review", CardStatus.PENDING),
        ("active", CardStatus.ACTIVE),
        ("frozen", CardStatus.FROZEN),
        ("blocked", CardStatus.FROZEN),
        ("expired", CardStatus.TERMINATED),
        ("terminated", CardStatus.TERMINATED),
        ("failed", CardStatus.TERMINATED),
    ],
)
@pytest.mark.parametrize("fake_options", [{"activate_on_read": False}])
async def test_the_status_vocabulary_maps_onto_our_lifecycle(
    provider: CardProgramProvider, fake: FakeCardProgram, raw: str, ours: CardStatus
) -> None:
    ref = fake.add_card(status=raw)
    assert (await provider.get_card(ref)).status is ours


# -- statement, authorizations, disputes -------------------------------------------------------
async def test_statement_pages_are_zero_based_here_and_one_based_on_the_api(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    for n in range(7):
        await provider.top_up(card.card_id, Money(100 + n), f"cb-s{n}")
    fake.calls.clear()
    first = await provider.transactions(card.card_id, 0, 5)
    second = await provider.transactions(card.card_id, 1, 5)
    beyond = await provider.transactions(card.card_id, 2, 5)
    assert [t.amount.minor for t in first.items] == [106, 105, 104, 103, 102]
    assert first.has_more and first.page == 0
    assert [t.amount.minor for t in second.items] == [101, 100]
    assert not second.has_more
    assert beyond.items == [] and not beyond.has_more
    queries = [(c.query["page"], c.query["page_size"]) for c in fake.gets("/transactions/")]
    assert queries == [("1", "5"), ("2", "5"), ("3", "5")]


async def test_statement_lines_carry_kinds_amounts_merchants_and_declines(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=2500)
    bought = await provider.simulate_purchase(card.card_id, Money(1234), "Corner Coffee")
    declined = await provider.simulate_purchase(card.card_id, Money(100_000), "Big Store")
    await provider.withdraw(card.card_id, Money(500), "cb-w")
    page = await provider.transactions(card.card_id, 0, 10)
    lines = [(t.kind, t.amount.minor, t.status, t.merchant, t.decline_reason) for t in page.items]
    assert lines == [
        ("withdraw", 500, "approved", None, None),
        ("purchase", 100_000, "declined", "Big Store", "insufficient_funds"),
        ("purchase", 1234, "approved", "Corner Coffee", None),
        ("topup", 2500, "approved", None, None),
    ]
    assert page.items[2].id == bought.id and page.items[1].id == declined.id
    assert page.items[0].balance_after == Money(766)
    assert all(t.created_at.tzinfo is not None for t in page.items)
    assert (await refused(provider.transactions("MCNOPE", 0, 5))).code == "provider-not-found"


async def test_an_authorization_holds_card_balance(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=2500)
    txn = await provider.simulate_purchase(card.card_id, Money(1234), "Shop")
    (call,) = fake.posts("/authorize/")
    assert call.body == {"amount": "12.34", "currency": "USD", "merchant_name": "Shop"}
    assert txn.status == "approved" and txn.kind == "purchase"
    assert (await provider.get_card(card.card_id)).balance == Money(1266)
    await provider.freeze(card.card_id)
    refused_txn = await provider.simulate_purchase(card.card_id, Money(100), "Shop")
    assert (refused_txn.status, refused_txn.decline_reason) == ("declined", "card_frozen")


async def test_open_dispute_links_the_authorization(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=2500)
    txn = await provider.simulate_purchase(card.card_id, Money(999), "Shady Shop")
    dispute = await provider.open_dispute(card.card_id, txn.id, "charged twice for one order")
    (call,) = fake.posts("/disputes/")
    assert call.path == "/cards/api/v1/disputes/"
    assert call.body == {
        "card": card.card_id,
        "authorization": txn.id,
        "reason": "charged twice for one order",
    }
    assert dispute.status == "open"
    assert fake.disputes[dispute.id]["authorization"] == txn.id


async def test_dispute_refusals_are_mapped(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake, funded=2500)
    txn = await provider.simulate_purchase(card.card_id, Money(999), "Shop")
    declined = await provider.simulate_purchase(card.card_id, Money(99_999), "Shop")
    funding = (await provider.transactions(card.card_id, 0, 10)).items[-1]
    await provider.open_dispute(card.card_id, txn.id, "never received the goods")
    cases = [
        (txn.id, "provider-dispute-exists"),
        (declined.id, "provider-not-disputable"),
        (funding.id, "provider-not-disputable"),
        ("auth_nope", "provider-not-found"),
    ]
    for transaction_id, code in cases:
        error = await refused(provider.open_dispute(card.card_id, transaction_id, "a reason"))
        assert error.code == code, transaction_id
        assert error.definite
    assert len(fake.disputes) == 1


# -- response shapes ---------------------------------------------------------------------------
@pytest.mark.parametrize("fake_options", [{"envelope": True}])
async def test_an_enveloped_api_reads_the_same(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    assert len(await provider.products()) == 2
    card = await active_card(provider, fake, funded=1500)
    assert card.balance == Money(1500)
    page = await provider.transactions(card.card_id, 0, 5)
    assert [t.kind for t in page.items] == ["topup"]
    assert (await provider.find_card_by_reference("cb-card")) is not None
    error = await refused(provider.withdraw(card.card_id, Money(9999), "cb-x"))
    assert error.code == "provider-insufficient-funds"


@pytest.mark.parametrize("fake_options", [{"envelope": True, "refusals_as_200": True}])
async def test_a_refusal_sent_as_http_200_with_status_false_is_an_error(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    card = await active_card(provider, fake)
    fake.wallet = Decimal("1.00")
    error = await refused(provider.top_up(card.card_id, Money(500), "cb-200"))
    assert error.code == "provider-cardprogram-wallet-insufficient"
    assert error.definite
    assert fake.posts("/fund/")[0].status == 200
    ref = fake.add_card(status="blocked")
    assert (await refused(provider.unfreeze(ref))).code == "provider-cardprogram-blocked"


async def test_the_fake_answers_like_django_for_unknown_paths_and_methods(
    fake: FakeCardProgram,
) -> None:
    access, _ = fake.issue_tokens()
    auth = {"Authorization": f"Bearer {access}"}
    async with httpx.AsyncClient(base_url=fake.url, headers=auth) as client:
        unknown = await client.get("/cards/api/v1/managed-cards/MC1/reveal/")
        wrong_method = await client.delete("/cards/api/v1/programs/")
        no_slash = await client.get("/cards/api/v1/programs")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert wrong_method.status_code == 405
    assert no_slash.status_code == 301 and no_slash.headers["location"].endswith("/programs/")


# -- what the cardholder reads --------------------------------------------------------------
def _codes_the_adapter_can_raise() -> set[str]:
    source = Path(cp.__file__).read_text(encoding="utf-8")
    literal = set(re.findall(r'ProviderError\(\s*"([a-z0-9-]+)"', source))
    mapped = {code for _, code in cp.ERROR_RULES} | set(cp.FALLBACK_BY_STATUS.values())
    named = {cp.AUTH, cp.DUPLICATE, cp.WALLET_SHORT, cp.ISSUE_FAILED, cp.NO_PROGRAM}
    # status_error's codes for what _data hands it: 429 and 5xx (and 4xx without JSON)
    generic = {"provider-rate-limited", "provider-unavailable", "provider-bad-request"}
    return literal | mapped | named | generic


def test_every_error_the_adapter_raises_has_a_text_and_every_text_is_used() -> None:
    texts = Texts.load()
    codes = _codes_the_adapter_can_raise()
    assert {"not-offered", "provider-cardprogram-wallet-insufficient"} <= codes
    missing = sorted(code for code in codes if not texts.has(code))
    assert missing == []
    catalogue = (LOCALES / "en" / "provider-cardprogram.ftl").read_text(encoding="utf-8")
    own = set(re.findall(r"^(provider-cardprogram-[a-z-]+) =", catalogue, re.M))
    assert own and own <= codes
    for code in own:
        assert texts.get("en", code).strip()


# -- KYC ---------------------------------------------------------------------------------------
async def test_kyc_stays_with_the_bot_and_is_approved_without_calling_the_api(
    provider: CardProgramProvider, fake: FakeCardProgram
) -> None:
    application = KycApplication(
        reference="user-42",
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
        id_photo=b"x",
        selfie=b"y",
    )
    result = await provider.submit_kyc(application)
    assert (result.customer_id, result.status) == ("user-42", KycStatus.APPROVED)
    assert (await provider.kyc_status("user-42")).status is KycStatus.APPROVED
    assert fake.calls == []
