"""Messages the bot must delete on time (revealed card details), kept durably in the database
so a restart still deletes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import col, select

from storage.db import Database
from storage.models import PendingDeletion, utcnow

# Telegram lets a bot delete its own messages for 48 hours; after that give up.
GIVE_UP_AFTER = timedelta(hours=47)
MAX_ATTEMPTS = 20


class DeletionService:
    def __init__(self, db: Database, tenant: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.tenant = tenant
        self.clock = clock

    async def schedule(self, chat_id: int, message_id: int, after_seconds: int) -> PendingDeletion:
        row = PendingDeletion(
            tenant=self.tenant,
            chat_id=chat_id,
            message_id=message_id,
            delete_at=self.clock() + timedelta(seconds=after_seconds),
        )
        async with self.db.session() as session:
            session.add(row)
        return row

    async def due(self, limit: int = 100) -> list[PendingDeletion]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(PendingDeletion)
                .where(
                    PendingDeletion.tenant == self.tenant,
                    col(PendingDeletion.done_at).is_(None),
                    PendingDeletion.delete_at <= self.clock(),
                )
                .order_by(col(PendingDeletion.delete_at))
                .limit(limit)
            )
            return list(rows.all())

    async def next_due_at(self) -> datetime | None:
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(PendingDeletion.delete_at)
                    .where(
                        PendingDeletion.tenant == self.tenant,
                        col(PendingDeletion.done_at).is_(None),
                    )
                    .order_by(col(PendingDeletion.delete_at))
                    .limit(1)
                )
            ).first()
        return row

    async def mark_done(self, deletion_id: str) -> None:
        async with self.db.session() as session:
            row = await session.get(PendingDeletion, deletion_id)
            if row is not None:
                row.done_at = self.clock()
                session.add(row)

    async def mark_failed(self, deletion_id: str, error: str) -> None:
        """Retry later, unless Telegram's window has passed or it keeps failing."""
        async with self.db.session() as session:
            row = await session.get(PendingDeletion, deletion_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error[:255]
            now = self.clock()
            if row.attempts >= MAX_ATTEMPTS or now - row.delete_at > GIVE_UP_AFTER:
                row.done_at = now
            else:
                row.delete_at = now + timedelta(seconds=min(2**row.attempts, 300))
            session.add(row)
