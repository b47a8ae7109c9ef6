"""The provider-events server and the inbox worker.

Routes (aiohttp):

- ``POST /events/{provider}`` — an issuer's webhook (numero, bitnob, cartevo, cardprogram,
  nuvion, sandbox);
- ``POST /deposits`` — the business's signed deposit webhook (sender ``deposit``);
- ``GET /health`` — 200 while the server runs.

One delivery: read the raw body → verify its signature (services/webhooks.py; 401 / 400) →
read its event id (services/provider_events.py; 400 when there is none) → store it in the inbox
(services/inbox.py), committed → answer 200 (a replay of a stored event id also gets 200, and
``"duplicate": true``) → hand the new row to the processor in the background. What the
processor does never changes the answer: a failure leaves the row pending, and the
``InboxWorker`` retries it with growing pauses, from the database, so a restart loses nothing.
A sender without a configured secret is answered 503 (providers retry), a sender we do not know
404, a storage failure 503.

The processor is injected: ``async def process(row: InboxEvent) -> None`` (``App.process_event``
by default). Rows are handed to it one at a time per process; it must be idempotent per row
(provider + event id), because a crash after it applied an event but before the row was marked
processed makes it see that row again.

``cardbot run`` starts this alongside polling when ``CARDBOT_EVENTS_PORT`` is set;
``cardbot events`` runs only this (port ``CARDBOT_EVENTS_PORT``, default 8090).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from bot.logging import scrub_text
from services.inbox import PROCESSED, Inbox, ProcessEvent
from services.provider_events import EventParseError, identify
from services.webhooks import (
    DEFAULT_EVENTS_PORT,
    DEPOSIT,
    PROVIDERS,
    Verifier,
    WebhookRejected,
    WebhookSettings,
)
from storage.db import Database
from storage.models import InboxEvent, utcnow

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

DRAIN_TIMEOUT = 15.0  # seconds in-flight processing gets to finish when the server stops
PROCESS_TIMEOUT = 60.0  # one row's processing; past it the attempt counts as failed


def _answer(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


class InboxWorker:
    """Processes inbox rows: those handed over by the server as they arrive, and (``run``)
    whatever is still pending in the database, oldest first, after a failed attempt waits
    ``retry_base`` × 2^(attempts-1) seconds (at most ``retry_cap``)."""

    def __init__(
        self,
        inbox: Inbox,
        process: ProcessEvent,
        *,
        every: float = 5.0,
        retry_base: float = 5.0,
        retry_cap: float = 3600.0,
        batch: int = 100,
        process_timeout: float = PROCESS_TIMEOUT,
    ) -> None:
        self.inbox = inbox
        self.process = process
        self.every = every
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.batch = batch
        self.process_timeout = process_timeout
        self._lock = asyncio.Lock()  # one row at a time
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_try: dict[str, datetime] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.inbox.clock

    def submit(self, row: InboxEvent) -> None:
        """Process a just-stored row in the background."""
        task = asyncio.create_task(self._guarded(row), name=f"cardbot-inbox-{row.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, row: InboxEvent) -> None:
        try:
            await self.process_row(row)
        except Exception:  # the database itself failed: the row stays pending for `run`
            log.exception("inbox.process_error", row_id=row.id)

    async def process_row(self, row: InboxEvent) -> bool:
        """Process one row unless it is already in hand or done; True when processed now."""
        if row.id in self._in_flight:
            return False
        self._in_flight.add(row.id)
        try:
            async with self._lock:
                current = await self.inbox.get(row.id)
                if current is None or current.status == PROCESSED:
                    return False
                try:
                    await asyncio.wait_for(self.process(current), self.process_timeout)
                except Exception as exc:
                    await self._failed(current, exc)
                    return False
                await self.inbox.mark_processed(current.id)
                self._next_try.pop(current.id, None)
                log.info(
                    "inbox.processed",
                    provider=current.provider,
                    event_type=current.event_type,
                    row_id=current.id,
                )
                return True
        finally:
            self._in_flight.discard(row.id)

    async def _failed(self, row: InboxEvent, exc: Exception) -> None:
        error = scrub_text(f"{type(exc).__name__}: {exc}")
        await self.inbox.mark_failed(row.id, error)
        attempts = row.attempts + 1
        fields = {
            "provider": row.provider,
            "event_type": row.event_type,
            "row_id": row.id,
            "attempts": attempts,
            "error": error[:200],
        }
        if attempts >= self.inbox.max_attempts:
            self._next_try.pop(row.id, None)
            log.error("inbox.gave_up", **fields)
        else:
            self._next_try[row.id] = self.clock() + self.backoff(attempts)
            log.warning("inbox.process_failed", **fields)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_cap))

    def due(self, row: InboxEvent, now: datetime) -> bool:
        """A row failed in this process waits its backoff; any other (new, or left by an earlier
        run of the process) is due at once."""
        at = self._next_try.get(row.id)
        return at is None or now >= at

    async def run_once(self) -> int:
        """One pass over the pending rows; how many were processed."""
        now = self.clock()
        processed = 0
        for row in await self.inbox.pending(self.batch):
            if self._stopping.is_set():
                break
            if self.due(row, now) and await self.process_row(row):
                processed += 1
        return processed

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("inbox.worker_error")
            self._wake.clear()
            if self._stopping.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.every)

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def drain(self, grace: float = DRAIN_TIMEOUT) -> bool:
        """Let background processing finish; past ``grace`` it is cancelled (those rows stay
        pending and are processed on the next start). False when something was cancelled."""
        tasks = set(self._tasks)
        if not tasks:
            return True
        _done, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if late:
            log.warning("inbox.drain_cancelled", tasks=len(late))
        return not late


class EventsServer:
    """The HTTP side: verify, store, answer, hand over."""

    def __init__(
        self,
        inbox: Inbox,
        worker: InboxWorker,
        verifiers: Mapping[str, Verifier | None],
        *,
        max_body_bytes: int = 256 * 1024,
    ) -> None:
        self.inbox = inbox
        self.worker = worker
        self.verifiers = dict(verifiers)
        self.max_body_bytes = max_body_bytes
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.host: str | None = None

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.inbox.clock

    def web_app(self) -> web.Application:
        application = web.Application(client_max_size=self.max_body_bytes)
        application.router.add_post("/events/{provider}", self._provider_event)
        application.router.add_post("/deposits", self._deposit)
        application.router.add_get("/health", self._health)
        return application

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the bound port (pass 0 for any free one)."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.host, self.port = host, int(bound[1])
        return self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting; requests being answered finish first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _provider_event(self, request: web.Request) -> web.Response:
        provider = request.match_info["provider"]
        if provider not in PROVIDERS:
            return _answer(404, "unknown provider")
        return await self._receive(provider, request)

    async def _deposit(self, request: web.Request) -> web.Response:
        return await self._receive(DEPOSIT, request)

    async def _receive(self, sender: str, request: web.Request) -> web.Response:
        verifier = self.verifiers.get(sender)
        if verifier is None:
            log.warning("events.no_secret", sender=sender)
            return _answer(503, f"no webhook secret is configured for {sender}")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("events.too_large", sender=sender)
            return _answer(413, "body too large")
        try:
            verifier.verify(request.headers, body, self.clock())
        except WebhookRejected as exc:
            log.warning("events.rejected", sender=sender, status=exc.status, reason=exc.reason)
            return _answer(exc.status, exc.reason)
        try:
            text = body.decode("utf-8")
            event_id, event_type = identify(sender, text)
        except UnicodeDecodeError:
            return _answer(400, "body is not UTF-8")
        except EventParseError as exc:
            log.warning("events.malformed", sender=sender, reason=str(exc))
            return _answer(400, str(exc))
        try:
            row, new = await self.inbox.store(sender, event_id, event_type, text)
        except Exception:
            log.exception("events.store_failed", sender=sender, event_type=event_type)
            return _answer(503, "could not store the event; send it again")
        log.info(
            "events.received",
            sender=sender,
            event_type=event_type,
            row_id=row.id,
            duplicate=not new,
        )
        if new:
            self.worker.submit(row)
        return web.json_response({"ok": True, "id": row.id, "duplicate": not new})


class EventsService:
    """The server and the worker's retry loop, started and stopped together."""

    def __init__(self, server: EventsServer, worker: InboxWorker, host: str, port: int) -> None:
        self.server = server
        self.worker = worker
        self.host = host
        self.port = port
        self._loop_task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        self.port = await self.server.start(self.host, self.port)
        self._loop_task = asyncio.create_task(self.worker.run(), name="cardbot-inbox-worker")
        log.info("events.listening", url=self.url)

    async def stop(self, grace: float = DRAIN_TIMEOUT) -> None:
        """No new deliveries; processing in progress finishes (or, past ``grace``, is cancelled
        and left pending); the retry loop ends."""
        await self.server.stop()
        self.worker.stop()
        await self.worker.drain(grace)
        if self._loop_task is not None:
            try:
                await asyncio.wait_for(self._loop_task, grace)
            except TimeoutError:
                log.warning("events.worker_stop_timeout")
            self._loop_task = None
        log.info("events.stopped")


def build_events(
    app: App,
    settings: WebhookSettings | None = None,
    *,
    process: ProcessEvent | None = None,
    clock: Callable[[], datetime] = utcnow,
    port: int | None = None,
) -> EventsService:
    """The events server for one deployment, from ``CARDBOT_…`` settings (``WebhookSettings``).
    ``process`` defaults to ``app.process_event``."""
    return make_events(
        app.db,
        app.settings.tenant,
        process or app.process_event,
        settings or WebhookSettings(),
        clock=clock,
        port=port,
    )


def make_events(
    db: Database,
    tenant: str,
    process: ProcessEvent,
    settings: WebhookSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    port: int | None = None,
) -> EventsService:
    inbox = Inbox(db, tenant, clock, max_attempts=settings.inbox_max_attempts)
    worker = InboxWorker(
        inbox,
        process,
        every=settings.inbox_retry_every_seconds,
        retry_base=settings.inbox_retry_base_seconds,
    )
    server = EventsServer(
        inbox, worker, settings.verifiers(), max_body_bytes=settings.events_max_body_bytes
    )
    if port is None:
        port = settings.events_port if settings.events_port is not None else DEFAULT_EVENTS_PORT
    return EventsService(server, worker, settings.events_host, port)


async def start_events_if_configured(
    app: App, settings: WebhookSettings | None = None
) -> EventsService | None:
    """For ``cardbot run``: the events server starts only when ``CARDBOT_EVENTS_PORT`` is set
    (a polling bot needs no open port otherwise)."""
    settings = settings or WebhookSettings()
    if settings.events_port is None:
        return None
    service = build_events(app, settings)
    await service.start()
    return service


async def run_events(
    app: App,
    *,
    settings: WebhookSettings | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """``cardbot events``: only the events server and its worker, until ``stop`` is set (or,
    without one, until SIGINT/SIGTERM)."""
    settings = settings or WebhookSettings()
    own_signals = stop is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if own_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    service = build_events(app, settings)
    try:
        await service.start()
        missing = [name for name, v in settings.verifiers().items() if v is None]
        print(
            f"cardbot: provider events on {service.url} "
            "(POST /events/<provider>, POST /deposits, GET /health)",
            file=sys.stderr,
        )
        if missing:
            print(
                "cardbot: no webhook secret for "
                + ", ".join(missing)
                + " (their deliveries are refused with 503); set CARDBOT_<NAME>_WEBHOOK_SECRET.",
                file=sys.stderr,
            )
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await service.stop()
        if own_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)


__all__ = [
    "EventsServer",
    "EventsService",
    "InboxWorker",
    "build_events",
    "make_events",
    "run_events",
    "start_events_if_configured",
]
