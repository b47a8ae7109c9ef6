"""Each sender's deliveries, read into our words: event ids (the dedupe key), kinds, card and
customer ids, amounts in each provider's unit (Numero and Cartevo dollars, Bitnob v1 cents and
v2 micro-units, Nuvion cents, the card-program API dollar strings), decline and KYC reasons,
funding confirmations by our reference, the deposit webhook, and what is ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.money import Money
from services.provider_events import (
    EventParseError,
    FundingOutcome,
    canonical_body,
    decline_reason,
    fit_id,
    identify,
    parse,
)
from services.providers.base import EventKind, ProviderEvent

RECEIVED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def read(sender: str, doc: dict[str, Any] | str) -> list[ProviderEvent]:
    body = doc if isinstance(doc, str) else json.dumps(doc)
    return list(parse(sender, body, RECEIVED).events)


def one(sender: str, doc: dict[str, Any] | str) -> ProviderEvent:
    events = read(sender, doc)
    assert len(events) == 1, events
    return events[0]


def usd(minor: int) -> Money:
    return Money(minor, "USD")


# -- Numero: dollars as JSON numbers; envelope id -----------------------------------------------


def numero(event_type: str, **data: Any) -> str:
    # A raw body, so decimals arrive exactly as a provider writes them.
    payload = {"cardReference": "NCRD7", "customerId": "NCUS3", **data}
    return json.dumps({"id": "evt_n1", "type": event_type, "data": payload}).replace(
        '"__25.10__"', "25.10"
    )


def test_numero_settlement_in_dollars_with_the_mirrored_balance() -> None:
    event = one(
        "numero",
        numero(
            "card.transaction.settlement",
            reference="TXN-1",
            amount="__25.10__",
            balance=74.9,
            merchantName="Jumia",
            occurredAt="2026-11-20T08:30:00Z",
        ),
    )
    assert event == ProviderEvent(
        event_id="evt_n1",
        kind=EventKind.SETTLEMENT,
        occurred_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
        card_id="NCRD7",
        customer_id="NCUS3",
        amount=usd(2510),
        merchant="Jumia",
        transaction_id="TXN-1",
        balance=usd(7490),
    )


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("card.transaction.spend", EventKind.AUTHORIZATION),
        ("card.authorization", EventKind.AUTHORIZATION),
        ("CARD_SETTLEMENT", EventKind.SETTLEMENT),
        ("card.transaction.reversal", EventKind.REVERSAL),
        ("card.transaction.refund", EventKind.REFUND),
        ("card.transaction.decline", EventKind.DECLINE),
    ],
)
def test_numero_transaction_kinds(event_type: str, kind: EventKind) -> None:
    event = one("numero", numero(event_type, reference="T", amount=9.99))
    assert (event.kind, event.amount) == (kind, usd(999))


def test_numero_generic_transaction_event_reads_the_transaction_type() -> None:
    event = one("numero", numero("card.transaction", type="Refund", amount=3, reference="R"))
    assert (event.kind, event.amount) == (EventKind.REFUND, usd(300))
    declined = one(
        "numero", numero("card.transaction", type="Settlement", status="Declined", amount=3)
    )
    assert declined.kind is EventKind.DECLINE


def test_numero_decline_reason_counts_towards_the_three_strikes() -> None:
    event = one(
        "numero",
        numero("card.transaction.decline", amount=50, declineReason="Insufficient balance"),
    )
    assert (event.kind, event.reason, event.amount) == (
        EventKind.DECLINE,
        "insufficient_funds",
        usd(5000),
    )


def test_numero_cross_border_fee_is_a_separate_final_debit() -> None:
    event = one("numero", numero("card.cross-border", reference="TXN-1", amount=0.35))
    assert event.kind is EventKind.SETTLEMENT
    assert event.amount == usd(35)
    assert event.transaction_id == "TXN-1:fee"  # not mistaken for the purchase's settlement
    assert event.reason == "cross_border_fee"


@pytest.mark.parametrize(
    ("event_type", "status", "expected"),
    [
        ("card.frozen", None, "frozen"),
        ("card.unfrozen", None, "active"),
        ("card.terminated", None, "terminated"),
        ("card.status.changed", "Terminated", "terminated"),
        ("card.updated", "Frozen", "frozen"),
    ],
)
def test_numero_card_status(event_type: str, status: str | None, expected: str) -> None:
    data = {"status": status} if status else {}
    event = one("numero", numero(event_type, **data))
    assert (event.kind, event.card_id, event.status) == (EventKind.CARD_STATUS, "NCRD7", expected)


def test_numero_kyc_results() -> None:
    approved = one("numero", numero("cardholder.kyc.approved"))
    assert (approved.kind, approved.customer_id, approved.status, approved.reason) == (
        EventKind.KYC_RESULT,
        "NCUS3",
        "approved",
        None,
    )
    rejected = one(
        "numero", numero("cardholder.updated", status="Rejected", reason="ID number not found")
    )
    assert (rejected.status, rejected.reason) == ("rejected", "id_not_found")
    assert read("numero", numero("cardholder.updated", status="Pending")) == []


def test_numero_topup_confirmation_has_no_reference_of_ours() -> None:
    event = one("numero", numero("card.topup.success", amount=20))
    assert (event.kind, event.status, event.amount, event.reference) == (
        EventKind.FUNDING,
        FundingOutcome.TOPUP,
        usd(2000),
        None,
    )


def test_numero_needs_the_envelope_id_and_ignores_unknown_types() -> None:
    with pytest.raises(EventParseError):
        identify("numero", json.dumps({"type": "card.spend", "data": {"reference": "x"}}))
    assert read("numero", {"id": "e", "type": "FUNDING_NOTIFICATION", "data": {}}) == []
    assert read("numero", {"id": "e", "type": "transfer.completed", "data": {"amount": 5}}) == []


def test_numero_rejects_an_amount_that_is_not_a_number() -> None:
    with pytest.raises(EventParseError):
        read("numero", numero("card.settlement", amount="lots"))


# -- Bitnob: v1 (camelCase, cents) and v2 (snake_case, micro-units) ------------------------------


def test_bitnob_v1_debit_reads_cent_amount_not_the_unreliable_amount() -> None:
    doc = {
        "event": "virtualcard.transaction.debit",
        "data": {
            "id": "txn-1",
            "cardId": "card-1",
            "amount": "1500",  # Bitnob's samples show the dollar field equal to the cents one
            "centAmount": "1500",
            "narrative": "NETFLIX.COM",
            "status": "success",
            "currency": "usd",
            "createdAt": "2026-11-20T10:00:00.000Z",
        },
    }
    assert identify("bitnob", json.dumps(doc)) == (
        "virtualcard.transaction.debit:txn-1:success",
        "virtualcard.transaction.debit",
    )
    event = one("bitnob", doc)
    assert (event.kind, event.card_id, event.amount, event.merchant, event.transaction_id) == (
        EventKind.SETTLEMENT,
        "card-1",
        usd(1500),
        "NETFLIX.COM",
        "txn-1",
    )
    assert event.occurred_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_bitnob_v1_without_cent_amount_reads_dollars() -> None:
    doc = {"event": "virtualcard.transaction.reversed", "data": {"id": "t", "amount": "12.5"}}
    event = one("bitnob", doc)
    assert (event.kind, event.amount) == (EventKind.REVERSAL, usd(1250))


def test_bitnob_v1_credit_is_a_refund_unless_it_is_our_topup() -> None:
    refund = {"event": "virtualcard.transaction.credit", "data": {"id": "t", "centAmount": "700"}}
    assert one("bitnob", refund).kind is EventKind.REFUND
    topup = {
        "event": "virtualcard.transaction.credit",
        "data": {
            "id": "t2",
            "cardId": "card-1",
            "centAmount": "1000",
            "method": "topup",
            "reference": "cb-0123",
            "status": "success",
        },
    }
    event = one("bitnob", topup)
    assert (event.kind, event.status, event.reference, event.amount) == (
        EventKind.FUNDING,
        FundingOutcome.TOPUP,
        "cb-0123",
        usd(1000),
    )


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("virtualcard.topup.success", FundingOutcome.TOPUP),
        ("virtualcard.topup.completed", FundingOutcome.TOPUP),
        ("virtualcard.topup.failed", FundingOutcome.TOPUP_FAILED),
        ("virtualcard.withdrawal.success", FundingOutcome.WITHDRAW),
        ("virtualcard.withdrawal.failed", FundingOutcome.WITHDRAW_FAILED),
    ],
)
def test_bitnob_funding_confirmations_carry_our_reference(
    event_type: str, status: FundingOutcome
) -> None:
    doc = {"event": event_type, "data": {"cardId": "card-1", "reference": "cb-77", "amount": 500}}
    event = one("bitnob", doc)
    assert (event.kind, event.status, event.reference, event.card_id) == (
        EventKind.FUNDING,
        status,
        "cb-77",
        "card-1",
    )


def test_bitnob_declines_explain_why() -> None:
    doc = {
        "event": "virtualcard.transaction.declined",
        "data": {"id": "t", "cardId": "c", "centAmount": "9900", "reason": "Insufficient funds"},
    }
    event = one("bitnob", doc)
    assert (event.kind, event.reason, event.amount) == (
        EventKind.DECLINE,
        "insufficient_funds",
        usd(9900),
    )
    failed_auth = {"event": "virtualcard.transaction.authorization.failed", "data": {"id": "t"}}
    assert one("bitnob", failed_auth).kind is EventKind.DECLINE


def test_bitnob_card_created_confirms_our_issue_reference() -> None:
    doc = {
        "event": "virtualcard.created.success",
        "data": {"id": "card-9", "reference": "cb-issue-1", "balance": 1500, "status": "active"},
    }
    event = one("bitnob", doc)
    assert (event.kind, event.card_id, event.status, event.reference, event.balance) == (
        EventKind.CARD_STATUS,
        "card-9",
        "active",
        "cb-issue-1",
        usd(1500),
    )
    failed = {"event": "virtualcard.created.failed", "data": {"id": "card-9", "reason": "KYC"}}
    assert one("bitnob", failed).status == "terminated"


def test_bitnob_kyc_results() -> None:
    ok = one("bitnob", {"event": "virtualcard.user.kyc.success", "data": {"id": "user-1"}})
    assert (ok.kind, ok.customer_id, ok.status) == (EventKind.KYC_RESULT, "user-1", "approved")
    no = one(
        "bitnob",
        {"event": "virtualcard.user.kyc.failed", "data": {"id": "u", "reason": "blurry photo"}},
    )
    assert (no.status, no.reason) == ("rejected", "document_unverified")


def v2(transaction_type: str, status: str = "completed", **data: Any) -> dict[str, Any]:
    return {
        "event": "virtualcard.transaction.debit",
        "event_id": "evt-b2",
        "data": {
            "card_id": "card-2",
            "customer_id": "cus-2",
            "amount": 25_000_000,  # micro-units: $25.00
            "display_amount": 25.0,
            "currency": "USD",
            "transaction_type": transaction_type,
            "status": status,
            "reference": "CARD_ABC",
            "merchant": {"name": "Amazon"},
            **data,
        },
    }


@pytest.mark.parametrize(
    ("transaction_type", "kind"),
    [
        ("authorization", EventKind.AUTHORIZATION),
        ("pre_auth_approved", EventKind.AUTHORIZATION),
        ("settlement", EventKind.SETTLEMENT),
        ("contactless_settled", EventKind.SETTLEMENT),
        ("reversal_settled", EventKind.REVERSAL),
        ("refund_settled", EventKind.REFUND),
        ("authorization_declined", EventKind.DECLINE),
    ],
)
def test_bitnob_v2_transaction_types_and_micro_units(
    transaction_type: str, kind: EventKind
) -> None:
    event = one("bitnob", v2(transaction_type))
    assert (event.event_id, event.kind, event.amount, event.card_id) == (
        "evt-b2",
        kind,
        usd(2500),
        "card-2",
    )
    assert (event.customer_id, event.merchant, event.transaction_id) == (
        "cus-2",
        "Amazon",
        "CARD_ABC",
    )


def test_bitnob_v2_rounds_sub_cent_micro_units_and_skips_what_moves_nothing() -> None:
    assert one("bitnob", v2("settlement", amount=1_234_567)).amount == usd(123)
    assert one("bitnob", v2("settlement", amount=1_235_000)).amount == usd(124)
    assert read("bitnob", v2("refund_authorization")) == []
    assert read("bitnob", v2("verification")) == []


def test_bitnob_v2_cross_border_fee_and_terminated_card_decline() -> None:
    fee = one("bitnob", v2("cross_border_settled", amount=350_000))
    assert (fee.kind, fee.amount, fee.transaction_id, fee.reason) == (
        EventKind.SETTLEMENT,
        usd(35),
        "CARD_ABC:fee",
        "cross_border_fee",
    )
    refused = one("bitnob", v2("authorization", status="terminated"))
    assert (refused.kind, refused.reason) == (EventKind.DECLINE, "card_terminated")


def test_bitnob_risk_events_change_the_card_status() -> None:
    frozen = one("bitnob", {"event": "virtualcard.frozen", "data": {"cardId": "c1", "id": "x"}})
    assert (frozen.kind, frozen.status, frozen.card_id) == (EventKind.CARD_STATUS, "frozen", "c1")
    gone = one("bitnob", {"event": "virtualcard.terminated", "event_id": "e", "data": {"id": "c"}})
    assert (gone.status, gone.card_id) == ("terminated", "c")
    assert read("bitnob", {"event": "btc.lightning.received.success", "event_id": "x"}) == []


# -- Cartevo: dollars; {event, data}; no event id ----------------------------------------------


def cartevo_txn(txn_type: str, status: str, **data: Any) -> dict[str, Any]:
    return {
        "event": "card.transaction",
        "data": {
            "transaction_id": "ctx-1",
            "card_id": "ccard-1",
            "type": txn_type,
            "status": status,
            "amount": 12.5,
            "merchant": {"name": "Uber"},
            "card_balance_after": 87.5,
            **data,
        },
    }


@pytest.mark.parametrize(
    ("txn_type", "status", "kind"),
    [
        ("AUTHORIZATION", "PENDING", EventKind.AUTHORIZATION),
        ("AUTHORIZATION", "SUCCESS", EventKind.SETTLEMENT),
        ("SETTLEMENT", "SUCCESS", EventKind.SETTLEMENT),
        ("AUTHORIZATION", "FAILED", EventKind.DECLINE),
        ("REFUND", "SUCCESS", EventKind.REFUND),
        ("REVERSAL", "SUCCESS", EventKind.REVERSAL),
    ],
)
def test_cartevo_transactions_in_dollars(txn_type: str, status: str, kind: EventKind) -> None:
    doc = cartevo_txn(txn_type, status)
    assert identify("cartevo", json.dumps(doc)) == (
        f"card.transaction:ctx-1:{status}",
        "card.transaction",
    )
    event = one("cartevo", doc)
    assert (event.kind, event.amount, event.balance, event.card_id, event.merchant) == (
        kind,
        usd(1250),
        usd(8750),
        "ccard-1",
        "Uber",
    )


def test_cartevo_funding_fee_failures_and_termination() -> None:
    funded = one("cartevo", cartevo_txn("FUND", "SUCCESS", amount=20))
    assert (funded.kind, funded.status, funded.amount) == (
        EventKind.FUNDING,
        FundingOutcome.TOPUP,
        usd(2000),
    )
    failed = one("cartevo", cartevo_txn("WITHDRAW", "FAILED", amount=5))
    assert failed.status == FundingOutcome.WITHDRAW_FAILED
    fee = one("cartevo", cartevo_txn("FEE", "SUCCESS", amount=0.5))
    assert (fee.kind, fee.amount, fee.transaction_id) == (
        EventKind.SETTLEMENT,
        usd(50),
        "ctx-1:fee",
    )
    assert read("cartevo", cartevo_txn("REFUND", "FAILED")) == []
    ended = one("cartevo", cartevo_txn("TERMINATION", "SUCCESS"))
    assert (ended.kind, ended.status) == (EventKind.CARD_STATUS, "terminated")


def test_cartevo_card_created_and_status_events() -> None:
    created = {
        "event": "card.created",
        "data": {"card": {"id": "ccard-9", "status": "ACTIVE", "balance": 10, "type": "VIRTUAL"}},
    }
    assert identify("cartevo", json.dumps(created))[0] == "card.created:ccard-9:ACTIVE"
    event = one("cartevo", created)
    assert (event.kind, event.card_id, event.status, event.balance) == (
        EventKind.CARD_STATUS,
        "ccard-9",
        "active",
        usd(1000),
    )
    suspended = {"event": "card.updated", "data": {"id": "ccard-9", "status": "SUSPENDED"}}
    assert one("cartevo", suspended).status == "frozen"
    pending = {"event": "card.created", "data": {"card": {"id": "c", "status": "PENDING"}}}
    assert read("cartevo", pending) == []


def test_cartevo_kyc_and_non_card_events() -> None:
    doc = {
        "event": "customer.kyc.rejected",
        "data": {"id": "cus-1", "kyc_status": "REJECTED", "reason": "ID document unreadable"},
    }
    event = one("cartevo", doc)
    assert (event.kind, event.customer_id, event.status, event.reason) == (
        EventKind.KYC_RESULT,
        "cus-1",
        "rejected",
        "document_unverified",
    )
    assert read("cartevo", {"event": "payment.collect", "data": {"id": "p", "amount": 3}}) == []


# -- Nuvion: integer cents, millisecond times --------------------------------------------------


def nuvion_txn(status: str, kind: str = "debit", **data: Any) -> dict[str, Any]:
    return {
        "event": "card_transactions.updated",
        "data": {
            "id": "pay_01",
            "card_id": "ncard_1",
            "amount": 10_000,
            "currency": "USD",
            "status": status,
            "type": kind,
            "created": 1_763_726_400_123,
            "merchant": {"name": "AWS"},
            **data,
        },
    }


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        ("pending", "debit", EventKind.AUTHORIZATION),
        ("completed", "debit", EventKind.SETTLEMENT),
        ("completed", "credit", EventKind.REFUND),
        ("reversed", "debit", EventKind.REVERSAL),
        ("declined", "debit", EventKind.DECLINE),
    ],
)
def test_nuvion_transactions_in_cents(status: str, kind: str, expected: EventKind) -> None:
    event = one("nuvion", nuvion_txn(status, kind))
    assert (event.kind, event.amount, event.card_id, event.transaction_id) == (
        expected,
        usd(10_000),
        "ncard_1",
        "pay_01",
    )
    assert event.occurred_at == datetime.fromtimestamp(1_763_726_400.123, UTC)


def test_nuvion_event_id_joins_status_so_completion_is_not_a_duplicate() -> None:
    pending = identify("nuvion", json.dumps(nuvion_txn("pending")))[0]
    completed = identify("nuvion", json.dumps(nuvion_txn("completed")))[0]
    assert pending != completed
    assert completed == "card_transactions.updated:pay_01:completed"
    assert identify("nuvion", json.dumps({"id": "whk_1", **nuvion_txn("pending")}))[0] == "whk_1"


def test_nuvion_card_status_and_other_events() -> None:
    frozen = {"event": "cards.updated", "data": {"id": "ncard_1", "status": "blocked"}}
    assert (one("nuvion", frozen).status, one("nuvion", frozen).card_id) == ("frozen", "ncard_1")
    deleted = {"event": "cards.deleted", "data": {"id": "ncard_1", "status": "blocked"}}
    assert one("nuvion", deleted).status == "terminated"
    assert read("nuvion", {"event": "accounts.created", "data": {"id": "acc"}}) == []
    assert read("nuvion", {"event": "outflows.completed", "data": {"id": "o", "amount": 5}}) == []


def test_nuvion_rejects_a_fractional_amount() -> None:
    with pytest.raises(EventParseError):
        read("nuvion", nuvion_txn("completed", amount=100.5))


# -- the card-program API (EgaCard): dollar strings ----------------------------------------------


def test_cardprogram_authorization_and_its_settlement_share_the_transaction_id() -> None:
    auth = {
        "id": "dlv_1",
        "event": "card.authorization.created",
        "data": {"id": "auth_1", "card_reference": "MC-1", "amount": "25.99", "merchant": "Shop"},
    }
    settled = {"id": "dlv_2", "event": "card.authorization.settled", "data": auth["data"]}
    first, second = one("cardprogram", auth), one("cardprogram", settled)
    assert (first.kind, first.amount, first.card_id, first.transaction_id) == (
        EventKind.AUTHORIZATION,
        usd(2599),
        "MC-1",
        "auth_1",
    )
    assert (second.kind, second.transaction_id, second.event_id) == (
        EventKind.SETTLEMENT,
        "auth_1",
        "dlv_2",
    )


def test_cardprogram_funded_confirms_our_reference() -> None:
    doc = {
        "event_id": "evt_9",
        "event": "card.funded",
        "data": {"reference": "MC-1", "amount": "10.00", "metadata": {"cardbot_reference": "cb-5"}},
    }
    event = one("cardprogram", doc)
    assert (event.kind, event.status, event.reference, event.card_id, event.amount) == (
        EventKind.FUNDING,
        FundingOutcome.TOPUP,
        "cb-5",
        "MC-1",
        usd(1000),
    )


def test_cardprogram_status_events_and_wallet_events() -> None:
    frozen = one("cardprogram", {"id": "d", "event": "card.frozen", "data": {"reference": "MC"}})
    assert (frozen.kind, frozen.status, frozen.card_id) == (EventKind.CARD_STATUS, "frozen", "MC")
    back = one("cardprogram", {"id": "d", "event": "card.unfrozen", "data": {"reference": "MC"}})
    assert back.status == "active"
    assert (
        read("cardprogram", {"id": "d", "event": "wallet.debited", "data": {"amount": "1"}}) == []
    )
    with pytest.raises(EventParseError):
        read("cardprogram", {"id": "d", "event": "card.refunded", "data": {"amount": "1.001"}})


# -- ours: the sandbox's canonical shape, and the deposit webhook -----------------------------


def test_canonical_round_trip() -> None:
    event = ProviderEvent(
        event_id="sbx-1",
        kind=EventKind.DECLINE,
        occurred_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        card_id="card-1",
        amount=usd(4200),
        merchant="Store",
        reason="insufficient_funds",
        balance=usd(100),
    )
    body = canonical_body(event)
    assert identify("sandbox", body) == ("sbx-1", "decline")
    assert one("sandbox", body.decode()) == event


def test_deposit_shapes() -> None:
    base = {"id": "d1", "amount": 5000, "currency": "USD", "reference": "pay-1"}
    by_telegram = parse("deposit", json.dumps(base | {"user": 42}), RECEIVED).deposit
    assert by_telegram is not None
    assert (by_telegram.telegram_id, by_telegram.user_id, by_telegram.amount) == (
        42,
        None,
        usd(5000),
    )
    ours = parse(
        "deposit",
        json.dumps(base | {"user": "9f3c", "occurred_at": "2026-11-21T10:00:00+01:00"}),
        RECEIVED,
    ).deposit
    assert ours is not None
    assert (ours.telegram_id, ours.user_id) == (None, "9f3c")
    assert ours.occurred_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 50.5},
        {"amount": "5000"},
        {"amount": 0},
        {"amount": True},
        {"currency": "usd"},
        {"currency": None},
        {"reference": ""},
        {"reference": 123},
        {"reference": "r" * 121},
        {"user": None},
        {"user": -5},
        {"user": ""},
        {"occurred_at": "yesterday"},
        {"id": None},
    ],
)
def test_deposit_refusals(change: dict[str, Any]) -> None:
    doc = {"id": "d1", "user": 42, "amount": 5000, "currency": "USD", "reference": "p"} | change
    with pytest.raises(EventParseError):
        identify("deposit", json.dumps(doc))


# -- shared rules ----------------------------------------------------------------------------------


def test_long_event_ids_become_a_stable_digest() -> None:
    long_id = "x" * 300
    assert fit_id(long_id) == fit_id(long_id)
    assert fit_id(long_id).startswith("sha256:") and len(fit_id(long_id)) <= 128
    assert fit_id("short") == "short"
    doc = {"id": long_id, "type": "card.spend", "data": {}}
    assert identify("numero", json.dumps(doc))[0] == fit_id(long_id)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Insufficient balance", "insufficient_funds"),
        ("NOT ENOUGH FUNDS", "insufficient_funds"),
        ("Card is frozen", "card_frozen"),
        ("card blocked by issuer", "card_frozen"),
        ("Card terminated", "card_terminated"),
        ("Daily limit exceeded", "over_daily_limit"),
        ("Transaction limit exceeded", "over_transaction_limit"),
        ("over_daily_limit", "over_daily_limit"),
        ("Do not honour", "other"),
        (None, "other"),
    ],
)
def test_decline_reasons(text: str | None, code: str) -> None:
    assert decline_reason(text) == code


def test_bodies_that_cannot_be_read() -> None:
    for body in ("", "{", "[]", '{"a": NaN}', "[" * 100_000):
        with pytest.raises(EventParseError):
            identify("numero", body)
    with pytest.raises(EventParseError):
        identify("acme", "{}")
