"""Reading a verified provider delivery: its event id and type (what the inbox dedupes on) and
what it means in our words — ``ProviderEvent``s for the event processor, or a ``DepositEvent``
for the business's deposit webhook.

One reader per sender. The providers publish little about their card webhooks, so most shapes
are assumptions: each is marked ``# guess:`` where it is made (and only there), and all are
listed in docs/providers/events.md. Amounts go through the adapters' own unit helpers, so a
provider's unit is read the same way in an API answer and in a webhook. A delivery whose type
we do not know yields no events: it is kept in the inbox, and acknowledged.

``identify`` is what the HTTP intake needs (event id and type; it does not judge the rest),
``parse`` is what the processor needs. Both raise ``EventParseError`` on a body they cannot use.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from services.money import Money
from services.providers import bitnob, cardprogram, cartevo, numero, nuvion
from services.providers.base import (
    CardStatus,
    EventKind,
    KycStatus,
    ProviderError,
    ProviderEvent,
)

MAX_EVENT_ID = 128  # inbox_events.event_id
MAX_EVENT_TYPE = 64  # inbox_events.event_type


class EventParseError(ValueError):
    """The body is not something we can use (not JSON, no event id, an unreadable amount…)."""


class FundingOutcome(StrEnum):
    """``ProviderEvent.status`` on a FUNDING event: which movement, and whether it happened."""

    TOPUP = "topup"
    TOPUP_FAILED = "topup_failed"
    WITHDRAW = "withdraw"
    WITHDRAW_FAILED = "withdraw_failed"


@dataclass(frozen=True)
class DepositEvent:
    """Money the business's payment system received for a cardholder (our deposit webhook).

    ``user`` in the body is either a Telegram user id (a JSON integer) or our user id (a JSON
    string): exactly one of ``telegram_id`` / ``user_id`` is set.
    """

    event_id: str
    amount: Money  # minor units, positive
    reference: str  # the business's payment reference: credit once per reference
    telegram_id: int | None = None
    user_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One verified delivery, read."""

    event_id: str
    event_type: str
    events: tuple[ProviderEvent, ...] = ()
    deposit: DepositEvent | None = None


# -- shared reading helpers ----------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise EventParseError(f"{name} is not a number")


def load(body: bytes | str) -> dict[str, Any]:
    """The JSON object in a body; decimals stay exact (``Decimal``)."""
    try:
        doc = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except EventParseError:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise EventParseError("body is not JSON") from None
    if not isinstance(doc, dict):
        raise EventParseError("body is not a JSON object")
    return doc


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | Decimal):
        return str(value)
    return None


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def _first_text(mapping: Mapping[str, Any], *keys: str) -> str | None:
    return _text(_first(mapping, *keys))


def words(value: str | None) -> set[str]:
    """'virtualcard.transaction.authorization.failed' → {'virtualcard', 'transaction', …}."""
    return set(re.split(r"[^a-z0-9]+", (value or "").lower())) - {""}


def when(value: Any, default: datetime) -> datetime:
    """An ISO-8601 string, or Unix seconds / milliseconds; ``default`` when absent or unreadable
    (the time only orders alerts: a surprising format must not block a money event)."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int | Decimal) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        try:
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        except (OverflowError, OSError, ValueError):
            return default
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return default
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return default


def fit_id(value: str) -> str:
    """Event ids longer than the inbox column are replaced by a digest (same input, same id)."""
    if len(value) <= MAX_EVENT_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def composite_id(event_type: str, data: Mapping[str, Any], *id_keys: str) -> str:
    """An event id made of what the payload has, for senders that send none: the event type,
    the business object's id, and its status and update time when present (so a later state
    of the same object is a new event, and a redelivery of the same state is not)."""
    object_id = _first_text(data, *id_keys)
    if object_id is None:
        raise EventParseError("no event id")
    parts = [event_type or "event", object_id]
    for key in ("status", "updated", "updated_at", "updatedAt"):
        value = _text(data.get(key))
        if value is not None:
            parts.append(value)
    return ":".join(parts)


def _money(convert: Callable[[Any], Money], value: Any) -> Money:
    try:
        return convert(value)
    except ProviderError as exc:
        raise EventParseError(f"amount: {exc.detail or exc.code}") from None


def _merchant(data: Mapping[str, Any], *keys: str) -> str | None:
    value = _first(data, *keys)
    if isinstance(value, dict):
        value = _first(value, "name", "merchant_name", "description")
    text = _text(value)
    return text[:80] if text else None


def _currency(data: Mapping[str, Any], default: str = "USD") -> str:
    value = _text(data.get("currency"))
    return value.upper() if value and re.fullmatch(r"[A-Za-z]{3}", value) else default


# guess: providers word decline reasons freely; these words choose our catalogue code
# (decline-<code> in handlers/locales), first match wins, anything else is "other".
DECLINE_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("insufficient", "not enough", "nsf", "low balance", "balance too low"), "insufficient_funds"),
    (("terminated", "closed", "cancelled", "canceled", "deleted"), "card_terminated"),
    (("frozen", "freeze", "blocked", "inactive", "suspended", "locked"), "card_frozen"),
    (("daily",), "over_daily_limit"),
    (("limit", "exceed", "too large", "maximum"), "over_transaction_limit"),
    (("airline",), "airline_blocked"),
    (("pending", "not active", "not yet active"), "card_pending"),
)
DECLINE_CODES = {code for _, code in DECLINE_REASONS} | {"other"}

# guess: KYC rejection reasons, onto our catalogue codes (kyc-reason-<code>).
KYC_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("document", "photo", "image", "selfie", "blurry", "expired id"), "document_unverified"),
    (("not found", "invalid id", "id number", "bvn", "nin", "mismatch"), "id_not_found"),
)


def decline_reason(*texts: Any) -> str:
    for value in texts:
        text = (_text(value) or "").lower().replace("_", " ")
        if not text:
            continue
        if text.replace(" ", "_") in DECLINE_CODES:
            return text.replace(" ", "_")
        for keys, code in DECLINE_REASONS:
            if any(key in text for key in keys):
                return code
    return "other"


def kyc_reason(*texts: Any) -> str:
    for value in texts:
        text = (_text(value) or "").lower().replace("_", " ")
        for keys, code in KYC_REASONS:
            if any(key in text for key in keys):
                return code
    return "other"


_FAILED_WORDS = {"failed", "fail", "failure", "declined", "rejected", "error", "unsuccessful"}
_SUCCESS_WORDS = {"success", "successful", "succeeded", "completed", "complete", "approved"}


def _funding(
    base: Mapping[str, Any], withdraw: bool, failed: bool, amount: Money | None, reference: Any
) -> ProviderEvent:
    outcome = (
        (FundingOutcome.WITHDRAW_FAILED if failed else FundingOutcome.WITHDRAW)
        if withdraw
        else (FundingOutcome.TOPUP_FAILED if failed else FundingOutcome.TOPUP)
    )
    return ProviderEvent(
        **base,
        kind=EventKind.FUNDING,
        amount=amount,
        status=str(outcome),
        reference=_text(reference),
    )


def _fee_txn(transaction_id: str | None) -> str | None:
    """A fee is its own posting: keep it apart from the purchase it came with."""
    return f"{transaction_id}:fee" if transaction_id else None


class Reader(Protocol):
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]: ...

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]: ...


# -- Numero ----------------------------------------------------------------------------------------

# guess: Numero's card-event names are unpublished. The seed names the events that move a card's
# mirrored balance (spend, settlement, refund, reversal, cross-border, decline); the type (or,
# failing that, the transaction's own `type`) is read by these words, first match wins.
NUMERO_TRANSACTION_WORDS: tuple[tuple[frozenset[str], EventKind], ...] = (
    (frozenset({"decline", "declined"}), EventKind.DECLINE),
    (frozenset({"reversal", "reversed"}), EventKind.REVERSAL),
    (frozenset({"refund", "refunded"}), EventKind.REFUND),
    (frozenset({"cross", "crossborder"}), EventKind.SETTLEMENT),  # a fee: a final debit
    (frozenset({"settlement", "settled"}), EventKind.SETTLEMENT),
    (frozenset({"spend", "authorization", "authorisation", "authorized"}), EventKind.AUTHORIZATION),
)
NUMERO_CARD_WORDS = {
    "frozen": CardStatus.FROZEN,
    "freeze": CardStatus.FROZEN,
    "unfrozen": CardStatus.ACTIVE,
    "unfreeze": CardStatus.ACTIVE,
    "activated": CardStatus.ACTIVE,
    "terminated": CardStatus.TERMINATED,
    "terminate": CardStatus.TERMINATED,
}
NUMERO_FUNDING_WORDS = {"topup", "top", "funding", "funded", "withdraw", "withdrawal"}


def _kind_by_words(
    found: set[str], table: Iterable[tuple[frozenset[str], EventKind]]
) -> EventKind | None:
    for keys, kind in table:
        if found & keys:
            return kind
    return None


class NumeroReader:
    """[doc: webhooks-best-practices] dedupe on the envelope ``id``."""

    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        # guess: the envelope is {id, type, createdAt, data}; only `id` is documented, so `event`
        # / `eventType` are read for the type too.
        event_id = _first_text(doc, "id", "eventId", "event_id")
        if event_id is None:
            raise EventParseError("no event id")
        return event_id, _first_text(doc, "type", "event", "eventType") or ""

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        _, event_type = self.identify(doc)
        data = _obj(doc.get("data"))
        # guess: the payload `data` is the statement's transaction / the card view / the
        # cardholder, as the API returns them (cardReference, customerId, amount in dollars…).
        base: dict[str, Any] = {
            "event_id": event_id,
            "occurred_at": when(
                _first(data, "occurredAt", "createdAt") or _first(doc, "createdAt", "timestamp"),
                default_time,
            ),
            "card_id": _first_text(data, "cardReference", "cardId"),
            "customer_id": _first_text(data, "customerId", "cardholderId"),
        }
        found = words(event_type)
        if found & {"kyc", "cardholder", "customer"}:
            status, reason = numero.kyc_status_of(data)
            if found & (_SUCCESS_WORDS | {"verified"}):
                status = KycStatus.APPROVED
            elif found & _FAILED_WORDS:
                status = KycStatus.REJECTED
            if status is KycStatus.PENDING:
                return []
            return [
                ProviderEvent(
                    **base,
                    kind=EventKind.KYC_RESULT,
                    status=str(status),
                    reason=kyc_reason(reason, data.get("reason"))
                    if status is KycStatus.REJECTED
                    else None,
                )
            ]
        amount = (
            _money(numero.from_dollars, data["amount"]) if data.get("amount") is not None else None
        )
        if found & NUMERO_FUNDING_WORDS and (base["card_id"] or "card" in found):
            failed = bool(found & _FAILED_WORDS) or (
                str(data.get("status") or "").lower() in numero.DECLINED
            )
            # Numero takes no client reference: there is none of ours to confirm by.
            return [_funding(base, bool(found & {"withdraw", "withdrawal"}), failed, amount, None)]
        kind = _kind_by_words(found, NUMERO_TRANSACTION_WORDS)
        if kind is None and found & {"transaction", "spend"}:
            kind = _kind_by_words(words(_text(data.get("type"))), NUMERO_TRANSACTION_WORDS)
            if kind is not None and str(data.get("status") or "").lower() in numero.DECLINED:
                kind = EventKind.DECLINE
        if kind is None:
            status_word = next((w for w in found if w in NUMERO_CARD_WORDS), None)
            raw = str(data.get("status") or "").lower()
            if status_word is None and not (found & {"card", "status"} and raw):
                return []
            card_status = numero.CARD_STATUS.get(raw) or NUMERO_CARD_WORDS.get(status_word or "")
            if card_status is None or card_status is CardStatus.PENDING:
                return []
            return [ProviderEvent(**base, kind=EventKind.CARD_STATUS, status=str(card_status))]
        txn = _first_text(
            data,
            "authorizationReference",
            "originalReference",
            "transactionReference",
            "reference",
            "transactionId",
            "id",
        )
        fee = bool(found & {"cross", "crossborder"}) or "cross" in words(_text(data.get("type")))
        return [
            ProviderEvent(
                **base,
                kind=kind,
                amount=amount,
                merchant=_merchant(data, "merchantName", "merchant", "description")
                or ("Cross-border fee" if fee else None),
                transaction_id=_fee_txn(txn) if fee else txn,
                reason=decline_reason(
                    data.get("declineReason"), data.get("reason"), data.get("description")
                )
                if kind is EventKind.DECLINE
                else ("cross_border_fee" if fee else None),
                balance=_money(numero.from_dollars, data["balance"])
                if data.get("balance") is not None
                else None,
            )
        ]


# -- Bitnob ----------------------------------------------------------------------------------------

# [doc: bitnob.dev/api-reference/virtual-cards/webhooks] the v2 `transaction_type` values, ours.
# guess: the pending halves of refunds and the zero-amount verification move nothing; a refund
# is booked when it settles.
BITNOB_TRANSACTION_TYPES: dict[str, tuple[EventKind, bool] | None] = {
    "authorization": (EventKind.AUTHORIZATION, False),
    "pre_auth_approved": (EventKind.AUTHORIZATION, False),
    "settlement": (EventKind.SETTLEMENT, False),
    "authorization_declined": (EventKind.DECLINE, False),
    "refund_authorization": None,
    "refund_settled": (EventKind.REFUND, False),
    "reversal_settled": (EventKind.REVERSAL, False),
    "cross_border_pending": (EventKind.AUTHORIZATION, True),
    "cross_border_settled": (EventKind.SETTLEMENT, True),
    "cross_border_reversal": (EventKind.REVERSAL, True),
    "contactless_pending": (EventKind.AUTHORIZATION, False),
    "contactless_settled": (EventKind.SETTLEMENT, False),
    "verification": None,
}
# [doc: docs.bitnob.com/docs/webhooks; bitnob.dev/docs/card-issuing/webhooks] event names.
# guess: v1 `virtualcard.transaction.debit` ("successful spend") is a final debit: v1 has no
# separate authorization events.
BITNOB_TRANSACTION_EVENTS = {
    "virtualcard.transaction.debit": EventKind.SETTLEMENT,
    "virtualcard.transaction.reversed": EventKind.REVERSAL,
    "virtualcard.transaction.refund": EventKind.REFUND,
    "virtualcard.transaction.declined": EventKind.DECLINE,
    "virtualcard.transaction.authorization.failed": EventKind.DECLINE,
    "virtualcard.transaction.credit": EventKind.REFUND,  # unless `method` says topup/withdrawal
}
MICRO_PER_CENT = Decimal(10_000)  # [doc] webhook amounts: 1 USD = 1,000,000 micro-units


def bitnob_micro(value: Any) -> Money:
    """A v2 webhook amount (integer micro-units) in cents. guess: a fraction of a cent (FX) is
    rounded half up; reconcile corrects the mirror from the issuer's own balance."""
    if isinstance(value, bool) or value is None:
        raise ProviderError("provider-bad-response", "amount missing")
    try:
        micro = Decimal(str(value))
    except InvalidOperation:
        raise ProviderError("provider-bad-response", "amount is not a number") from None
    if not micro.is_finite():
        raise ProviderError("provider-bad-response", "amount is not a number")
    return Money(int((micro / MICRO_PER_CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _major_units(value: Any) -> Money:
    """A major-unit amount (Bitnob's ``display_amount``, a float on the wire) in cents."""
    try:
        major = Decimal(str(value))
    except InvalidOperation:
        raise ProviderError("provider-bad-response", "amount is not a number") from None
    if not major.is_finite():
        raise ProviderError("provider-bad-response", "amount is not a number")
    return Money(int((major * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


class BitnobReader:
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        event_type = _first_text(doc, "event") or ""
        # [doc] v2 deliveries carry `event_id`, reused on retries.
        explicit = _first_text(doc, "event_id")
        if explicit is not None:
            return explicit, event_type
        # guess: v1 deliveries carry no event id; the event name and the object's id (top-level
        # `id`, else the transaction's or card's) stand in for one.
        data = dict(_obj(doc.get("data")))
        if _text(doc.get("id")):
            data["id"] = doc["id"]
        return composite_id(event_type, data, "id", "reference", "cardId"), event_type

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        event_type = (_first_text(doc, "event") or "").lower()
        data = _obj(doc.get("data"))
        # guess: snake_case keys (or the top-level event_id) mean the v2 payloads, whose amounts
        # are micro-units; v1 payloads are camelCase and read like v1 card transactions.
        v2 = "event_id" in doc or any("_" in key for key in data)
        found = words(event_type)
        card_object = bool(found & {"created", "terminated", "frozen", "unfrozen", "blocked"})
        base: dict[str, Any] = {
            "event_id": event_id,
            "occurred_at": when(
                _first(data, "created_at", "createdAt", "timestamp")
                or _first(doc, "created_at", "createdAt", "timestamp"),
                default_time,
            ),
            "card_id": _first_text(data, "card_id", "cardId")
            or (_first_text(data, "id") if card_object else None),
            "customer_id": _first_text(data, "customer_id", "cardUserId", "customerId", "userId"),
        }

        def amount() -> Money | None:
            if v2:
                if data.get("amount") is not None:
                    return _money(bitnob_micro, data["amount"])
                if data.get("display_amount") is not None:
                    return _money(_major_units, data["display_amount"])
                return None
            if data.get("centAmount") is None and data.get("amount") is None:
                return None
            return _money(lambda row: Money(bitnob._cents_of(row)), data)

        def balance() -> Money | None:
            value = data.get("balance")
            if value is None:
                return None
            if v2:
                return _money(bitnob_micro, value)
            return _money(lambda v: Money(bitnob._minor(v, "balance")), value)

        currency = _currency(data)

        def in_currency(money: Money | None) -> Money | None:
            return Money(money.minor, currency) if money is not None else None

        if "kyc" in found:
            # [doc] virtualcard.user.kyc.success | failed; data is the card user.
            approved = bool(found & _SUCCESS_WORDS)
            customer = base["customer_id"] or _first_text(data, "id")
            return [
                ProviderEvent(
                    **{**base, "customer_id": customer},
                    kind=EventKind.KYC_RESULT,
                    status=str(KycStatus.APPROVED if approved else KycStatus.REJECTED),
                    reason=None
                    if approved
                    else kyc_reason(_first(data, "reason", "message", "kycFailedReason")),
                )
            ]
        if found & {"topup", "withdrawal", "withdraw"}:
            withdraw = bool(found & {"withdrawal", "withdraw"})
            return [
                _funding(
                    base,
                    withdraw,
                    bool(found & _FAILED_WORDS),
                    in_currency(amount()),
                    _first(data, "reference"),
                )
            ]
        if "created" in found and "transaction" not in found:
            # [doc] virtualcard.created.success | failed. guess: a card whose creation failed
            # will never work (as the adapter reads createdStatus failed).
            failed = bool(found & _FAILED_WORDS)
            return [
                ProviderEvent(
                    **base,
                    kind=EventKind.CARD_STATUS,
                    status=str(CardStatus.TERMINATED if failed else CardStatus.ACTIVE),
                    reason=_first_text(data, "reason", "message") if failed else None,
                    reference=_first_text(data, "reference"),
                    balance=in_currency(balance()),
                )
            ]
        transaction_type = (_first_text(data, "transaction_type") or "").lower()
        fee = False
        kind: EventKind | None
        if transaction_type in BITNOB_TRANSACTION_TYPES:
            mapped = BITNOB_TRANSACTION_TYPES[transaction_type]
            if mapped is None:
                return []
            kind, fee = mapped
        elif event_type in BITNOB_TRANSACTION_EVENTS:
            kind = BITNOB_TRANSACTION_EVENTS[event_type]
        else:
            kind = None
        status = (_first_text(data, "status") or "").lower()
        if kind is EventKind.REFUND and not v2:
            method = (_first_text(data, "method") or "").lower()
            if method in ("topup", "withdrawal", "withdraw"):  # as the adapter's _kind reads it
                withdraw = method != "topup"
                failed = status in ("failed", "declined", "reversed")
                return [
                    _funding(
                        base, withdraw, failed, in_currency(amount()), _first(data, "reference")
                    )
                ]
        if kind is not None and status in ("decline", "declined", "terminated", "failed"):
            if kind not in (EventKind.AUTHORIZATION, EventKind.SETTLEMENT, EventKind.DECLINE):
                return []  # a failed refund or reversal moved nothing
            kind = EventKind.DECLINE
        if kind is None:
            # guess: lifecycle and risk events (termination, automated freezes) named by words.
            if found & {"terminated", "termination"}:
                card_status = CardStatus.TERMINATED
            elif found & {"unfrozen", "unfreeze", "unblocked", "regularized"}:
                card_status = CardStatus.ACTIVE
            elif found & {"frozen", "freeze", "blocked"}:
                card_status = CardStatus.FROZEN
            else:
                return []
            return [
                ProviderEvent(
                    **base,
                    kind=EventKind.CARD_STATUS,
                    status=str(card_status),
                    reason=_first_text(data, "reason", "message"),
                    balance=in_currency(balance()),
                )
            ]
        txn = (
            _first_text(data, "original_transaction_id", "transaction_id", "reference", "id")
            if v2
            else _first_text(data, "originalTransactionId", "transactionId", "id", "reference")
        )
        reason = None
        if kind is EventKind.DECLINE:
            reason = (
                "card_terminated"
                if status == "terminated"
                else decline_reason(
                    _first(data, "decline_reason", "declineReason", "reason", "message"),
                    data.get("narrative"),
                    data.get("description"),
                )
            )
        elif fee:
            reason = "cross_border_fee"
        return [
            ProviderEvent(
                **base,
                kind=kind,
                amount=in_currency(amount()),
                merchant=_merchant(
                    data, "merchant", "merchant_name", "merchantName", "narrative", "description"
                ),
                transaction_id=_fee_txn(txn) if fee else txn,
                reason=reason,
                balance=in_currency(balance()),
            )
        ]


# -- Cartevo ---------------------------------------------------------------------------------------


class CartevoReader:
    """[doc] ``{event, data}``. guess: only ``card.created`` (and the non-card
    ``payment.collect``) are documented; transaction deliveries are read by the transaction's
    own ``type`` and ``status``, as the statement is (``cartevo.TXN_KIND``)."""

    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        event_type = _first_text(doc, "event") or ""
        explicit = _first_text(doc, "id", "event_id", "webhook_id")
        if explicit is not None:
            return explicit, event_type
        # guess: no event id is documented ([doc] "dedupe on business ids: transaction_id,
        # card.id"); those ids, with the object's status, stand in for one.
        data = _obj(doc.get("data"))
        card = _obj(data.get("card"))
        key_source = dict(data)
        if not _first(data, "transaction_id", "transactionId", "id") and card:
            key_source = card
        return (
            composite_id(event_type, key_source, "transaction_id", "transactionId", "id"),
            event_type,
        )

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        event_type = (_first_text(doc, "event") or "").lower()
        data = _obj(doc.get("data"))
        card = _obj(data.get("card")) or data
        found = words(event_type)
        base: dict[str, Any] = {
            "event_id": event_id,
            "occurred_at": when(
                _first(data, "created_at", "createdAt", "date") or doc.get("created_at"),
                default_time,
            ),
            "card_id": _first_text(data, "card_id", "cardId")
            or _first_text(_obj(data.get("card")), "id"),
            "customer_id": _first_text(data, "customer_id", "customerId")
            or _first_text(card, "customer_id"),
        }
        if "kyc" in found or (event_type.startswith("customer") and "kyc_status" in data):
            kyc = cartevo._kyc_status(_obj(data.get("customer")) or data)
            if found & _SUCCESS_WORDS:
                kyc = KycStatus.APPROVED
            elif found & (_FAILED_WORDS | {"rejected"}):
                kyc = KycStatus.REJECTED
            if kyc is KycStatus.PENDING:
                return []
            customer = base["customer_id"] or _first_text(data, "id")
            return [
                ProviderEvent(
                    **{**base, "customer_id": customer},
                    kind=EventKind.KYC_RESULT,
                    status=str(kyc),
                    reason=kyc_reason(_first(data, "kyc_reason", "reason", "message"))
                    if kyc is KycStatus.REJECTED
                    else None,
                )
            ]
        txn_type = (_first_text(data, "type", "transaction_type") or "").upper()
        if txn_type not in cartevo.TXN_KIND and "transaction" not in found:
            txn_type = ""  # e.g. a card object's own `type`
        if not txn_type:
            if found & {"fund", "funded", "funding", "topup", "withdraw", "withdrawal"}:
                txn_type = "WITHDRAW" if found & {"withdraw", "withdrawal"} else "FUND"
            elif found & {"transaction", "authorization", "settlement", "refund", "reversal"}:
                txn_type = next(
                    (w.upper() for w in sorted(found) if w.upper() in cartevo.TXN_KIND), "PURCHASE"
                )
        if txn_type:
            amount = (
                _money(cartevo.from_dollars, data["amount"])
                if data.get("amount") is not None
                else None
            )
            after = _first(data, "card_balance_after", "balance_after")
            balance = _money(cartevo.from_dollars, after) if after is not None else None
            status = (_first_text(data, "status") or "").upper()
            return self._transaction(base, data, txn_type, status, amount, balance, found)
        if found & {"card"}:
            raw = (_first_text(card, "status") or "").upper()
            card_status = cartevo.CARTEVO_STATUS.get(raw)
            if card_status is None:
                if found & {"terminated", "terminate"}:
                    card_status = CardStatus.TERMINATED
                elif found & {"frozen", "suspended", "freeze"}:
                    card_status = CardStatus.FROZEN
                elif found & {"unfrozen", "unfreeze", "activated"}:
                    card_status = CardStatus.ACTIVE
                elif "created" in found:
                    card_status = CardStatus.ACTIVE  # guess: created means issued and usable
            if card_status is None or card_status is CardStatus.PENDING:
                return []
            card_balance = card.get("balance")
            return [
                ProviderEvent(
                    **{**base, "card_id": base["card_id"] or _first_text(card, "id")},
                    kind=EventKind.CARD_STATUS,
                    status=str(card_status),
                    balance=_money(cartevo.from_dollars, card_balance)
                    if card_balance is not None
                    else None,
                )
            ]
        return []  # payment.collect and the like: not about cards

    @staticmethod
    def _transaction(
        base: dict[str, Any],
        data: dict[str, Any],
        txn_type: str,
        status: str,
        amount: Money | None,
        balance: Money | None,
        found: set[str],
    ) -> list[ProviderEvent]:
        our_kind = cartevo.TXN_KIND.get(txn_type, "purchase")
        failed = status in cartevo.FAILED_TXN or bool(found & _FAILED_WORDS)
        txn = _first_text(data, "transaction_id", "transactionId", "id")
        if our_kind in ("topup", "withdraw") and txn_type != "TERMINATION":
            # Cartevo takes no client reference: none of ours to confirm by.
            return [_funding(base, our_kind == "withdraw", failed, amount, None)]
        if txn_type == "TERMINATION":
            return [ProviderEvent(**base, kind=EventKind.CARD_STATUS, status="terminated")]
        if our_kind == "fee":
            kind, fee = EventKind.SETTLEMENT, True
        elif our_kind == "refund":
            kind, fee = (EventKind.REVERSAL if txn_type == "REVERSAL" else EventKind.REFUND), False
        elif txn_type == "AUTHORIZATION" and status in ("PENDING", "PROCESSING", ""):
            kind, fee = EventKind.AUTHORIZATION, False
        else:
            kind, fee = EventKind.SETTLEMENT, False
        if failed:
            if kind not in (EventKind.AUTHORIZATION, EventKind.SETTLEMENT):
                return []  # a failed refund or reversal moved nothing
            kind = EventKind.DECLINE
        return [
            ProviderEvent(
                **base,
                kind=kind,
                amount=amount,
                merchant=cartevo._merchant(data),
                transaction_id=_fee_txn(txn) if fee else txn,
                reason=decline_reason(
                    _first(data, "decline_reason", "reason", "failure_reason", "message")
                )
                if kind is EventKind.DECLINE
                else ("cross_border_fee" if fee else None),
                balance=balance,
            )
        ]


# -- Nuvion ----------------------------------------------------------------------------------------

# guess: Nuvion publishes no card event names (only accounts.*, inflows.*, outflows.*). A card
# transaction delivery is read by the transaction's `status` and `type`, as the statement shows
# them (completed debit…); anything about a card without a transaction is a status change.
NUVION_TXN_STATUS = {
    "pending": EventKind.AUTHORIZATION,
    "authorized": EventKind.AUTHORIZATION,
    "completed": EventKind.SETTLEMENT,
    "settled": EventKind.SETTLEMENT,
    "failed": EventKind.DECLINE,
    "declined": EventKind.DECLINE,
    "reversed": EventKind.REVERSAL,
    "cancelled": EventKind.REVERSAL,
    "refunded": EventKind.REFUND,
}


class NuvionReader:
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        event_type = _first_text(doc, "event", "type") or ""
        explicit = _first_text(doc, "id", "event_id")
        if explicit is not None:
            return explicit, event_type
        # [doc: webhooks/overview] duplicates possible, dedupe on data.id. guess: the status and
        # update time join it, so a pending transaction's completion is not taken for a copy.
        return composite_id(event_type, _obj(doc.get("data")), "id"), event_type

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        event_type = (_first_text(doc, "event", "type") or "").lower()
        data = _obj(doc.get("data"))
        found = words(event_type)
        if not found & {"card", "cards", "transaction", "transactions"}:
            return []  # accounts, inflows, outflows: not about a card
        currency = _currency(data)
        time_value = _first(data, "updated", "created")
        occurred = (
            nuvion.from_api_time(time_value)
            if isinstance(time_value, int) and not isinstance(time_value, bool)
            else when(time_value, default_time)
        )
        is_transaction = bool(found & {"transaction", "transactions", "payment", "payments"})
        card_id = _first_text(data, "card_id") or _first_text(_obj(data.get("card")), "id")
        base: dict[str, Any] = {"event_id": event_id, "occurred_at": occurred}
        if not is_transaction:
            status = nuvion.NuvionProvider._plain_status(data)
            if found & {"deleted", "terminated"}:
                status = CardStatus.TERMINATED
            if status is CardStatus.PENDING:
                return []
            return [
                ProviderEvent(
                    **base,
                    kind=EventKind.CARD_STATUS,
                    card_id=card_id or _first_text(data, "id"),
                    status=str(status),
                )
            ]
        raw_status = (_first_text(data, "status") or "").lower()
        kind = NUVION_TXN_STATUS.get(raw_status) or next(
            (NUVION_TXN_STATUS[w] for w in found if w in NUVION_TXN_STATUS), None
        )
        if kind is None:
            return []
        if kind is EventKind.SETTLEMENT and (_first_text(data, "type") or "").lower() == "credit":
            kind = EventKind.REFUND  # money back onto the card
        amount = (
            _money(lambda v: nuvion.from_api_amount(v, currency), data["amount"])
            if data.get("amount") is not None
            else None
        )
        return [
            ProviderEvent(
                **base,
                kind=kind,
                card_id=card_id,
                amount=amount,
                merchant=_merchant(data, "merchant", "merchant_name", "description"),
                transaction_id=_first_text(data, "id", "unique_reference"),
                reason=decline_reason(
                    _first(data, "decline_reason", "failure_reason", "reason", "message")
                )
                if kind is EventKind.DECLINE
                else None,
            )
        ]


# -- the card-program API (EgaCard) --------------------------------------------------------------

# [seed] `card.funded`, `card.authorization.created`, `wallet.debited`. guess: the rest of the
# card vocabulary follows the same pattern (the program surface names settle, reverse, withdraw,
# freeze, unfreeze, terminate).
CARDPROGRAM_EVENTS: dict[str, EventKind] = {
    "card.authorization.created": EventKind.AUTHORIZATION,
    "card.authorization.settled": EventKind.SETTLEMENT,
    "card.authorization.captured": EventKind.SETTLEMENT,
    "card.authorization.reversed": EventKind.REVERSAL,
    "card.authorization.released": EventKind.REVERSAL,
    "card.authorization.declined": EventKind.DECLINE,
    "card.authorization.failed": EventKind.DECLINE,
    "card.refunded": EventKind.REFUND,
    "card.refund": EventKind.REFUND,
}


# guess: a status event's name ends in the new status (card.frozen, card.unfrozen…).
CARDPROGRAM_STATUS_WORDS = {**cardprogram.CARD_STATUS, "unfrozen": CardStatus.ACTIVE}


class CardProgramReader:
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        # [doc: egacard.com/docs/webhooks] "store delivery id + event id to dedupe".
        # guess: the envelope is {id | event_id, event | type, created_at, data}.
        event_type = _first_text(doc, "event", "type") or ""
        explicit = _first_text(doc, "event_id", "id")
        if explicit is not None:
            return explicit, event_type
        return composite_id(event_type, _obj(doc.get("data")), "id", "reference"), event_type

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        event_type = (_first_text(doc, "event", "type") or "").lower()
        data = _obj(doc.get("data"))
        found = words(event_type)
        if "card" not in found:
            return []  # wallet.*, payment.*…: not about a card
        currency = _currency(data)
        card = _obj(data.get("card"))
        base: dict[str, Any] = {
            "event_id": event_id,
            "occurred_at": when(
                _first(data, "created_at", "timestamp") or doc.get("created_at"), default_time
            ),
            "card_id": _first_text(data, "card_reference", "managed_card")
            or _first_text(card, "reference"),
        }

        def amount() -> Money | None:
            value = data.get("amount")
            if value is None:
                return None
            plain = str(value) if isinstance(value, Decimal) else value
            return _money(lambda v: cardprogram.from_api_amount(v, currency), plain)

        def balance() -> Money | None:
            value = _first(data, "balance", "available_balance")
            if value is None:
                return None
            plain = str(value) if isinstance(value, Decimal) else value
            return _money(lambda v: cardprogram.from_api_amount(v, currency), plain)

        if found & {"funded", "fund", "withdrawn", "withdrawal", "withdraw"}:
            withdraw = bool(found & {"withdrawn", "withdrawal", "withdraw"})
            return [
                _funding(
                    {**base, "card_id": base["card_id"] or _first_text(data, "reference")},
                    withdraw,
                    bool(found & _FAILED_WORDS),
                    amount(),
                    cardprogram.reference_of(data),
                )
            ]
        kind = CARDPROGRAM_EVENTS.get(event_type)
        if kind is None:
            raw = (_first_text(data, "status") or "").lower()
            status = cardprogram.CARD_STATUS.get(raw) or next(
                (
                    CARDPROGRAM_STATUS_WORDS[w]
                    for w in sorted(found)
                    if w in CARDPROGRAM_STATUS_WORDS
                ),
                None,
            )
            if status is None or status is CardStatus.PENDING:
                return []
            return [
                ProviderEvent(
                    **{**base, "card_id": base["card_id"] or _first_text(data, "reference")},
                    kind=EventKind.CARD_STATUS,
                    status=str(status),
                    balance=balance(),
                )
            ]
        return [
            ProviderEvent(
                **base,
                kind=kind,
                amount=amount(),
                merchant=_merchant(data, "merchant", "merchant_name", "description"),
                transaction_id=_first_text(data, "authorization_id", "authorization", "id"),
                reason=decline_reason(_first(data, "decline_reason", "reason", "message"))
                if kind is EventKind.DECLINE
                else None,
                balance=balance(),
            )
        ]


# -- ours: the sandbox (and any sender we control) -------------------------------------------


def canonical_body(event: ProviderEvent) -> bytes:
    """A ``ProviderEvent`` as our own JSON delivery (what the ``sandbox`` sender posts):
    ``{id, type, occurred_at, data: {…, amount: {minor, currency}, balance: {…}}}``."""
    data: dict[str, Any] = {
        f.name: getattr(event, f.name)
        for f in fields(event)
        if f.name not in ("event_id", "kind", "occurred_at", "amount", "balance")
        and getattr(event, f.name) is not None
    }
    for key in ("amount", "balance"):
        money: Money | None = getattr(event, key)
        if money is not None:
            data[key] = {"minor": money.minor, "currency": money.currency}
    doc = {
        "id": event.event_id,
        "type": str(event.kind),
        "occurred_at": event.occurred_at.isoformat(),
        "data": data,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _minor_money(value: Any, what: str) -> Money | None:
    if value is None:
        return None
    money = _obj(value)
    minor = money.get("minor")
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise EventParseError(f"{what}.minor is not an integer")
    return Money(minor, _currency(money))


class CanonicalReader:
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        event_id = _first_text(doc, "id")
        if event_id is None:
            raise EventParseError("no event id")
        return event_id, _first_text(doc, "type") or ""

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        try:
            kind = EventKind(_first_text(doc, "type") or "")
        except ValueError:
            return []
        data = _obj(doc.get("data"))
        texts = {
            key: _first_text(data, key)
            for key in (
                "card_id",
                "customer_id",
                "merchant",
                "transaction_id",
                "reason",
                "status",
                "reference",
            )
        }
        return [
            ProviderEvent(
                event_id=event_id,
                kind=kind,
                occurred_at=when(doc.get("occurred_at"), default_time),
                amount=_minor_money(data.get("amount"), "amount"),
                balance=_minor_money(data.get("balance"), "balance"),
                **texts,
            )
        ]


# -- the business's deposit webhook (ours) -------------------------------------------------------

MAX_REFERENCE = 120  # the ledger keys a deposit as "deposit:<reference>" in 128 characters


def read_deposit(doc: dict[str, Any]) -> DepositEvent:
    """``{id, user, amount, currency, reference, occurred_at?}``: ``user`` a Telegram id (JSON
    integer) or our user id (JSON string); ``amount`` a positive integer of minor units."""
    event_id = _first_text(doc, "id")
    if event_id is None:
        raise EventParseError("no event id")
    user = doc.get("user")
    telegram_id: int | None = None
    user_id: str | None = None
    if isinstance(user, int) and not isinstance(user, bool) and user > 0:
        telegram_id = user
    elif isinstance(user, str) and user.strip():
        user_id = user.strip()
    else:
        raise EventParseError("user must be a Telegram id (integer) or a user id (string)")
    amount = doc.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise EventParseError("amount must be an integer of minor units")
    if amount <= 0:
        raise EventParseError("amount must be positive")
    currency = doc.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise EventParseError("currency must be an ISO 4217 code, e.g. USD")
    reference = _text(doc.get("reference"))
    if reference is None or not isinstance(doc.get("reference"), str):
        raise EventParseError("reference is required")
    if len(reference) > MAX_REFERENCE:
        raise EventParseError(f"reference is longer than {MAX_REFERENCE} characters")
    occurred = doc.get("occurred_at")
    occurred_at = None
    if occurred is not None:
        if not isinstance(occurred, str):
            raise EventParseError("occurred_at must be an ISO-8601 time")
        occurred_at = when(occurred, datetime.min)
        if occurred_at == datetime.min:
            raise EventParseError("occurred_at must be an ISO-8601 time")
    return DepositEvent(
        event_id=fit_id(event_id),
        amount=Money(amount, currency),
        reference=reference,
        telegram_id=telegram_id,
        user_id=user_id,
        occurred_at=occurred_at,
    )


class DepositReader:
    def identify(self, doc: dict[str, Any]) -> tuple[str, str]:
        # Ours: checked in full at the door, so the business's system hears of a bad body now.
        return read_deposit(doc).event_id, "deposit"

    def events(
        self, doc: dict[str, Any], event_id: str, default_time: datetime
    ) -> list[ProviderEvent]:
        return []


# -- entry points ----------------------------------------------------------------------------------

READERS: dict[str, Reader] = {
    "numero": NumeroReader(),
    "bitnob": BitnobReader(),
    "cartevo": CartevoReader(),
    "cardprogram": CardProgramReader(),
    "nuvion": NuvionReader(),
    "sandbox": CanonicalReader(),
    "deposit": DepositReader(),
}


def _reader(sender: str) -> Reader:
    try:
        return READERS[sender]
    except KeyError:
        raise EventParseError(f"unknown sender {sender!r}") from None


def identify(sender: str, body: bytes | str) -> tuple[str, str]:
    """The event id (the inbox's dedupe key, at most 128 characters) and type of a delivery."""
    reader = _reader(sender)
    event_id, event_type = reader.identify(load(body))
    return fit_id(event_id), event_type[:MAX_EVENT_TYPE]


def parse(sender: str, body: bytes | str, received_at: datetime) -> Delivery:
    """What a stored delivery means. ``received_at`` stands in for a missing event time."""
    reader = _reader(sender)
    doc = load(body)
    raw_id, event_type = reader.identify(doc)
    event_id = fit_id(raw_id)
    if sender == "deposit":
        return Delivery(event_id, "deposit", deposit=read_deposit(doc))
    try:
        events = reader.events(doc, event_id, received_at)
    except ProviderError as exc:
        raise EventParseError(exc.detail or exc.code) from None
    # One delivery normally means one event; should one mean more, each gets its own id.
    numbered = tuple(
        event if i == 0 else replace(event, event_id=f"{event_id}:{i}")
        for i, event in enumerate(events)
    )
    return Delivery(event_id, event_type[:MAX_EVENT_TYPE], numbered)
