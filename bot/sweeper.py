"""The self-destruct sweeper: deletes revealed-card messages when their time is up, driven by
rows in the database so it resumes after a restart."""

from __future__ import annotations

import asyncio

import structlog

from bot.port import ChatPort, MessageGone
from handlers.events import Delete
from services.deletions import DeletionService

log = structlog.get_logger(__name__)


class Sweeper:
    def __init__(self, port: ChatPort, deletions: DeletionService, max_wait: float = 1.0) -> None:
        self.port = port
        self.deletions = deletions
        self.max_wait = max_wait
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the sweep in progress (so a deleted message is also marked done), then end."""
        self._stopping.set()
        self._wake.set()

    def poke(self) -> None:
        """A deletion was scheduled: re-check when the next one is due."""
        self._wake.set()

    async def sweep_once(self) -> int:
        done = 0
        for row in await self.deletions.due():
            try:
                await self.port.delete(Delete(row.chat_id, row.message_id))
            except MessageGone:
                pass  # already gone (the person deleted it): nothing left to do
            except Exception as exc:  # network trouble: retry later, never lose the row
                log.warning("sweeper.delete_failed", error=type(exc).__name__)
                await self.deletions.mark_failed(row.id, type(exc).__name__)
                continue
            await self.deletions.mark_done(row.id)
            done += 1
        return done

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep_once()
            except Exception:
                log.exception("sweeper.error")
            next_at = await self.deletions.next_due_at()
            wait = self.max_wait
            if next_at is not None:
                until = (next_at - self.deletions.clock()).total_seconds()
                wait = max(0.0, min(wait, until))
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass
