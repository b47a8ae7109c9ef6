"""The double-entry ledger: every cent has a source and a destination.

A posting is a set of entries that sum to zero, recorded once per reference (a repeat with the
same reference is a no-op that returns the first posting). Balances are sums of entries; nothing
is overwritten. Accounts are plain names:

- ``wallet:<user>`` the cardholder's money with us; ``hold:<user>`` money set aside for an
  operation in flight;
- ``card:<card>`` what the card holds by our books; ``card-hold:<card>`` authorized, not settled;
- ``external:deposits`` money that came in from the business's payment system;
- ``external:merchants`` money spent at (or refunded by) merchants;
- ``external:issuer`` corrections when the issuer's figures say otherwise (reconcile);
- ``revenue:fees`` our fees; ``adjust:admin`` admin credits and debits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from services.money import Money
from storage.db import Database
from storage.models import LedgerEntry, LedgerTxn, utcnow

log = structlog.get_logger(__name__)

DEPOSITS = "external:deposits"
MERCHANTS = "external:merchants"
ISSUER = "external:issuer"
FEES = "revenue:fees"
ADMIN = "adjust:admin"


def wallet(user_id: str) -> str:
    return f"wallet:{user_id}"


def hold(user_id: str) -> str:
    return f"hold:{user_id}"


def card(card_id: str) -> str:
    return f"card:{card_id}"


def card_hold(card_id: str) -> str:
    return f"card-hold:{card_id}"


class LedgerError(Exception):
    pass


@dataclass(frozen=True)
class Leg:
    account: str
    amount: Money  # positive credits the account, negative debits it


def transfer(source: str, target: str, amount: Money) -> list[Leg]:
    """The two legs that move ``amount`` from one account to another."""
    return [Leg(source, -amount), Leg(target, amount)]


class Ledger:
    def __init__(self, db: Database, tenant: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.tenant = tenant
        self.clock = clock

    async def post(
        self,
        session: Any,
        reference: str,
        kind: str,
        reason: str,
        legs: Sequence[Leg],
        operation_id: str | None = None,
    ) -> tuple[LedgerTxn, bool]:
        """Record a balanced posting in ``session`` once; returns (posting, newly posted)."""
        currencies = {leg.amount.currency for leg in legs}
        # No legs at all is a marker: "this happened" (a decline, an early reversal).
        if legs and (len(currencies) != 1 or sum(leg.amount.minor for leg in legs) != 0):
            raise LedgerError(f"unbalanced posting {reference}")
        existing = await self._by_reference(session, reference)
        if existing is not None:
            return existing, False
        txn = LedgerTxn(
            tenant=self.tenant,
            reference=reference,
            kind=kind,
            reason=reason[:255],
            operation_id=operation_id,
            created_at=self.clock(),
        )
        session.add(txn)
        await session.flush()  # the posting's row first: its entries point at it
        for leg in legs:
            if leg.amount.minor:
                session.add(
                    LedgerEntry(
                        tenant=self.tenant,
                        txn_id=txn.id,
                        account=leg.account,
                        amount_minor=leg.amount.minor,
                        currency=leg.amount.currency,
                    )
                )
        await session.flush()
        return txn, True

    async def post_now(
        self,
        reference: str,
        kind: str,
        reason: str,
        legs: Sequence[Leg],
        operation_id: str | None = None,
    ) -> tuple[LedgerTxn, bool]:
        """``post`` in its own unit of work; a concurrent duplicate counts as already posted."""
        try:
            async with self.db.session() as session:
                return await self.post(session, reference, kind, reason, legs, operation_id)
        except IntegrityError:
            async with self.db.session() as session:
                existing = await self._by_reference(session, reference)
            if existing is None:
                raise
            return existing, False

    async def balance(self, account: str, session: Any = None, currency: str = "USD") -> Money:
        query = select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.tenant == self.tenant,
            LedgerEntry.account == account,
            LedgerEntry.currency == currency,
        )
        if session is not None:
            total = (await session.exec(query)).one()
        else:
            async with self.db.session() as fresh:
                total = (await fresh.exec(query)).one()
        return Money(int(total), currency)

    async def posted(self, reference: str) -> bool:
        async with self.db.session() as session:
            return await self._by_reference(session, reference) is not None

    async def total(self) -> int:
        """The sum of every entry: zero, always (a test and the health check read it)."""
        async with self.db.session() as session:
            value = (
                await session.exec(
                    select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                        LedgerEntry.tenant == self.tenant
                    )
                )
            ).one()
        return int(value)

    async def balances(self, prefix: str) -> dict[str, Money]:
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
                    .where(
                        LedgerEntry.tenant == self.tenant,
                        col(LedgerEntry.account).startswith(prefix),
                    )
                    .group_by(LedgerEntry.account)
                )
            ).all()
        return {account: Money(int(total)) for account, total in rows}

    async def _by_reference(self, session: Any, reference: str) -> LedgerTxn | None:
        row: LedgerTxn | None = (
            await session.exec(
                select(LedgerTxn).where(
                    LedgerTxn.tenant == self.tenant, LedgerTxn.reference == reference
                )
            )
        ).first()
        return row
