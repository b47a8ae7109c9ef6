"""Cards: issue, list, top up, withdraw, freeze, terminate, statement, reveal.

Every money movement and issuance is an ``Operation`` recorded before the issuer is called, with
an idempotency reference reused on every retry; confirming moves it from ``created`` to
``pending`` in one conditional update, so a second press of the same button moves no money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import update
from sqlmodel import col, func, select

from services.errors import ServiceError
from services.money import Money, percent_of
from services.providers.base import (
    Capability,
    CardProvider,
    CardSecrets,
    CardStatus,
    ProviderCard,
    ProviderError,
    TransactionPage,
)
from services.settings import Settings
from services.users import Account
from storage.db import Database
from storage.models import Card, Operation, User, utcnow

log = structlog.get_logger(__name__)

QUOTE_VALID_FOR = timedelta(minutes=15)
STATEMENT_PAGE_SIZE = 5


@dataclass(frozen=True)
class CardView:
    id: str
    brand: str
    last4: str
    masked_pan: str
    status: str
    balance: Money


@dataclass(frozen=True)
class Quote:
    operation_id: str
    kind: str  # issue topup withdraw
    amount: Money
    fee: Money
    total: Money  # what the cardholder pays (issue, top-up) or receives (withdraw)
    balance_after: Money
    card: CardView | None = None
    brand: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded already_done in_progress failed expired
    kind: str
    amount: Money
    card: CardView | None = None
    error: str | None = None


class CardService:
    def __init__(
        self,
        db: Database,
        provider: CardProvider,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.provider = provider
        self.settings = settings
        self.tenant = settings.tenant
        self.clock = clock

    def can(self, capability: Capability) -> bool:
        return capability in self.provider.info.capabilities

    @property
    def brands(self) -> tuple[str, ...]:
        return self.provider.info.brands

    # -- reading --
    async def list(self, account: Account) -> list[CardView]:
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(Card)
                    .where(Card.tenant == self.tenant, Card.user_id == account.id)
                    .order_by(col(Card.created_at))
                )
            ).all()
        views = []
        for row in rows:
            if row.status != CardStatus.TERMINATED:
                row = await self._refresh(row)
            views.append(self._view(row))
        return views

    async def view(self, account: Account, card_id: str) -> CardView:
        card = await self._own(account, card_id)
        if card.status != CardStatus.TERMINATED:
            card = await self._refresh(card)
        return self._view(card)

    async def active(self, account: Account, card_id: str) -> CardView:
        """The card, fresh from the issuer, if money can move on it now; else why not."""
        return self._view(await self._active(account, card_id))

    async def statement(self, account: Account, card_id: str, page: int) -> TransactionPage:
        self._require(Capability.STATEMENT)
        card = await self._own(account, card_id)
        return await self._call(
            self.provider.transactions(card.provider_card_id, max(page, 0), STATEMENT_PAGE_SIZE)
        )

    async def reveal(self, account: Account, card_id: str) -> tuple[CardView, CardSecrets]:
        """Card details fetched live for one message; never stored, never logged."""
        self._require(Capability.REVEAL)
        card = await self._refresh(await self._own(account, card_id))
        if card.status not in (CardStatus.ACTIVE, CardStatus.FROZEN):
            raise ServiceError(f"card-not-revealable-{card.status}")
        secrets = await self._call(self.provider.reveal(card.provider_card_id))
        log.info("card.revealed", card_id=card.id, user_id=account.id)
        return self._view(card), secrets

    # -- quotes: recorded intents, waiting for the person's confirmation --
    async def quote_issue(self, account: Account, brand: str, initial: Money) -> Quote:
        self._require(Capability.ISSUE)
        await self._require_kyc(account)
        if brand not in self.brands:
            raise ServiceError("card-brand-unknown")
        if initial.minor and not self.can(Capability.INITIAL_AMOUNT):
            raise ServiceError("card-initial-not-offered")
        if initial.minor:
            self._check_amount(initial, self.settings.max_topup_minor)
        async with self.db.session() as session:
            count = (
                await session.exec(
                    select(func.count())
                    .select_from(Card)
                    .where(
                        Card.tenant == self.tenant,
                        Card.user_id == account.id,
                        Card.status != CardStatus.TERMINATED,
                    )
                )
            ).one()
        if count >= self.settings.max_cards_per_user:
            raise ServiceError("card-limit-reached", count=self.settings.max_cards_per_user)
        fee = Money(self.settings.issue_fee_minor, initial.currency)
        op = await self._record(account, "issue", None, initial, fee, brand)
        return Quote(op.id, "issue", initial, fee, initial + fee, initial, brand=brand)

    async def quote_topup(self, account: Account, card_id: str, amount: Money) -> Quote:
        self._require(Capability.TOPUP)
        card = await self._active(account, card_id)
        self._check_amount(amount, self.settings.max_topup_minor)
        after = card.balance_minor + amount.minor
        if after > self.settings.max_card_balance_minor:
            room = Money(max(self.settings.max_card_balance_minor - card.balance_minor, 0))
            raise ServiceError("amount-over-card-cap", room=room)
        fee = percent_of(amount, self.settings.topup_fee_percent) + Money(
            self.settings.topup_fee_fixed_minor
        )
        op = await self._record(account, "topup", card, amount, fee)
        return Quote(op.id, "topup", amount, fee, amount + fee, Money(after), self._view(card))

    async def quote_withdraw(self, account: Account, card_id: str, amount: Money) -> Quote:
        self._require(Capability.WITHDRAW)
        card = await self._active(account, card_id)
        self._check_amount(amount, None)
        if amount.minor > card.balance_minor:
            raise ServiceError("amount-over-balance", balance=Money(card.balance_minor))
        fee = Money(self.settings.withdraw_fee_minor)
        if fee >= amount:
            raise ServiceError("amount-below-fee", fee=fee)
        op = await self._record(account, "withdraw", card, amount, fee)
        after = Money(card.balance_minor - amount.minor)
        return Quote(op.id, "withdraw", amount, fee, amount - fee, after, self._view(card))

    async def confirm(self, account: Account, operation_id: str) -> Outcome:
        """Carry out a quoted operation exactly once, however often it is confirmed."""
        async with self.db.session() as session:
            op = await session.get(Operation, operation_id)
            if op is None or op.user_id != account.id or op.tenant != self.tenant:
                raise ServiceError("operation-not-found")
            if op.status == "created" and self.clock() - op.created_at > QUOTE_VALID_FOR:
                op.status = "expired"
                session.add(op)
        if op.status != "created":
            return self._settled(op, await self._card_view(op.card_id))
        async with self.db.session() as session:
            claimed = await session.exec(  # type: ignore[call-overload]
                update(Operation)
                .where(col(Operation.id) == op.id, col(Operation.status) == "created")
                .values(status="pending", updated_at=self.clock())
            )
            won = claimed.rowcount == 1
        if not won:  # another press got here first
            async with self.db.session() as session:
                fresh = await session.get(Operation, op.id)
            assert fresh is not None
            return self._settled(fresh, await self._card_view(fresh.card_id))
        return await self._execute(account, op)

    # -- card state --
    async def freeze(self, account: Account, card_id: str) -> CardView:
        self._require(Capability.FREEZE)
        card = await self._own(account, card_id)
        return await self._apply(
            card, await self._call(self.provider.freeze(card.provider_card_id))
        )

    async def unfreeze(self, account: Account, card_id: str) -> CardView:
        self._require(Capability.FREEZE)
        card = await self._own(account, card_id)
        return await self._apply(
            card, await self._call(self.provider.unfreeze(card.provider_card_id))
        )

    async def terminate(self, account: Account, card_id: str) -> tuple[CardView, Money]:
        """Close the card for good; returns the balance that goes back to the cardholder."""
        self._require(Capability.TERMINATE)
        card = await self._own(account, card_id)
        if card.status == CardStatus.TERMINATED:
            raise ServiceError("card-already-terminated")
        returned = Money(card.balance_minor, card.currency)
        view = await self._apply(
            card, await self._call(self.provider.terminate(card.provider_card_id))
        )
        log.info("card.terminated", card_id=card.id, returned_minor=returned.minor)
        return view, returned

    # -- internals --
    async def _execute(self, account: Account, op: Operation) -> Outcome:
        amount = Money(op.amount_minor, op.currency)
        try:
            if op.kind == "issue":
                user = await self._user(account)
                assert op.brand is not None and user.provider_customer_id is not None
                issued = await self.provider.issue_card(
                    user.provider_customer_id, op.brand, amount, op.reference
                )
                card = await self._store_new_card(account, op, issued)
            else:
                card = await self._card_row(op.card_id)
                move = self.provider.top_up if op.kind == "topup" else self.provider.withdraw
                updated = await move(card.provider_card_id, amount, op.reference)
                await self._apply(card, updated)
        except ProviderError as exc:
            if exc.definite:
                await self._finish(op, "failed", exc.code)
                return Outcome(
                    "failed", op.kind, amount, await self._card_view(op.card_id), exc.code
                )
            log.warning("operation.unclear", operation_id=op.id, kind=op.kind, code=exc.code)
            return await self._resolve_unclear(account, op, amount)
        except Exception:  # a timeout or a dropped connection: the issuer may have acted
            log.exception("operation.unclear", operation_id=op.id, kind=op.kind)
            return await self._resolve_unclear(account, op, amount)
        await self._finish(op, "succeeded", None, card_id=card.id)
        log.info(
            "operation.succeeded", operation_id=op.id, kind=op.kind, amount_minor=op.amount_minor
        )
        return Outcome("succeeded", op.kind, amount, self._view(await self._card_row(card.id)))

    async def _resolve_unclear(self, account: Account, op: Operation, amount: Money) -> Outcome:
        """Look the reference up instead of guessing; stay pending when it cannot be told."""
        if op.kind == "issue":
            try:
                found = await self.provider.find_card_by_reference(op.reference)
            except Exception:
                found = None
            if found is not None:
                card = await self._store_new_card(account, op, found)
                await self._finish(op, "succeeded", None, card_id=card.id)
                return Outcome("succeeded", op.kind, amount, self._view(card))
        return Outcome("in_progress", op.kind, amount, await self._card_view(op.card_id))

    async def _store_new_card(self, account: Account, op: Operation, issued: ProviderCard) -> Card:
        async with self.db.session() as session:
            existing = (
                await session.exec(
                    select(Card).where(
                        Card.provider == self.provider.info.name,
                        Card.provider_card_id == issued.card_id,
                    )
                )
            ).first()
            if existing is not None:
                return existing
            card = Card(
                tenant=self.tenant,
                user_id=account.id,
                provider=self.provider.info.name,
                provider_card_id=issued.card_id,
                brand=issued.brand,
                last4=issued.last4,
                masked_pan=issued.masked_pan,
                status=str(issued.status),
                balance_minor=issued.balance.minor,
                currency=issued.balance.currency,
                created_at=self.clock(),
                updated_at=self.clock(),
            )
            session.add(card)
        return card

    async def _finish(
        self, op: Operation, status: str, error: str | None, card_id: str | None = None
    ) -> None:
        async with self.db.session() as session:
            row = await session.get(Operation, op.id)
            assert row is not None
            row.status = status
            row.error = error
            row.card_id = card_id or row.card_id
            row.updated_at = self.clock()
            session.add(row)

    def _settled(self, op: Operation, card: CardView | None) -> Outcome:
        amount = Money(op.amount_minor, op.currency)
        status = {"succeeded": "already_done", "pending": "in_progress"}.get(op.status, op.status)
        return Outcome(status, op.kind, amount, card, op.error)

    async def _record(
        self,
        account: Account,
        kind: str,
        card: Card | None,
        amount: Money,
        fee: Money,
        brand: str | None = None,
    ) -> Operation:
        op = Operation(
            tenant=self.tenant,
            user_id=account.id,
            card_id=card.id if card else None,
            kind=kind,
            amount_minor=amount.minor,
            fee_minor=fee.minor,
            currency=amount.currency,
            brand=brand,
            reference="",
            created_at=self.clock(),
            updated_at=self.clock(),
        )
        op.reference = f"cb-{op.id}"
        async with self.db.session() as session:
            session.add(op)
        return op

    def _check_amount(self, amount: Money, maximum: int | None) -> None:
        if amount.minor < self.settings.min_amount_minor:
            raise ServiceError("amount-below-min", min=Money(self.settings.min_amount_minor))
        if maximum is not None and amount.minor > maximum:
            raise ServiceError("amount-over-max", max=Money(maximum))

    def _require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise ServiceError("not-offered")

    async def _require_kyc(self, account: Account) -> None:
        user = await self._user(account)
        if user.kyc_status != "approved" or not user.provider_customer_id:
            raise ServiceError("kyc-required")

    async def _user(self, account: Account) -> User:
        async with self.db.session() as session:
            user = await session.get(User, account.id)
        assert user is not None
        return user

    async def _own(self, account: Account, card_id: str) -> Card:
        async with self.db.session() as session:
            card = await session.get(Card, card_id)
        if card is None or card.user_id != account.id or card.tenant != self.tenant:
            raise ServiceError("card-not-found")
        return card

    async def _active(self, account: Account, card_id: str) -> Card:
        card = await self._refresh(await self._own(account, card_id))
        if card.status != CardStatus.ACTIVE:
            raise ServiceError(f"card-not-active-{card.status}")
        return card

    async def _card_row(self, card_id: str | None) -> Card:
        async with self.db.session() as session:
            card = await session.get(Card, card_id) if card_id else None
        if card is None:
            raise ServiceError("card-not-found")
        return card

    async def _card_view(self, card_id: str | None) -> CardView | None:
        return self._view(await self._card_row(card_id)) if card_id else None

    async def _refresh(self, card: Card) -> Card:
        try:
            fresh = await self.provider.get_card(card.provider_card_id)
        except Exception:  # show what we last knew rather than fail the screen
            log.warning("card.refresh_failed", card_id=card.id)
            return card
        await self._apply(card, fresh)
        return card

    async def _apply(self, card: Card, fresh: ProviderCard) -> CardView:
        if card.status != fresh.status or card.balance_minor != fresh.balance.minor:
            async with self.db.session() as session:
                row = await session.get(Card, card.id)
                assert row is not None
                row.status = str(fresh.status)
                row.balance_minor = fresh.balance.minor
                row.updated_at = self.clock()
                session.add(row)
            card.status, card.balance_minor = row.status, row.balance_minor
        return self._view(card)

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            return await awaitable
        except ProviderError as exc:
            raise ServiceError(exc.code) from exc

    @staticmethod
    def _view(card: Card) -> CardView:
        return CardView(
            card.id,
            card.brand,
            card.last4,
            card.masked_pan,
            card.status,
            Money(card.balance_minor, card.currency),
        )
