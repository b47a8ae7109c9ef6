"""Operator tools for the built-in sandbox issuer (`cardbot sandbox …`)."""

from __future__ import annotations

from sqlmodel import col, select

from services.errors import ServiceError
from services.money import Money
from services.providers.base import CardProvider
from services.providers.sandbox import SandboxProvider
from storage.db import Database
from storage.models import Card


async def list_cards(db: Database, tenant: str) -> list[str]:
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Card).where(Card.tenant == tenant).order_by(col(Card.created_at))
            )
        ).all()
    if not rows:
        return ["no cards yet"]
    return [
        f"•••• {c.last4}  {c.brand:<10} {c.status:<10} {Money(c.balance_minor).format()}"
        for c in rows
    ]


async def simulate(
    db: Database,
    provider: CardProvider | None,
    tenant: str,
    last4: str,
    action: str,
    amount: Money,
    merchant: str,
    *,
    airline: bool = False,
) -> str:
    if not isinstance(provider, SandboxProvider):
        raise ServiceError("sandbox-only")
    async with db.session() as session:
        cards = (
            await session.exec(
                select(Card).where(
                    Card.tenant == tenant, Card.last4 == last4, Card.provider == "sandbox"
                )
            )
        ).all()
    if len(cards) != 1:
        raise ServiceError("card-not-found" if not cards else "card-ambiguous")
    card = cards[0]
    if action == "purchase":
        txn = await provider.simulate_purchase(
            card.provider_card_id, amount, merchant, airline=airline
        )
    else:
        txn = await provider.simulate_refund(card.provider_card_id, amount, merchant)
    outcome = txn.status if txn.status == "approved" else f"declined ({txn.decline_reason})"
    balance = txn.balance_after.format() if txn.balance_after else "?"
    return f"{action} of {amount.format()} at {merchant}: {outcome}; card balance {balance}"
