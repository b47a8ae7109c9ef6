"""The built-in sandbox issuer behaves like a real one: review delay and documented rejections,
pending then active cards, Luhn-valid numbers from the test BINs never stored, idempotent money
movement, freeze and terminate rules, declines, and a paged statement."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from bot.app import App
from services.money import Money
from services.providers.base import (
    CardStatus,
    IssueRequest,
    KycApplication,
    KycStatus,
    ProviderCard,
    ProviderError,
)
from services.providers.sandbox import BINS, MAX_BALANCE_MINOR, SandboxProvider
from storage.models import SQLModel
from tests.conftest import FakeClock

DELAY = 5  # make_settings: sandbox_delay_seconds=5


def luhn_ok(number: str) -> bool:
    """An independent Luhn check (not the one the provider uses)."""
    digits = [int(c) for c in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_the_independent_luhn_check_works() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("79927398710")


def application(**overrides: object) -> KycApplication:
    values: dict[str, object] = {
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
        "id_photo": b"photo",
        "selfie": b"selfie",
    }
    values.update(overrides)
    return KycApplication(**values)  # type: ignore[arg-type]


@pytest.fixture
def sandbox(app: App) -> SandboxProvider:
    provider = app.services.provider
    assert isinstance(provider, SandboxProvider)
    return provider


async def approved_customer(sandbox: SandboxProvider, clock: FakeClock) -> str:
    result = await sandbox.submit_kyc(application())
    clock.advance(DELAY + 1)
    assert (await sandbox.kyc_status(result.customer_id)).status is KycStatus.APPROVED
    return result.customer_id


async def active_card(
    sandbox: SandboxProvider,
    clock: FakeClock,
    initial: int = 2500,
    brand: str = "visa",
    reference: str = "ref-issue-1",
) -> ProviderCard:
    customer = await approved_customer(sandbox, clock)
    card = await sandbox.issue_card(IssueRequest(customer, reference, brand, Money(initial)))
    clock.advance(DELAY + 1)
    card = await sandbox.get_card(card.card_id)
    assert card.status is CardStatus.ACTIVE
    return card


async def error_code(awaitable: object) -> str:
    with pytest.raises(ProviderError) as info:
        await awaitable  # type: ignore[misc]
    return info.value.code


# -- KYC --
async def test_kyc_is_pending_during_review_then_approved(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    submitted = await sandbox.submit_kyc(application())
    assert submitted.status is KycStatus.PENDING
    clock.advance(DELAY - 1)
    assert (await sandbox.kyc_status(submitted.customer_id)).status is KycStatus.PENDING
    clock.advance(2)
    decided = await sandbox.kyc_status(submitted.customer_id)
    assert decided.status is KycStatus.APPROVED
    assert decided.reason is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"last_name": "Reject"}, "document_unverified"),
        ({"last_name": " reject "}, "document_unverified"),
        ({"id_number": "00000000000"}, "id_not_found"),
    ],
)
async def test_documented_test_inputs_are_rejected_after_the_review(
    sandbox: SandboxProvider, clock: FakeClock, overrides: dict[str, str], reason: str
) -> None:
    submitted = await sandbox.submit_kyc(application(**overrides))
    assert submitted.status is KycStatus.PENDING  # a rejection takes the review time too
    clock.advance(DELAY + 1)
    decided = await sandbox.kyc_status(submitted.customer_id)
    assert decided.status is KycStatus.REJECTED
    assert decided.reason == reason


async def test_a_name_merely_containing_reject_is_approved(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    submitted = await sandbox.submit_kyc(
        application(last_name="Rejectson", id_number="10000000000")
    )
    clock.advance(DELAY + 1)
    assert (await sandbox.kyc_status(submitted.customer_id)).status is KycStatus.APPROVED


async def test_unknown_customer_is_not_found(sandbox: SandboxProvider) -> None:
    assert await error_code(sandbox.kyc_status("nope")) == "provider-not-found"


# -- cards --
async def test_card_is_pending_then_active_after_the_delay(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    customer = await approved_customer(sandbox, clock)
    card = await sandbox.issue_card(IssueRequest(customer, "ref-1", "visa", Money(2500)))
    assert card.status is CardStatus.PENDING
    assert card.balance == Money(2500)
    assert await error_code(sandbox.top_up(card.card_id, Money(100), "r")) == (
        "provider-card-pending"
    )
    assert await error_code(sandbox.reveal(card.card_id)) == "provider-card-pending"
    clock.advance(DELAY - 1)
    assert (await sandbox.get_card(card.card_id)).status is CardStatus.PENDING
    clock.advance(2)
    assert (await sandbox.get_card(card.card_id)).status is CardStatus.ACTIVE


async def test_issue_needs_approved_kyc(sandbox: SandboxProvider, clock: FakeClock) -> None:
    pending = await sandbox.submit_kyc(application())
    code = await error_code(
        sandbox.issue_card(IssueRequest(pending.customer_id, "r1", "visa", Money(0)))
    )
    assert code == "provider-kyc-not-approved"
    rejected = await sandbox.submit_kyc(application(last_name="Reject"))
    clock.advance(DELAY + 1)
    code = await error_code(
        sandbox.issue_card(IssueRequest(rejected.customer_id, "r2", "visa", Money(0)))
    )
    assert code == "provider-kyc-not-approved"


async def test_issue_refuses_unknown_brand_and_other_currencies(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    customer = await approved_customer(sandbox, clock)
    assert await error_code(sandbox.issue_card(IssueRequest(customer, "r1", "amex", Money(0)))) == (
        "provider-bad-request"
    )
    assert await error_code(
        sandbox.issue_card(IssueRequest(customer, "r2", "visa", Money(100, "EUR")))
    ) == ("provider-bad-request")


async def test_issue_is_idempotent_by_reference(sandbox: SandboxProvider, clock: FakeClock) -> None:
    customer = await approved_customer(sandbox, clock)
    first = await sandbox.issue_card(IssueRequest(customer, "same-ref", "visa", Money(2500)))
    again = await sandbox.issue_card(IssueRequest(customer, "same-ref", "visa", Money(2500)))
    assert again.card_id == first.card_id
    assert again.balance == Money(2500)  # the initial amount was loaded once
    found = await sandbox.find_card_by_reference("same-ref")
    assert found is not None and found.card_id == first.card_id
    assert await sandbox.find_card_by_reference("other-ref") is None
    page = await sandbox.transactions(first.card_id, 0, 10)
    assert [(t.kind, t.amount) for t in page.items] == [("topup", Money(2500))]


@pytest.mark.parametrize("brand", ["visa", "mastercard"])
async def test_revealed_number_is_luhn_valid_from_the_test_bin(
    sandbox: SandboxProvider, clock: FakeClock, brand: str
) -> None:
    card = await active_card(sandbox, clock, brand=brand)
    secrets = await sandbox.reveal(card.card_id)
    assert secrets.pan.startswith(BINS[brand])
    assert len(secrets.pan) == 16 and secrets.pan.isdigit()
    assert luhn_ok(secrets.pan)
    assert len(secrets.cvv) == 3 and secrets.cvv.isdigit()
    assert 1 <= secrets.expiry_month <= 12 and secrets.expiry_year == 2029
    # the stored view agrees with the live number but holds only the masked form
    assert card.last4 == secrets.pan[-4:]
    assert card.masked_pan.startswith(f"{secrets.pan[:4]} {secrets.pan[4:6]}")
    assert card.masked_pan.endswith(secrets.pan[-4:])
    assert secrets.pan[6:12] not in card.masked_pan.replace(" ", "")
    # the same card reveals the same details every time
    assert await sandbox.reveal(card.card_id) == secrets
    # the secrets never print
    assert secrets.pan not in repr(secrets) and secrets.cvv not in str(secrets).split("cvv")[1]


async def test_two_cards_have_different_numbers(sandbox: SandboxProvider, clock: FakeClock) -> None:
    customer = await approved_customer(sandbox, clock)
    a = await sandbox.issue_card(IssueRequest(customer, "ref-a", "visa", Money(0)))
    b = await sandbox.issue_card(IssueRequest(customer, "ref-b", "visa", Money(0)))
    clock.advance(DELAY + 1)
    assert (await sandbox.reveal(a.card_id)).pan != (await sandbox.reveal(b.card_id)).pan


async def test_revealed_details_are_never_stored(
    app: App, sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock)
    secrets = await sandbox.reveal(card.card_id)
    await sandbox.simulate_purchase(card.card_id, Money(500), "Shop")
    async with app.db.engine.connect() as conn:
        cards = (await conn.execute(text("SELECT * FROM sandbox_cards"))).mappings().all()
        assert len(cards) == 1
        columns = {str(c) for c in cards[0].keys()}
        assert not {c for c in columns if ("pan" in c and c != "masked_pan") or "cvv" in c}
        for row in cards:
            for column, value in row.items():
                assert str(value) != secrets.cvv, f"CVV stored in sandbox_cards.{column}"
                assert secrets.pan not in str(value), f"PAN stored in sandbox_cards.{column}"
                assert secrets.pan[6:15] not in str(value), f"PAN digits in {column}"
        # and in no other table either
        for table in SQLModel.metadata.sorted_tables:
            for values in (await conn.execute(text(f"SELECT * FROM {table.name}"))).all():
                for value in values:
                    assert secrets.pan not in str(value), f"PAN stored in {table.name}"


# -- money --
async def test_top_up_is_idempotent_by_reference(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=0)
    first = await sandbox.top_up(card.card_id, Money(1000), "ref-top-1")
    again = await sandbox.top_up(card.card_id, Money(1000), "ref-top-1")
    assert first.balance == again.balance == Money(1000)
    other = await sandbox.top_up(card.card_id, Money(1000), "ref-top-2")
    assert other.balance == Money(2000)
    page = await sandbox.transactions(card.card_id, 0, 10)
    assert sorted(t.kind for t in page.items) == ["topup", "topup"]


async def test_withdraw_moves_money_and_refuses_more_than_the_balance(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=2500)
    assert (await sandbox.withdraw(card.card_id, Money(1000), "w1")).balance == Money(1500)
    code = await error_code(sandbox.withdraw(card.card_id, Money(1501), "w2"))
    assert code == "provider-insufficient-funds"
    assert (await sandbox.get_card(card.card_id)).balance == Money(1500)


async def test_balance_cap_and_bad_amounts(sandbox: SandboxProvider, clock: FakeClock) -> None:
    card = await active_card(sandbox, clock, initial=2500)
    over = Money(MAX_BALANCE_MINOR - 2500 + 1)
    assert await error_code(sandbox.top_up(card.card_id, over, "t1")) == "provider-limit"
    assert await error_code(sandbox.top_up(card.card_id, Money(0), "t2")) == (
        "provider-bad-request"
    )
    assert await error_code(sandbox.top_up(card.card_id, Money(-100), "t3")) == (
        "provider-bad-request"
    )
    assert await error_code(sandbox.top_up(card.card_id, Money(100, "EUR"), "t4")) == (
        "provider-bad-request"
    )
    exact = Money(MAX_BALANCE_MINOR - 2500)
    assert (await sandbox.top_up(card.card_id, exact, "t5")).balance == Money(MAX_BALANCE_MINOR)


async def test_frozen_card_declines_purchases_and_refuses_top_ups(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=2500)
    assert (await sandbox.freeze(card.card_id)).status is CardStatus.FROZEN
    assert (await sandbox.freeze(card.card_id)).status is CardStatus.FROZEN  # harmless repeat
    declined = await sandbox.simulate_purchase(card.card_id, Money(500), "Shop")
    assert (declined.status, declined.decline_reason) == ("declined", "card_frozen")
    assert (await sandbox.get_card(card.card_id)).balance == Money(2500)
    assert await error_code(sandbox.top_up(card.card_id, Money(100), "t")) == (
        "provider-card-frozen"
    )
    assert (await sandbox.reveal(card.card_id)).pan  # details still viewable while frozen
    assert (await sandbox.unfreeze(card.card_id)).status is CardStatus.ACTIVE
    approved = await sandbox.simulate_purchase(card.card_id, Money(500), "Shop")
    assert approved.status == "approved"
    assert (await sandbox.get_card(card.card_id)).balance == Money(2000)


async def test_purchase_over_the_balance_is_declined(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=1000)
    declined = await sandbox.simulate_purchase(card.card_id, Money(1001), "Big Shop")
    assert (declined.status, declined.decline_reason) == ("declined", "insufficient_funds")
    assert (await sandbox.get_card(card.card_id)).balance == Money(1000)
    exact = await sandbox.simulate_purchase(card.card_id, Money(1000), "Exact Shop")
    assert exact.status == "approved" and exact.balance_after == Money(0)
    refund = await sandbox.simulate_refund(card.card_id, Money(300), "Exact Shop")
    assert refund.status == "approved" and refund.balance_after == Money(300)


async def test_terminate_returns_the_balance_and_blocks_further_use(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=2500)
    closed = await sandbox.terminate(card.card_id)
    assert closed.status is CardStatus.TERMINATED
    assert closed.balance == Money(0)
    newest = (await sandbox.transactions(card.card_id, 0, 1)).items[0]
    assert (newest.kind, newest.amount, newest.merchant) == ("withdraw", Money(2500), "Card closed")
    cid = card.card_id
    assert await error_code(sandbox.top_up(cid, Money(100), "t")) == "provider-card-terminated"
    assert await error_code(sandbox.withdraw(cid, Money(100), "w")) == "provider-card-terminated"
    assert await error_code(sandbox.reveal(cid)) == "provider-card-terminated"
    assert await error_code(sandbox.freeze(cid)) == "provider-card-terminated"
    assert await error_code(sandbox.unfreeze(cid)) == "provider-card-terminated"
    assert await error_code(sandbox.terminate(cid)) == "provider-card-terminated"
    refund = sandbox.simulate_refund(cid, Money(100), "Shop")
    assert await error_code(refund) == "provider-card-terminated"
    declined = await sandbox.simulate_purchase(cid, Money(100), "Shop")
    assert (declined.status, declined.decline_reason) == ("declined", "card_terminated")
    assert (await sandbox.get_card(cid)).balance == Money(0)


async def test_transactions_newest_first_and_paged(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock, initial=10_000)  # one top-up
    for i in range(11):
        clock.advance(60)
        await sandbox.simulate_purchase(card.card_id, Money(100 + i), f"Shop {i}")
    pages = [await sandbox.transactions(card.card_id, page, 5) for page in range(3)]
    assert [len(p.items) for p in pages] == [5, 5, 2]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [p.page for p in pages] == [0, 1, 2]
    items = [t for p in pages for t in p.items]
    assert [t.merchant for t in items] == [f"Shop {i}" for i in range(10, -1, -1)] + [None]
    assert items[-1].kind == "topup"
    times = [t.created_at for t in items]
    assert times == sorted(times, reverse=True)
    assert len({t.id for t in items}) == 12
    empty = await sandbox.transactions(card.card_id, 3, 5)
    assert empty.items == [] and not empty.has_more


async def test_another_tenant_cannot_see_the_card(
    app: App, sandbox: SandboxProvider, clock: FakeClock
) -> None:
    card = await active_card(sandbox, clock)
    other = SandboxProvider(app.db, sandbox.secret, "other-brand", DELAY, clock)
    assert await error_code(other.get_card(card.card_id)) == "provider-not-found"
    assert await error_code(other.top_up(card.card_id, Money(100), "x")) == "provider-not-found"
    assert await error_code(other.reveal(card.card_id)) == "provider-not-found"
