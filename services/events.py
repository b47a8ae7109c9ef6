"""Applying what issuers tell us (webhooks, the sandbox's own events) exactly once.

Every money effect is a ledger posting keyed by the issuer's transaction or event id, so a
duplicate delivery books nothing, and events arriving out of order still book once: a
settlement that comes before its authorization settles straight from the card, and the late
authorization then finds the settlement and holds nothing. Card balances are mirrored from
these postings; `reconcile` compares the mirror with the issuer's own figure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlmodel import select

from services import ledger
from services.alerts import Alert, AlertSink
from services.ledger import Ledger, Leg, transfer
from services.money import Money
from services.providers.base import CardStatus, EventKind, ProviderEvent
from storage.db import Database
from storage.models import Card, LedgerEntry, LedgerTxn, ProviderCustomer, User, utcnow

log = structlog.get_logger(__name__)

LOW_BALANCE_MINOR = 500  # alert below $5
NUMERO_DECLINE_LIMIT = 3  # Numero terminates a card after three insufficient-balance declines


class EventProcessor:
    def __init__(
        self,
        db: Database,
        book: Ledger,
        alerts: AlertSink,
        tenant: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.ledger = book
        self.alerts = alerts
        self.tenant = tenant
        self.clock = clock
        self.cards: Any = None  # CardService, set by the composition root (it needs us too)

    async def apply(self, provider: str, event: ProviderEvent) -> None:
        handler = {
            EventKind.AUTHORIZATION: self._authorization,
            EventKind.SETTLEMENT: self._settlement,
            EventKind.REVERSAL: self._reversal,
            EventKind.REFUND: self._refund,
            EventKind.DECLINE: self._decline,
            EventKind.CARD_STATUS: self._card_status,
            EventKind.KYC_RESULT: self._kyc_result,
            EventKind.FUNDING: self._funding,
        }[event.kind]
        await handler(provider, event)

    # -- purchases --
    async def _authorization(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None or event.amount is None:
            return
        txn = event.transaction_id or event.event_id
        if await self._any_posted(f"settle:{provider}:{txn}", f"reverse:{provider}:{txn}"):
            return  # it already settled or was released: nothing left to hold
        _posting, new = await self.ledger.post_now(
            f"auth:{provider}:{txn}",
            "authorization",
            f"hold at {event.merchant or 'merchant'}",
            transfer(ledger.card(card.id), ledger.card_hold(card.id), event.amount),
        )
        if new:
            await self._purchase_alert(provider, event, card)

    async def _settlement(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None or event.amount is None:
            return
        txn = event.transaction_id or event.event_id
        auth_ref = f"auth:{provider}:{txn}"
        held = await self._posted_amount(auth_ref, ledger.card_hold(card.id))
        legs = [Leg(ledger.MERCHANTS, event.amount)]
        if held is not None:  # release the hold; any difference comes from (or back to) the card
            legs += [
                Leg(ledger.card_hold(card.id), -held),
                Leg(ledger.card(card.id), held - event.amount),
            ]
        else:
            legs += [Leg(ledger.card(card.id), -event.amount)]
        _posting, new = await self.ledger.post_now(
            f"settle:{provider}:{txn}",
            "purchase",
            f"purchase at {event.merchant or 'merchant'}",
            legs,
        )
        await self._reset_declines(card)
        if new and held is None:  # an authorization already told them
            await self._purchase_alert(provider, event, card)

    async def _reversal(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None:
            return
        txn = event.transaction_id or event.event_id
        auth_ref = f"auth:{provider}:{txn}"
        held = await self._posted_amount(auth_ref, ledger.card_hold(card.id))
        if await self.ledger.posted(f"settle:{provider}:{txn}"):
            return  # settled purchases come back as refunds, not reversals
        legs = (
            [] if held is None else transfer(ledger.card_hold(card.id), ledger.card(card.id), held)
        )
        # Posted even when empty: a marker, so a late authorization holds nothing.
        await self.ledger.post_now(f"reverse:{provider}:{txn}", "reversal", "hold released", legs)

    async def _refund(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None or event.amount is None:
            return
        _posting, new = await self.ledger.post_now(
            f"refund:{provider}:{event.event_id}",
            "refund",
            f"refund from {event.merchant or 'merchant'}",
            transfer(ledger.MERCHANTS, ledger.card(card.id), event.amount),
        )
        if new:
            await self._alert(
                card,
                "refund",
                f"{provider}:{event.event_id}",
                amount=event.amount,
                merchant=event.merchant or "",
                balance=await self._balance(card),
            )

    async def _decline(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None:
            return
        _marker, new = await self.ledger.post_now(
            f"decline:{provider}:{event.event_id}", "decline", event.reason or "declined", []
        )
        if not new:
            return
        streak = 0
        if event.reason == "insufficient_funds":
            async with self.db.session() as session:
                row = await session.get(Card, card.id)
                assert row is not None
                row.insufficient_declines += 1
                streak = row.insufficient_declines
                session.add(row)
        await self._alert(
            card,
            "decline",
            f"{provider}:{event.event_id}",
            amount=event.amount,
            merchant=event.merchant or "",
            reason=event.reason or "other",
            balance=await self._balance(card),
            streak=streak,
            strikes_left=max(NUMERO_DECLINE_LIMIT - streak, 0) if provider == "numero" else None,
        )

    # -- card, KYC and funding news --
    async def _card_status(self, provider: str, event: ProviderEvent) -> None:
        card = await self._card(provider, event)
        if card is None or event.status is None:
            return
        status = CardStatus(event.status)
        async with self.db.session() as session:
            row = await session.get(Card, card.id)
            assert row is not None
            changed = row.status != status
            row.status, row.updated_at = str(status), self.clock()
            session.add(row)
        returned = Money(0, card.currency)
        if status is CardStatus.TERMINATED and self.cards is not None:
            returned = await self.cards.return_balance(card.id, "card terminated by the issuer")
        if changed and status in (CardStatus.FROZEN, CardStatus.TERMINATED):
            await self._alert(
                card,
                f"card-{status}",
                f"{provider}:{event.event_id}",
                reason=event.reason or "",
                returned=returned,
            )

    async def _kyc_result(self, provider: str, event: ProviderEvent) -> None:
        if event.customer_id is None or event.status is None:
            return
        async with self.db.session() as session:
            customer = (
                await session.exec(
                    select(ProviderCustomer).where(
                        ProviderCustomer.tenant == self.tenant,
                        ProviderCustomer.provider == provider,
                        ProviderCustomer.customer_id == event.customer_id,
                    )
                )
            ).first()
            if customer is None or customer.kyc_status == event.status:
                return
            customer.kyc_status, customer.kyc_reason = event.status, event.reason
            customer.decided_at = self.clock()
            session.add(customer)
            user = await session.get(User, customer.user_id)
            assert user is not None
            if user.kyc_status == "pending":
                user.kyc_status, user.kyc_reason = event.status, event.reason
                session.add(user)
        await self.alerts.publish(
            Alert(
                customer.user_id,
                f"kyc-{event.status}",
                f"{provider}:{event.event_id}",
                {"reason": event.reason or ""},
            )
        )

    async def _funding(self, provider: str, event: ProviderEvent) -> None:
        """The issuer confirms one of our top-ups or withdrawals (by our reference)."""
        if event.reference is None or self.cards is None:
            return
        await self.cards.confirmed_by_issuer(event.reference)

    # -- helpers --
    async def _card(self, provider: str, event: ProviderEvent) -> Card | None:
        if event.card_id is None:
            return None
        async with self.db.session() as session:
            card: Card | None = (
                await session.exec(
                    select(Card).where(
                        Card.tenant == self.tenant,
                        Card.provider == provider,
                        Card.provider_card_id == event.card_id,
                    )
                )
            ).first()
        if card is None:
            log.warning("event.unknown_card", provider=provider, kind=str(event.kind))
        return card

    async def _any_posted(self, *references: str) -> bool:
        for reference in references:
            if await self.ledger.posted(reference):
                return True
        return False

    async def _posted_amount(self, reference: str, account: str) -> Money | None:
        """What a posting put on ``account`` (None when there is no such posting)."""
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(LedgerEntry.amount_minor, LedgerEntry.currency)
                    .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)  # type: ignore[arg-type]
                    .where(
                        LedgerTxn.tenant == self.tenant,
                        LedgerTxn.reference == reference,
                        LedgerEntry.account == account,
                    )
                )
            ).all()
        if not rows:
            return None
        return Money(sum(minor for minor, _ in rows), rows[0][1])

    async def _balance(self, card: Card) -> Money:
        return await self.ledger.balance(ledger.card(card.id), currency=card.currency)

    async def _reset_declines(self, card: Card) -> None:
        if card.insufficient_declines:
            async with self.db.session() as session:
                row = await session.get(Card, card.id)
                assert row is not None
                row.insufficient_declines = 0
                session.add(row)

    async def _purchase_alert(self, provider: str, event: ProviderEvent, card: Card) -> None:
        balance = await self._balance(card)
        await self._alert(
            card,
            "purchase",
            f"{provider}:{event.event_id}",
            amount=event.amount,
            merchant=event.merchant or "",
            balance=balance,
        )
        if balance.minor < LOW_BALANCE_MINOR:
            await self._alert(
                card, "low-balance", f"{provider}:{event.event_id}:low", balance=balance
            )

    async def _alert(self, card: Card, kind: str, key: str, **args: Any) -> None:
        args.setdefault("last4", card.last4)
        await self.alerts.publish(Alert(card.user_id, kind, key, args, card_id=card.id))
