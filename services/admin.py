"""Support work, for admins and agents. Every method checks the actor's role here, in the
service, and writes the audit log; agents see personal data masked, and nobody sees a full card
number, CVV or unmasked ID number through any of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlmodel import col, func, select

from services import kyc_rules, ledger
from services.alerts import Alert, AlertSink
from services.cards import CardService
from services.errors import ServiceError
from services.money import Money
from services.onboarding import OnboardingService
from services.settings import Settings
from services.staff import Role, StaffService
from services.users import UserService
from services.wallet import WalletService
from storage.db import Database
from storage.models import (
    Approval,
    Card,
    KycProfile,
    LedgerEntry,
    LedgerTxn,
    OutboundMessage,
    ProviderCustomer,
    User,
    utcnow,
)
from storage.vault import Vault

log = structlog.get_logger(__name__)


class NoAudit:
    async def record(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class CardLine:
    id: str
    last4: str
    brand: str
    status: str
    balance: Money
    provider: str


@dataclass(frozen=True)
class Cardholder:
    user_id: str
    telegram_id: int
    name: str  # masked for agents
    phone: str  # masked for agents
    birth_date: str  # the year only, for agents
    country: str
    id_document: str  # type and masked number, for everyone
    kyc_status: str
    kyc_reason: str | None
    wallet: Money
    cards: list[CardLine] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    signups: int
    kyc_decisions: int
    cards_issued: int
    volume: Money


class AdminService:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        staff: StaffService,
        users: UserService,
        onboarding: OnboardingService,
        cards: CardService,
        wallet: WalletService,
        alerts: AlertSink,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.vault = vault
        self.staff = staff
        self.users = users
        self.onboarding = onboarding
        self.cards = cards
        self.wallet = wallet
        self.alerts = alerts
        self.settings = settings
        self.tenant = settings.tenant
        self.clock = clock
        self.audit: Any = NoAudit()  # the composition root gives the real audit log
        self.outbox: Any = None
        self.router: Any = None

    # -- finding people --
    async def find(self, actor: int, query: str) -> list[Cardholder]:
        role = await self.staff.require(actor, Role.AGENT)
        query = " ".join(query.split())
        if not query:
            raise ServiceError("admin-find-usage")
        parts = query.split(" ", 1)
        if len(parts) == 2 and parts[0].isdigit() and len(parts[0]) == 4:
            users = await self._by_last4_and_name(parts[0], parts[1])
        else:
            users = [await self._user(query)]
        await self._audit(actor, role, "find", None, {"query_kind": _query_kind(query)})
        return [await self._describe(user, role) for user in users]

    async def cardholder(self, actor: int, ref: str) -> Cardholder:
        role = await self.staff.require(actor, Role.AGENT)
        user = await self._user(ref)
        await self._audit(actor, role, "cardholder.view", user.id, {})
        return await self._describe(user, role)

    async def transactions(self, actor: int, card_ref: str, page: int = 0) -> tuple[CardLine, Any]:
        role = await self.staff.require(actor, Role.AGENT)
        card = await self._card(card_ref)
        account = await self.users.account_of(card.user_id)
        statement = await self.cards.statement(account, card.id, page)
        await self._audit(actor, role, "card.transactions", card.id, {"page": page})
        return await self._line(card), statement

    # -- acting on cards --
    async def set_frozen(self, actor: int, card_ref: str, frozen: bool, reason: str) -> CardLine:
        role = await self.staff.require(actor, Role.AGENT)
        if not reason.strip():
            raise ServiceError("admin-reason-required")
        card = await self._card(card_ref)
        account = await self.users.account_of(card.user_id)
        if frozen:
            await self.cards.freeze(account, card.id)
        else:
            await self.cards.unfreeze(account, card.id)
        action = "card.freeze" if frozen else "card.unfreeze"
        await self._audit(actor, role, action, card.id, {"reason": reason})
        await self.alerts.publish(
            Alert(
                card.user_id,
                "support-frozen" if frozen else "support-unfrozen",
                f"{action}:{card.id}:{uuid.uuid4().hex[:8]}",
                {"last4": card.last4, "reason": reason},
                card_id=card.id,
            )
        )
        return await self._line(await self._card(card.id))

    # -- KYC reviewed by the deployment itself --
    async def kyc_queue(self, actor: int) -> list[Cardholder]:
        role = await self.staff.require(actor, Role.AGENT)
        async with self.db.session() as session:
            users = (
                await session.exec(
                    select(User)
                    .where(User.tenant == self.tenant, User.kyc_status == "pending")
                    .order_by(col(User.updated_at))
                    .limit(20)
                )
            ).all()
        return [await self._describe(user, role) for user in users]

    async def kyc_documents(self, actor: int, ref: str) -> tuple[bytes, bytes]:
        """The ID photo and selfie, for a reviewer (shown as protected photos)."""
        role = await self.staff.require(actor, Role.AGENT)
        user = await self._user(ref)
        answers = await self.onboarding.answers(
            await self.users.account_of(user.id), with_photos=True
        )
        await self._audit(actor, role, "kyc.documents", user.id, {})
        return answers["id_photo"], answers["selfie"]

    async def kyc_decide(self, actor: int, ref: str, approve: bool, reason: str = "") -> str:
        role = await self.staff.require(actor, Role.AGENT)
        user = await self._user(ref)
        if user.kyc_status != "pending":
            raise ServiceError("admin-kyc-not-pending")
        if not approve and not reason.strip():
            raise ServiceError("admin-reason-required")
        status = "approved" if approve else "rejected"
        async with self.db.session() as session:
            row = await session.get(User, user.id)
            assert row is not None
            row.kyc_status, row.kyc_reason = status, None if approve else reason
            session.add(row)
            customers = (
                await session.exec(
                    select(ProviderCustomer).where(
                        ProviderCustomer.user_id == user.id,
                        ProviderCustomer.kyc_status == "pending",
                    )
                )
            ).all()
            for customer in customers:
                customer.kyc_status, customer.decided_at = status, self.clock()
                customer.kyc_reason = None if approve else reason
                session.add(customer)
        await self._audit(
            actor,
            role,
            f"kyc.{'approve' if approve else 'reject'}",
            user.id,
            {"reason": reason} if reason else {},
        )
        await self.alerts.publish(
            Alert(
                user.id,
                f"kyc-{status}",
                f"kyc-review:{user.id}:{uuid.uuid4().hex[:8]}",
                {"reason": reason},
            )
        )
        return status

    async def audit_tail(self, actor: int, limit: int = 20) -> list[Any]:
        """The newest audit entries (admins only: they name who did what to whom)."""
        role = await self.staff.require(actor, Role.ADMIN)
        entries = await self.audit.recent(max(1, min(limit, 50)))
        await self._audit(actor, role, "audit.view", None, {"limit": limit})
        return list(entries)

    # -- money: admins only; large amounts need a second admin --
    async def adjust(self, actor: int, ref: str, amount: Money, reason: str) -> tuple[str, str]:
        """Credit (positive) or debit a wallet. Returns ("done", posting ref) or
        ("waiting", approval id) when it is over the threshold."""
        role = await self.staff.require(actor, Role.ADMIN)
        if not reason.strip():
            raise ServiceError("admin-reason-required")
        if amount.minor == 0:
            raise ServiceError("amount-not-positive")
        user = await self._user(ref)
        if abs(amount.minor) > self.settings.credit_approval_minor:
            approval = Approval(
                tenant=self.tenant,
                user_id=user.id,
                amount_minor=amount.minor,
                currency=amount.currency,
                reason=reason[:255],
                requested_by=actor,
                created_at=self.clock(),
            )
            async with self.db.session() as session:
                session.add(approval)
            await self._audit(
                actor,
                role,
                "wallet.adjust.requested",
                user.id,
                {"amount_minor": amount.minor, "reason": reason, "approval": approval.id},
            )
            return "waiting", approval.id
        reference = f"admin:{uuid.uuid4().hex}"
        await self.wallet.adjust(user.id, amount, reference, f"{reason} (by {actor})")
        await self._audit(
            actor,
            role,
            "wallet.credit" if amount.minor > 0 else "wallet.debit",
            user.id,
            {"amount_minor": amount.minor, "reason": reason},
        )
        return "done", reference

    async def decide_approval(self, actor: int, approval_id: str, approve: bool) -> Approval:
        role = await self.staff.require(actor, Role.ADMIN)
        async with self.db.session() as session:
            approval = await session.get(Approval, approval_id)
        if approval is None or approval.tenant != self.tenant:
            raise ServiceError("admin-approval-not-found")
        if approval.status != "waiting":
            raise ServiceError("admin-approval-closed")
        if approval.requested_by == actor:
            raise ServiceError("admin-approval-same-admin")
        if approve:
            await self.wallet.adjust(
                approval.user_id,
                Money(approval.amount_minor, approval.currency),
                f"approval:{approval.id}",
                f"{approval.reason} (by {approval.requested_by}, approved by {actor})",
            )
        async with self.db.session() as session:
            row = await session.get(Approval, approval.id)
            assert row is not None
            row.status = "approved" if approve else "refused"
            row.decided_by, row.decided_at = actor, self.clock()
            session.add(row)
        await self._audit(
            actor,
            role,
            f"wallet.adjust.{row.status}",
            approval.user_id,
            {"approval": approval.id, "amount_minor": approval.amount_minor},
        )
        return row

    # -- the deployment --
    async def figures_today(self, actor: int) -> Figures:
        role = await self.staff.require(actor, Role.AGENT)
        since = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        async with self.db.session() as session:
            signups = (
                await session.exec(
                    select(func.count())
                    .select_from(User)
                    .where(User.tenant == self.tenant, User.created_at >= since)
                )
            ).one()
            decisions = (
                await session.exec(
                    select(func.count())
                    .select_from(ProviderCustomer)
                    .where(
                        ProviderCustomer.tenant == self.tenant,
                        col(ProviderCustomer.decided_at) >= since,
                    )
                )
            ).one()
            issued = (
                await session.exec(
                    select(func.count())
                    .select_from(Card)
                    .where(Card.tenant == self.tenant, Card.created_at >= since)
                )
            ).one()
            volume = (
                await session.exec(
                    select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
                    .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)  # type: ignore[arg-type]
                    .where(
                        LedgerTxn.tenant == self.tenant,
                        LedgerTxn.created_at >= since,
                        col(LedgerTxn.kind).in_(("topup", "issue", "purchase")),
                        col(LedgerEntry.account).startswith("card:"),
                        LedgerEntry.amount_minor > 0,
                    )
                )
            ).one()
        await self._audit(actor, role, "figures.today", None, {})
        return Figures(int(signups), int(decisions), int(issued), Money(int(volume)))

    async def broadcast(self, actor: int, message: str) -> int:
        """Queue one message to every cardholder (the outbound queue paces it); at most one
        broadcast per ``broadcast_every_seconds``."""
        role = await self.staff.require(actor, Role.ADMIN)
        if not message.strip():
            raise ServiceError("admin-broadcast-usage")
        window = self.clock() - timedelta(seconds=self.settings.broadcast_every_seconds)
        async with self.db.session() as session:
            recent = (
                await session.exec(
                    select(func.count())
                    .select_from(OutboundMessage)
                    .where(
                        OutboundMessage.tenant == self.tenant,
                        col(OutboundMessage.dedupe_key).contains(":broadcast:"),
                        OutboundMessage.created_at >= window,
                    )
                )
            ).one()
            chats = (
                await session.exec(select(User.telegram_id).where(User.tenant == self.tenant))
            ).all()
        if recent:
            raise ServiceError(
                "admin-broadcast-too-soon", minutes=self.settings.broadcast_every_seconds // 60
            )
        batch = uuid.uuid4().hex[:12]
        queued = 0
        for chat in chats:
            if await self.outbox.enqueue(
                chat, message, dedupe_key=f"{self.tenant}:broadcast:{batch}:{chat}"
            ):
                queued += 1
        await self._audit(actor, role, "broadcast", None, {"recipients": queued, "batch": batch})
        return queued

    async def health(self, actor: int) -> dict[str, str]:
        role = await self.staff.require(actor, Role.AGENT)
        report: dict[str, str] = {}
        try:
            async with self.db.session() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            report["database"] = "ok"
        except Exception as exc:
            report["database"] = f"down ({type(exc).__name__})"
        for name, provider in self.router.providers.items() if self.router else []:
            client = getattr(provider, "client", None)
            if client is None:
                report[f"issuer {name}"] = "ok (in-process)"
                continue
            try:
                await client.get("/", timeout=5)
                report[f"issuer {name}"] = "reachable"
            except Exception as exc:
                report[f"issuer {name}"] = f"unreachable ({type(exc).__name__})"
        report["outbound queue"] = str(await self.outbox.depth()) if self.outbox else "?"
        report["ledger total"] = str(await self.cards.ledger.total())
        await self._audit(actor, role, "health", None, {})
        return report

    # -- lookups and presentation --
    async def _user(self, ref: str) -> User:
        ref = ref.strip()
        async with self.db.session() as session:
            query = select(User).where(User.tenant == self.tenant)
            if ref.startswith("@"):
                index = self.vault.index("username", ref[1:].lower())
                query = query.where(User.username_bidx == index)
            elif ref.startswith("+"):
                try:
                    phone = kyc_rules.phone(ref, None)
                except ServiceError as exc:
                    raise ServiceError("admin-not-found") from exc
                profile = (
                    await session.exec(
                        select(KycProfile).where(
                            KycProfile.tenant == self.tenant,
                            KycProfile.phone_bidx == self.vault.index("phone", phone),
                        )
                    )
                ).first()
                if profile is None:
                    raise ServiceError("admin-not-found")
                query = query.where(User.id == profile.id)
            elif ref.isdigit():
                query = query.where(User.telegram_id == int(ref))
            elif len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref.lower()):
                query = query.where(col(User.id).startswith(ref.lower()))
            else:
                raise ServiceError("admin-find-usage")
            found = (await session.exec(query.limit(2))).all()
        if len(found) != 1:
            raise ServiceError("admin-not-found" if not found else "admin-ambiguous")
        return found[0]

    async def _by_last4_and_name(self, last4: str, name: str) -> list[User]:
        async with self.db.session() as session:
            cards = (
                await session.exec(
                    select(Card).where(Card.tenant == self.tenant, Card.last4 == last4)
                )
            ).all()
            users = [await session.get(User, c.user_id) for c in cards]
        wanted = name.casefold()
        matches: dict[str, User] = {}
        for user in users:
            if user is None:
                continue
            answers = await self.onboarding.answers(await self.users.account_of(user.id))
            full = f"{answers.get('first_name', '')} {answers.get('last_name', '')}".casefold()
            if wanted in full:
                matches[user.id] = user
        if not matches:
            raise ServiceError("admin-not-found")
        return list(matches.values())

    async def _card(self, ref: str) -> Card:
        ref = ref.strip().lower()
        async with self.db.session() as session:
            query = select(Card).where(Card.tenant == self.tenant)
            if ref.isdigit() and len(ref) == 4:
                query = query.where(Card.last4 == ref)
            elif len(ref) >= 6:
                query = query.where(col(Card.id).startswith(ref))
            else:
                raise ServiceError("admin-card-usage")
            found = (await session.exec(query.limit(2))).all()
        if len(found) != 1:
            raise ServiceError("admin-not-found" if not found else "admin-ambiguous")
        return found[0]

    async def _line(self, card: Card) -> CardLine:
        balance = await self.cards.ledger.balance(ledger.card(card.id), currency=card.currency)
        return CardLine(card.id, card.last4, card.brand, card.status, balance, card.provider)

    async def _describe(self, user: User, role: Role) -> Cardholder:
        account = await self.users.account_of(user.id)
        answers = await self.onboarding.answers(account)
        first, last = answers.get("first_name", ""), answers.get("last_name", "")
        phone = answers.get("phone", "")
        birth = answers.get("birth_date", "")
        if role is Role.AGENT:  # agents see enough to recognise someone, no more
            name = f"{first} {last[:1]}." if last else first
            phone = f"{phone[:4]}•••••{phone[-4:]}" if phone else ""
            birth = birth[:4]
        else:
            name = f"{first} {last}".strip()
        number = str(answers.get("id_number", ""))
        id_document = (
            f"{answers.get('id_type', '')} {'•' * max(len(number) - 4, 0)}{number[-4:]}"
            if number
            else ""
        )
        async with self.db.session() as session:
            cards = (
                await session.exec(
                    select(Card)
                    .where(Card.tenant == self.tenant, Card.user_id == user.id)
                    .order_by(col(Card.created_at))
                )
            ).all()
        return Cardholder(
            user.id,
            user.telegram_id,
            name or "—",
            phone or "—",
            birth or "—",
            answers.get("country", "—"),
            id_document or "—",
            user.kyc_status,
            user.kyc_reason,
            await self.wallet.balance(user.id),
            [await self._line(c) for c in cards],
        )

    async def _audit(
        self, actor: int, role: Role, action: str, subject: str | None, details: dict[str, Any]
    ) -> None:
        await self.audit.record(f"tg:{actor}", str(role), action, subject, details)


def _query_kind(query: str) -> str:
    if query.startswith("@"):
        return "username"
    if query.startswith("+"):
        return "phone"
    if query.isdigit():
        return "telegram_id"
    return "card+name" if " " in query else "id"
