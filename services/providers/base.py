"""The provider protocol every issuer adapter implements, and the shapes it speaks.

Amounts cross this boundary as ``Money`` (minor units); each adapter converts to its API's unit
inside itself. ``CardSecrets`` is only ever held in memory on its way into one chat message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from services.money import Money


class Capability(StrEnum):
    ISSUE = "issue"
    TOPUP = "topup"
    WITHDRAW = "withdraw"
    FREEZE = "freeze"
    TERMINATE = "terminate"
    REVEAL = "reveal"
    STATEMENT = "statement"
    CHOOSE_BRAND = "choose_brand"
    INITIAL_AMOUNT = "initial_amount"
    SIMULATE = "simulate"
    LIMITS = "limits"  # change a card's limits at any time
    LIMITS_AT_ISSUE = "limits_at_issue"  # limits only when the card is created (Nuvion)
    DISPOSABLE = "disposable"
    WALLET_PAY = "wallet_pay"
    AIRLINE_TOGGLE = "airline_toggle"
    DISPUTES = "disputes"
    PRODUCTS = "products"  # the product/program list comes from the API


class CardStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FROZEN = "frozen"
    TERMINATED = "terminated"


class KycStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProviderError(Exception):
    """A provider refused or failed. ``code`` is a message-catalogue id for the chat.

    ``definite`` says whether the provider certainly did not act (safe to release a hold);
    an indefinite failure must be resolved by looking the reference up.
    """

    def __init__(self, code: str, detail: str = "", *, definite: bool = True) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.definite = definite


@dataclass(frozen=True)
class KycApplication:
    reference: str  # our user id: the provider's external reference
    first_name: str
    last_name: str
    birth_date: date
    country: str  # ISO alpha-2
    phone_e164: str
    address_line1: str
    city: str
    region: str
    postal_code: str
    id_type: str
    id_number: str
    id_photo: bytes
    selfie: bytes


@dataclass(frozen=True)
class KycResult:
    customer_id: str
    status: KycStatus
    reason: str | None = None


@dataclass(frozen=True)
class Limits:
    """Spending controls; None means no limit of that kind."""

    daily: Money | None = None
    per_transaction: Money | None = None
    daily_count: int | None = None  # transactions per day (Nuvion)
    cycle: str | None = None  # billing cycle for cycle_count: daily weekly monthly (Nuvion)
    cycle_count: int | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (self.daily, self.per_transaction, self.daily_count, self.cycle_count)
        )


@dataclass(frozen=True)
class Product:
    """A card product or program offered by the issuer (discovered, never hard-coded)."""

    code: str
    name: str
    brand: str = "visa"
    wallets: tuple[str, ...] = ()  # "apple_pay", "google_pay"
    disposable: bool = False


@dataclass(frozen=True)
class Cardholder:
    """Who the card is for, for issuers that want it on the card request."""

    first_name: str
    last_name: str
    phone_e164: str
    country: str
    email: str | None = None


@dataclass(frozen=True)
class IssueRequest:
    customer_id: str
    reference: str  # our idempotency reference, reused on every retry
    brand: str
    initial: Money
    product: str | None = None
    disposable: bool = False
    wallet: str | None = None
    cardholder: Cardholder | None = None
    limits: Limits | None = None


@dataclass(frozen=True)
class ProviderCard:
    card_id: str
    brand: str
    last4: str
    masked_pan: str
    status: CardStatus
    balance: Money
    disposable: bool = False
    wallet: str | None = None
    limits: Limits | None = None
    airline_payments: bool | None = None


@dataclass(frozen=True)
class Dispute:
    id: str
    status: str  # open under_review won lost


@dataclass(frozen=True)
class CardSecrets:
    pan: str
    cvv: str
    expiry_month: int
    expiry_year: int

    def __repr__(self) -> str:  # never let a traceback or a log print the secrets
        return f"CardSecrets(pan=…{self.pan[-4:]}, cvv=***)"

    __str__ = __repr__


@dataclass(frozen=True)
class ProviderTransaction:
    id: str
    kind: str  # topup withdraw purchase refund decline fee
    amount: Money
    status: str  # approved declined
    created_at: datetime
    merchant: str | None = None
    decline_reason: str | None = None
    balance_after: Money | None = None


@dataclass(frozen=True)
class TransactionPage:
    items: list[ProviderTransaction]
    has_more: bool
    page: int = 0


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    capabilities: frozenset[Capability]
    brands: tuple[str, ...] = field(default=("visa",))


class CardProvider(Protocol):
    info: ProviderInfo

    async def submit_kyc(self, application: KycApplication) -> KycResult: ...
    async def kyc_status(self, customer_id: str) -> KycResult: ...
    async def products(self) -> list[Product]: ...
    async def issue_card(self, request: IssueRequest) -> ProviderCard: ...
    async def find_card_by_reference(self, reference: str) -> ProviderCard | None: ...
    async def get_card(self, card_id: str) -> ProviderCard: ...
    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard: ...
    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        """Whether a top-up or withdrawal with our reference was applied: True, False (it
        certainly was not), or None (cannot tell yet). Asked after an unclear failure."""

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard: ...
    async def freeze(self, card_id: str) -> ProviderCard: ...
    async def unfreeze(self, card_id: str) -> ProviderCard: ...
    async def terminate(self, card_id: str) -> ProviderCard: ...
    async def reveal(self, card_id: str) -> CardSecrets: ...
    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage: ...
    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard: ...
    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard: ...
    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute: ...


class EventKind(StrEnum):
    AUTHORIZATION = "authorization"  # a purchase holds funds
    SETTLEMENT = "settlement"  # a purchase is final (after or without an authorization)
    REVERSAL = "reversal"  # an authorization released
    REFUND = "refund"  # a merchant gives money back
    DECLINE = "decline"  # a purchase refused (reason says why)
    CARD_STATUS = "card_status"  # the issuer froze, unfroze or terminated a card
    KYC_RESULT = "kyc_result"  # a review decided
    FUNDING = "funding"  # a top-up or withdrawal the issuer confirms (by our reference)


@dataclass(frozen=True)
class ProviderEvent:
    """One thing an issuer tells us happened, in our words (parsed from its webhook)."""

    event_id: str  # the issuer's id for the delivery's event: exactly-once key
    kind: EventKind
    occurred_at: datetime
    card_id: str | None = None  # the issuer's card id
    customer_id: str | None = None
    amount: Money | None = None
    merchant: str | None = None
    transaction_id: str | None = None  # ties an authorization to its settlement or reversal
    reason: str | None = None  # decline reason, KYC rejection reason
    status: str | None = None  # CardStatus for card_status; KycStatus for kyc_result
    reference: str | None = None  # our reference, on funding confirmations
    balance: Money | None = None  # the issuer's balance after it, when the event carries one
