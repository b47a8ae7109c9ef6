"""Who is support staff: admins and agents from settings, and agents admins add in the chat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from services.errors import ServiceError
from services.settings import Settings
from storage.db import Database
from storage.models import Staff, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


class StaffService:
    def __init__(
        self, db: Database, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.settings = settings
        self.tenant = settings.tenant
        self.clock = clock

    async def role_of(self, telegram_id: int) -> Role | None:
        if telegram_id in self.settings.admin_ids:
            return Role.ADMIN
        if telegram_id in self.settings.agent_ids:
            return Role.AGENT
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(Staff).where(
                        Staff.tenant == self.tenant, Staff.telegram_id == telegram_id
                    )
                )
            ).first()
        return Role(row.role) if row else None

    async def require(self, telegram_id: int, needed: Role) -> Role:
        """The actor's role, if it is enough; an admin can do what an agent can."""
        role = await self.role_of(telegram_id)
        if role is None or (needed is Role.ADMIN and role is not Role.ADMIN):
            raise ServiceError("admin-not-allowed")
        return role

    async def add_agent(self, actor: int, telegram_id: int) -> bool:
        await self.require(actor, Role.ADMIN)
        if await self.role_of(telegram_id) is not None:
            return False
        try:
            async with self.db.session() as session:
                session.add(
                    Staff(
                        tenant=self.tenant,
                        telegram_id=telegram_id,
                        role=Role.AGENT,
                        added_by=actor,
                        added_at=self.clock(),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def remove_agent(self, actor: int, telegram_id: int) -> bool:
        await self.require(actor, Role.ADMIN)
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(Staff).where(
                        Staff.tenant == self.tenant, Staff.telegram_id == telegram_id
                    )
                )
            ).first()
            if row is None:
                return False
            await session.delete(row)
        return True
