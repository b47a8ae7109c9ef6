"""The built-in sandbox issuer: in-process, persistent in the app's database, behaving like a
real one (review delays, pending cards, balances, freeze and terminate rules, declines).

Documented test inputs:
- KYC is rejected when the last name is ``Reject`` (document could not be verified) or the ID
  number is all zeros (ID number not found); anything else is approved after
  ``CARDBOT_SANDBOX_DELAY_SECONDS``.
- A card is pending for the same delay, then active.
- Card numbers come from test BINs 400000 (Visa) and 520000 (Mastercard), Luhn-valid. The number
  and CVV are derived from a secret key and the card id on each reveal and are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, func, select

from services.money import Money
from services.providers.base import (
    Capability,
    CardSecrets,
    CardStatus,
    Dispute,
    EventKind,
    IssueRequest,
    KycApplication,
    KycResult,
    KycStatus,
    Limits,
    Product,
    ProviderCard,
    ProviderError,
    ProviderEvent,
    ProviderInfo,
    ProviderTransaction,
    TransactionPage,
)
from services.providers.luhn import luhn_check_digit
from storage.db import Database
from storage.models import (
    SandboxCard,
    SandboxCustomer,
    SandboxDispute,
    SandboxTransaction,
    utcnow,
)

BINS = {"visa": "400000", "mastercard": "520000"}
PRODUCTS = (
    Product("USD_VIRTUAL", "Virtual card", "visa"),
    Product("USD_VIRTUAL_MC", "Virtual card", "mastercard"),
    Product(
        "USD_WALLET", "Apple Pay & Google Pay card", "visa", wallets=("apple_pay", "google_pay")
    ),
    Product("USD_SINGLE_USE", "Single-use card", "visa", disposable=True),
)
MAX_BALANCE_MINOR = 1_000_000  # the sandbox program caps a card at $10,000

Clock = Callable[[], datetime]


CAPABILITIES = frozenset(
    {
        Capability.ISSUE,
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.CHOOSE_BRAND,
        Capability.INITIAL_AMOUNT,
        Capability.SIMULATE,
        Capability.PRODUCTS,
        Capability.LIMITS,
        Capability.DISPOSABLE,
        Capability.WALLET_PAY,
        Capability.AIRLINE_TOGGLE,
        Capability.DISPUTES,
    }
)


class SandboxProvider:
    def __init__(
        self,
        db: Database,
        secret: bytes,
        tenant: str,
        delay_seconds: float = 3.0,
        clock: Clock = utcnow,
        *,
        name: str = "sandbox",
        capabilities: frozenset[Capability] = CAPABILITIES,
    ) -> None:
        # Another name and a narrower capability set let tests stand it in for a second issuer.
        self.info = ProviderInfo(name, capabilities, brands=("visa", "mastercard"))
        # Where card activity goes, as a real issuer's webhooks would (set by bot/app.py).
        self.events: Callable[[ProviderEvent], Awaitable[None]] | None = None
        self.db = db
        self.secret = secret
        self.tenant = tenant
        self.delay = timedelta(seconds=delay_seconds)
        self.clock = clock

    # -- KYC --
    async def submit_kyc(self, application: KycApplication) -> KycResult:
        outcome, reason = "approved", None
        if application.last_name.strip().lower() == "reject":
            outcome, reason = "rejected", "document_unverified"
        elif set(application.id_number) <= {"0"}:
            outcome, reason = "rejected", "id_not_found"
        customer = SandboxCustomer(
            tenant=self.tenant, outcome=outcome, reason=reason, decide_at=self.clock() + self.delay
        )
        async with self.db.session() as session:
            session.add(customer)
        return await self.kyc_status(customer.id)

    async def kyc_status(self, customer_id: str) -> KycResult:
        async with self.db.session() as session:
            customer = await session.get(SandboxCustomer, customer_id)
        if customer is None or customer.tenant != self.tenant:
            raise ProviderError("provider-not-found", "customer")
        if self.clock() < customer.decide_at:
            return KycResult(customer.id, KycStatus.PENDING)
        return KycResult(customer.id, KycStatus(customer.outcome), customer.reason)

    # -- cards --
    async def products(self) -> list[Product]:
        return list(PRODUCTS)

    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        product = self._product(request)
        initial = request.initial
        self._usd(initial)
        if initial.minor > MAX_BALANCE_MINOR:
            raise ProviderError("provider-limit")
        if request.wallet and request.wallet not in product.wallets:
            raise ProviderError("provider-bad-request", f"{product.code} has no {request.wallet}")
        async with self.db.session() as session:
            existing = await self._card_by_reference(session, request.reference)
            if existing is not None:  # the same request again: the same card, issued once
                return self._view(existing)
            status = await self.kyc_status(request.customer_id)
            if status.status is not KycStatus.APPROVED:
                raise ProviderError("provider-kyc-not-approved")
            now = self.clock()
            limits = request.limits or Limits()
            if product.disposable:  # single-use cards live a month, others three years
                expiry_month, expiry_year = now.month % 12 + 1, now.year + (now.month == 12)
            else:
                expiry_month, expiry_year = now.month, now.year + 3
            card = SandboxCard(
                tenant=self.tenant,
                customer_id=request.customer_id,
                reference=request.reference,
                brand=product.brand,
                product=product.code,
                disposable=product.disposable,
                wallet=request.wallet,
                daily_limit_minor=limits.daily.minor if limits.daily else None,
                per_txn_limit_minor=limits.per_transaction.minor
                if limits.per_transaction
                else None,
                status=CardStatus.PENDING,
                activate_at=now + self.delay,
                balance_minor=initial.minor,
                expiry_month=expiry_month,
                expiry_year=expiry_year,
                created_at=now,
            )
            session.add(card)
            if initial.minor:
                session.add(self._txn(card, "topup", initial.minor, reference=request.reference))
        return self._view(card)

    def _product(self, request: IssueRequest) -> Product:
        """The product asked for by code, or the one matching brand, wallet and single use."""
        if request.product is not None:
            matches = [p for p in PRODUCTS if p.code == request.product]
        else:
            matches = [
                p
                for p in PRODUCTS
                if p.brand == request.brand
                and p.disposable == request.disposable
                and (request.wallet in p.wallets if request.wallet else not p.wallets)
            ]
        if not matches:
            wanted = request.product or request.brand
            raise ProviderError("provider-bad-request", f"no product {wanted}")
        return matches[0]

    async def find_card_by_reference(self, reference: str) -> ProviderCard | None:
        async with self.db.session() as session:
            card = await self._card_by_reference(session, reference)
        return None if card is None else self._view(card)

    async def get_card(self, card_id: str) -> ProviderCard:
        async with self.db.session() as session:
            return self._view(await self._card(session, card_id))

    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move(card_id, amount, reference, "topup")

    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        async with self.db.session() as session:
            await self._card(session, card_id)
            row = (
                await session.exec(
                    select(SandboxTransaction).where(
                        SandboxTransaction.card_id == card_id,
                        SandboxTransaction.reference == reference,
                    )
                )
            ).first()
        return row is not None

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move(card_id, amount, reference, "withdraw")

    async def freeze(self, card_id: str) -> ProviderCard:
        return await self._set_status(card_id, CardStatus.ACTIVE, CardStatus.FROZEN)

    async def unfreeze(self, card_id: str) -> ProviderCard:
        return await self._set_status(card_id, CardStatus.FROZEN, CardStatus.ACTIVE)

    async def terminate(self, card_id: str) -> ProviderCard:
        async with self.db.exclusive() as session:
            card = await self._card(session, card_id, lock=True)
            if card.status == CardStatus.TERMINATED:
                raise ProviderError("provider-card-terminated")
            if card.balance_minor:  # the remaining balance goes back to the program
                balance = card.balance_minor
                card.balance_minor = 0
                session.add(self._txn(card, "withdraw", balance, merchant="Card closed"))
            card.status = CardStatus.TERMINATED
            session.add(card)
        return self._view(card)

    async def reveal(self, card_id: str) -> CardSecrets:
        async with self.db.session() as session:
            card = await self._card(session, card_id)
        if card.status in (CardStatus.PENDING, CardStatus.TERMINATED):
            raise ProviderError(f"provider-card-{card.status}")
        return CardSecrets(self._pan(card), self._cvv(card), card.expiry_month, card.expiry_year)

    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage:
        async with self.db.session() as session:
            card = await self._card(session, card_id)
            rows = (
                await session.exec(
                    select(SandboxTransaction)
                    .where(SandboxTransaction.card_id == card.id)
                    .order_by(col(SandboxTransaction.created_at).desc(), col(SandboxTransaction.id))
                    .offset(page * size)
                    .limit(size + 1)
                )
            ).all()
        items = [self._txn_view(row) for row in rows[:size]]
        return TransactionPage(items, has_more=len(rows) > size, page=page)

    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard:
        for value in (limits.daily, limits.per_transaction):
            if value is not None:
                self._usd(value)
                if value.minor <= 0:
                    raise ProviderError("provider-bad-request", "a limit must be positive")
        async with self.db.session() as session:
            card = await self._card(session, card_id)
            if card.status == CardStatus.TERMINATED:
                raise ProviderError("provider-card-terminated")
            card.daily_limit_minor = limits.daily.minor if limits.daily else None
            card.per_txn_limit_minor = (
                limits.per_transaction.minor if limits.per_transaction else None
            )
            session.add(card)
        return self._view(card)

    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard:
        async with self.db.session() as session:
            card = await self._card(session, card_id)
            if card.status == CardStatus.TERMINATED:
                raise ProviderError("provider-card-terminated")
            card.airline_payments = enabled
            session.add(card)
        return self._view(card)

    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute:
        async with self.db.session() as session:
            card = await self._card(session, card_id)
            txn = await session.get(SandboxTransaction, transaction_id)
            if txn is None or txn.card_id != card.id:
                raise ProviderError("provider-not-found", "transaction")
            if txn.kind != "purchase" or txn.status != "approved":
                raise ProviderError("provider-not-disputable")
            existing = (
                await session.exec(
                    select(SandboxDispute).where(SandboxDispute.transaction_id == txn.id)
                )
            ).first()
            if existing is not None:
                raise ProviderError("provider-dispute-exists")
            dispute = SandboxDispute(
                tenant=self.tenant,
                card_id=card.id,
                transaction_id=txn.id,
                reason=reason[:255],
                created_at=self.clock(),
            )
            session.add(dispute)
        return Dispute(dispute.id, dispute.status)

    # -- simulation (cardbot sandbox …) --
    async def simulate_purchase(
        self, card_id: str, amount: Money, merchant: str, *, airline: bool = False
    ) -> ProviderTransaction:
        self._usd(amount)
        async with self.db.exclusive() as session:
            card = await self._card(session, card_id, lock=True)
            reason = await self._decline_reason(session, card, amount, airline)
            closed = False
            if reason:
                row = self._txn(card, "purchase", amount.minor, merchant, "declined", reason)
                session.add(row)
            else:
                card.balance_minor -= amount.minor
                row = self._txn(card, "purchase", amount.minor, merchant)
                session.add(row)
                if card.disposable:  # used once: blocked, the rest goes back
                    card.status, closed = CardStatus.TERMINATED, True
                    if card.balance_minor:
                        back = card.balance_minor
                        card.balance_minor = 0
                        session.add(
                            self._txn(card, "withdraw", back, merchant="Single-use card closed")
                        )
                session.add(card)
        kind = EventKind.DECLINE if reason else EventKind.SETTLEMENT
        await self._emit(kind, card, row, amount=amount, merchant=merchant, reason=reason)
        if closed:
            await self._emit(
                EventKind.CARD_STATUS,
                card,
                row,
                status=CardStatus.TERMINATED,
                event_id=f"{row.id}:closed",
                reason="single_use",
            )
        return self._txn_view(row)

    async def _emit(
        self,
        kind: EventKind,
        card: SandboxCard,
        row: SandboxTransaction,
        *,
        event_id: str | None = None,
        **fields: Any,
    ) -> None:
        if self.events is None:
            return
        await self.events(
            ProviderEvent(
                event_id=event_id or row.id,
                kind=kind,
                occurred_at=row.created_at,
                card_id=card.id,
                transaction_id=row.id,
                **fields,
            )
        )

    async def _decline_reason(
        self, session: Any, card: SandboxCard, amount: Money, airline: bool
    ) -> str | None:
        if card.status != CardStatus.ACTIVE:
            return f"card_{card.status}"
        if airline and not card.airline_payments:
            return "airline_blocked"
        if card.per_txn_limit_minor is not None and amount.minor > card.per_txn_limit_minor:
            return "over_transaction_limit"
        if card.daily_limit_minor is not None:
            since = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
            spent = (
                await session.exec(
                    select(func.coalesce(func.sum(SandboxTransaction.amount_minor), 0)).where(
                        SandboxTransaction.card_id == card.id,
                        SandboxTransaction.kind == "purchase",
                        SandboxTransaction.status == "approved",
                        SandboxTransaction.created_at >= since,
                    )
                )
            ).one()
            if spent + amount.minor > card.daily_limit_minor:
                return "over_daily_limit"
        if amount.minor > card.balance_minor:
            return "insufficient_funds"
        return None

    async def simulate_refund(
        self, card_id: str, amount: Money, merchant: str
    ) -> ProviderTransaction:
        self._usd(amount)
        async with self.db.exclusive() as session:
            card = await self._card(session, card_id, lock=True)
            if card.status == CardStatus.TERMINATED:
                raise ProviderError("provider-card-terminated")
            card.balance_minor += amount.minor
            session.add(card)
            row = self._txn(card, "refund", amount.minor, merchant)
            session.add(row)
        await self._emit(EventKind.REFUND, card, row, amount=amount, merchant=merchant)
        return self._txn_view(row)

    # -- internals --
    async def _move(self, card_id: str, amount: Money, reference: str, kind: str) -> ProviderCard:
        self._usd(amount)
        if amount.minor <= 0:
            raise ProviderError("provider-bad-request", "amount must be positive")
        async with self.db.exclusive() as session:
            card = await self._card(session, card_id, lock=True)
            done = (
                await session.exec(
                    select(SandboxTransaction).where(
                        SandboxTransaction.reference == reference,
                        SandboxTransaction.tenant == self.tenant,
                    )
                )
            ).first()
            if done is not None:  # idempotent: this reference already moved the money
                return self._view(card)
            if card.status != CardStatus.ACTIVE:
                raise ProviderError(f"provider-card-{card.status}")
            delta = amount.minor if kind == "topup" else -amount.minor
            if card.balance_minor + delta < 0:
                raise ProviderError("provider-insufficient-funds")
            if card.balance_minor + delta > MAX_BALANCE_MINOR:
                raise ProviderError("provider-limit")
            card.balance_minor += delta
            session.add(card)
            session.add(self._txn(card, kind, amount.minor, reference=reference))
        return self._view(card)

    async def _set_status(
        self, card_id: str, expected: CardStatus, target: CardStatus
    ) -> ProviderCard:
        async with self.db.session() as session:
            card = await self._card(session, card_id)
            if card.status == target:
                return self._view(card)  # already there: repeating is harmless
            if card.status != expected:
                raise ProviderError(f"provider-card-{card.status}")
            card.status = target
            session.add(card)
        return self._view(card)

    async def _card(self, session: object, card_id: str, *, lock: bool = False) -> SandboxCard:
        """The card (and, with ``lock``, its row held until the unit of work ends, so two
        movements on one card cannot both read the same balance)."""
        card = await session.get(  # type: ignore[attr-defined]
            SandboxCard, card_id, with_for_update=lock
        )
        if card is None or card.tenant != self.tenant:
            raise ProviderError("provider-not-found", "card")
        if card.status == CardStatus.PENDING and self.clock() >= card.activate_at:
            card.status = CardStatus.ACTIVE
            session.add(card)  # type: ignore[attr-defined]
        return card

    async def _card_by_reference(self, session: object, reference: str) -> SandboxCard | None:
        row = (
            await session.exec(  # type: ignore[attr-defined]
                select(SandboxCard).where(
                    SandboxCard.reference == reference, SandboxCard.tenant == self.tenant
                )
            )
        ).first()
        return row if row is None else await self._card(session, row.id)

    def _digits(self, card: SandboxCard, purpose: str) -> str:
        digest = hmac.new(self.secret, f"{purpose}:{card.id}".encode(), hashlib.sha256).digest()
        return "".join(str(b % 10) for b in digest)

    def _pan(self, card: SandboxCard) -> str:
        partial = BINS[card.brand] + self._digits(card, "pan")[:9]
        return partial + luhn_check_digit(partial)

    def _cvv(self, card: SandboxCard) -> str:
        return self._digits(card, "cvv")[:3]

    def _view(self, card: SandboxCard) -> ProviderCard:
        pan = self._pan(card)
        return ProviderCard(
            card_id=card.id,
            brand=card.brand,
            last4=pan[-4:],
            masked_pan=f"{pan[:4]} {pan[4:6]}•• •••• {pan[-4:]}",
            status=CardStatus(card.status),
            balance=Money(card.balance_minor),
            disposable=card.disposable,
            wallet=card.wallet,
            limits=Limits(
                daily=None if card.daily_limit_minor is None else Money(card.daily_limit_minor),
                per_transaction=(
                    None if card.per_txn_limit_minor is None else Money(card.per_txn_limit_minor)
                ),
            ),
            airline_payments=card.airline_payments,
        )

    def _txn(
        self,
        card: SandboxCard,
        kind: str,
        amount_minor: int,
        merchant: str | None = None,
        status: str = "approved",
        reason: str | None = None,
        reference: str | None = None,
    ) -> SandboxTransaction:
        return SandboxTransaction(
            tenant=self.tenant,
            card_id=card.id,
            kind=kind,
            amount_minor=amount_minor,
            merchant=merchant,
            status=status,
            decline_reason=reason,
            reference=reference,
            balance_after_minor=card.balance_minor,
            created_at=self.clock(),
        )

    @staticmethod
    def _txn_view(row: SandboxTransaction) -> ProviderTransaction:
        return ProviderTransaction(
            id=row.id,
            kind=row.kind,
            amount=Money(row.amount_minor),
            status=row.status,
            created_at=row.created_at,
            merchant=row.merchant,
            decline_reason=row.decline_reason,
            balance_after=Money(row.balance_after_minor),
        )

    @staticmethod
    def _usd(amount: Money) -> None:
        if amount.currency != "USD":
            raise ProviderError("provider-bad-request", "the sandbox issues USD cards only")
