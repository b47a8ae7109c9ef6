"""The money loop: on start and then now and then, carry interrupted operations forward; less
often, reconcile every card's mirror with its issuer. Driven by rows in the database, so it can
stop and resume at any point."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from services.cards import CardService

log = structlog.get_logger(__name__)


class MoneyLoop:
    def __init__(
        self,
        cards: CardService,
        *,
        resume_every: float = 30.0,
        reconcile_every: float = 3600.0,
    ) -> None:
        self.cards = cards
        self.resume_every = resume_every
        self.reconcile_every = reconcile_every
        self._stopping = asyncio.Event()

    async def run_once(self, *, reconcile: bool = False) -> None:
        try:
            outcomes = await self.cards.resume()
            if outcomes:
                log.info("money.resumed", count=len(outcomes))
            if reconcile:
                fixes = await self.cards.reconcile()
                if fixes:
                    log.warning("money.reconciled", corrections=len(fixes))
        except Exception:  # the loop must outlive one bad pass
            log.exception("money.loop_failed")

    async def run(self) -> None:
        """Resume at once (operations a crash interrupted), then keep going until stopped."""
        since_reconcile = 0.0
        while not self._stopping.is_set():
            due = since_reconcile >= self.reconcile_every
            await self.run_once(reconcile=due)
            since_reconcile = 0.0 if due else since_reconcile + self.resume_every
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.resume_every)

    def stop(self) -> None:
        self._stopping.set()
