"""The cardholder's wallet: money with us, from which cards are loaded and to which they return.

Its balance is the ledger's ``wallet:<user>`` account. Taking money out of it (a hold for a
top-up or a new card) happens under a per-cardholder lock — an asyncio lock in this process and
a row lock on PostgreSQL — so simultaneous top-ups can never overdraw it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlmodel import select

from services import ledger
from services.alerts import Alert, AlertSink, DropAlerts
from services.errors import ServiceError
from services.ledger import Ledger, transfer
from services.money import Money
from services.provider_events import DepositEvent
from storage.db import Database
from storage.models import User, utcnow

log = structlog.get_logger(__name__)


class WalletService:
    def __init__(
        self, db: Database, book: Ledger, tenant: str, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.ledger = book
        self.tenant = tenant
        self.clock = clock
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.alerts: AlertSink = DropAlerts()  # the composition root gives the real one

    async def balance(self, user_id: str) -> Money:
        return await self.ledger.balance(ledger.wallet(user_id))

    @asynccontextmanager
    async def locked(self, user_id: str) -> AsyncIterator[Any]:
        """A unit of work in which this cardholder's wallet cannot change under us."""
        async with self._locks[user_id], self.db.exclusive() as session:
            await session.exec(select(User.id).where(User.id == user_id).with_for_update())
            yield session

    async def deposit(self, user_id: str, amount: Money, reference: str, reason: str) -> bool:
        """Money in from outside (the sandbox, the business's payment system): once per
        reference. Returns False when that reference was already credited."""
        if amount.minor <= 0:
            raise ServiceError("amount-not-positive")
        _txn, new = await self.ledger.post_now(
            f"deposit:{reference}",
            "deposit",
            reason,
            transfer(ledger.DEPOSITS, ledger.wallet(user_id), amount),
        )
        if new:
            log.info("wallet.deposit", user_id=user_id, amount_minor=amount.minor)
        return new

    async def apply_deposit(self, event: DepositEvent) -> None:
        """The business's signed deposit webhook: credit the cardholder once per reference."""
        user_id = event.user_id
        async with self.db.session() as session:
            query = select(User).where(User.tenant == self.tenant)
            if user_id is not None:
                query = query.where(User.id == user_id)
            else:
                query = query.where(User.telegram_id == event.telegram_id)
            user = (await session.exec(query)).first()
        if user is None:  # kept in the inbox as failed, for someone to look at
            raise LookupError("deposit for an unknown cardholder")
        if await self.deposit(user.id, event.amount, event.reference, "deposit"):
            await self.alerts.publish(
                Alert(
                    user.id,
                    "deposit",
                    f"deposit:{event.reference}",
                    {"amount": event.amount, "balance": await self.balance(user.id)},
                )
            )

    async def adjust(self, user_id: str, amount: Money, reference: str, reason: str) -> bool:
        """An admin credit (positive) or debit (negative), with its reason; never below zero."""
        if not reason.strip():
            raise ServiceError("adjust-reason-required")
        if amount.minor == 0:
            raise ServiceError("amount-not-positive")
        async with self.locked(user_id) as session:
            if amount.minor < 0:
                available = await self.ledger.balance(ledger.wallet(user_id), session)
                if available.minor + amount.minor < 0:
                    raise ServiceError("wallet-insufficient", balance=available, need=-amount)
            _txn, new = await self.ledger.post(
                session,
                f"adjust:{reference}",
                "credit" if amount.minor > 0 else "debit",
                reason,
                transfer(ledger.ADMIN, ledger.wallet(user_id), amount),
            )
        return new
