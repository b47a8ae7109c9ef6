"""Running the real bot (aiogram or python-telegram-bot) against the fake Bot API in a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.telegram import serve
from tests.conftest import FakeClock, make_settings
from tests.fakebotapi import DEFAULT_TOKEN, FakeBotAPI

FRAMEWORKS = ["aiogram", "ptb"]


async def make_app(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock, **overrides: object
) -> App:
    settings = make_settings(
        tmp_path,
        telegram_token=DEFAULT_TOKEN,
        telegram_api_base=server.base_url,
        framework=framework,
        **overrides,
    )
    return await build_app(settings, clock=clock, configure_logs=False)


@asynccontextmanager
async def running(app: App, *, sweep_every: float = 0.05) -> AsyncIterator[asyncio.Task[None]]:
    """`serve(app)` in a task, yielded once polling runs; stopped (and awaited) on exit."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(app, stop=stop, ready=ready, sweep_every=sweep_every))
    ready_wait = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({task, ready_wait}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready_wait.cancel()
    if task.done():
        task.result()  # serve failed to start: show why
        raise AssertionError("serve() returned before it was ready")
    if not ready.is_set():
        task.cancel()
        raise AssertionError("serve() did not get ready in 10 s")
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


class ScheduledDeletions:
    """Notes each self-destruct the runtime records, so a test can move the clock only once
    the deletion is in the database (Telegram answers the send before the bot records it)."""

    def __init__(self, app: App) -> None:
        self.rows: list[tuple[int, int]] = []  # (chat_id, message_id)
        self._changed = asyncio.Event()
        deletions = app.services.deletions
        original = deletions.schedule

        async def schedule(chat_id: int, message_id: int, after_seconds: int) -> Any:
            row = await original(chat_id, message_id, after_seconds)
            self.rows.append((chat_id, message_id))
            self._changed.set()
            return row

        deletions.schedule = schedule  # type: ignore[method-assign]

    async def wait_for(self, chat_id: int, message_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while (chat_id, message_id) not in self.rows:
                self._changed.clear()
                await self._changed.wait()
