"""Shared pieces for the money tests: an issuer that fails on demand, a crash, the books."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import App
from services import ledger
from services.money import Money
from services.providers.base import ProviderCard, ProviderError
from services.providers.sandbox import SandboxProvider
from storage.models import Card, Operation


class Crash(BaseException):
    """The process dies here (BaseException: nothing in the app catches it)."""


class FlakySandbox(SandboxProvider):
    """The sandbox issuer with faults queued per call: each fault is one of
    ``timeout-after`` (applied, answer lost), ``timeout-before`` (lost before applying),
    ``5xx-before``, ``5xx-after``, ``reset-after`` (connection reset after applying),
    ``refuse`` (a definite no)."""

    faults: list[str]

    async def _faulty(self, call: Callable[[], Awaitable[ProviderCard]]) -> ProviderCard:
        fault = self.faults.pop(0) if getattr(self, "faults", None) else None
        if fault == "refuse":
            raise ProviderError("provider-limit")
        if fault in ("timeout-before", "5xx-before"):
            raise ProviderError("provider-unavailable", fault, definite=False)
        result = await call()
        if fault in ("timeout-after", "5xx-after"):
            raise ProviderError("provider-unavailable", fault, definite=False)
        if fault == "reset-after":
            raise ConnectionResetError("connection reset by peer")
        return result

    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._faulty(lambda: SandboxProvider.top_up(self, card_id, amount, reference))

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._faulty(
            lambda: SandboxProvider.withdraw(self, card_id, amount, reference)
        )


def make_flaky(app: App) -> FlakySandbox:
    """Swap the app's sandbox for a flaky one over the same books (same name and secret)."""
    sandbox = app.services.provider
    assert isinstance(sandbox, SandboxProvider)
    flaky = FlakySandbox(sandbox.db, sandbox.secret, sandbox.tenant, 0, sandbox.clock)
    flaky.faults = []
    flaky.events = sandbox.events
    app.services.router.providers["sandbox"] = flaky
    return flaky


def crash_at(app: App, step: str, kind: str | None = None) -> None:
    """Make the next operation (of ``kind``) die right after ``step`` is recorded."""

    async def checkpoint(name: str, op: Operation) -> None:
        if name == step and (kind is None or op.kind == kind):
            app.services.cards.checkpoint = None
            raise Crash(step)

    app.services.cards.checkpoint = checkpoint


async def books_agree(app: App, *, settled: bool = True) -> dict[str, Any]:
    """The invariants: the ledger sums to zero, no wallet or card is negative, and (once nothing
    is in flight, ``settled``) every card's mirror equals what the issuer holds."""
    book = app.services.ledger
    assert await book.total() == 0
    wallets = await book.balances("wallet:")
    holds = await book.balances("hold:")
    assert all(m.minor >= 0 for m in wallets.values()), wallets
    assert all(m.minor >= 0 for m in holds.values()), holds
    async with app.db.session() as session:
        from sqlmodel import select

        cards = (await session.exec(select(Card))).all()
    figures: dict[str, Any] = {"wallets": wallets, "holds": holds, "cards": {}}
    for card in cards:
        issuer = await app.services.router.get(card.provider).get_card(card.provider_card_id)
        ours = await book.balance(ledger.card(card.id))
        assert ours.minor >= 0, (card.id, ours)
        if settled:
            assert ours == issuer.balance, (card.id, ours, issuer.balance)
        figures["cards"][card.id] = ours
    return figures


class AlertTee:
    """Records every alert and still hands it on to the real sink (render, then queue)."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.published: list[Any] = []

    async def publish(self, alert: Any) -> None:
        self.published.append(alert)
        await self.sink.publish(alert)


def record_alerts(app: App) -> AlertTee:
    tee = AlertTee(app.services.events.alerts)
    app.services.events.alerts = tee
    app.services.cards.alerts = tee
    app.services.wallet.alerts = tee
    return tee
