"""Shared by the provider-event tests: a migrated database, the events server on 127.0.0.1,
processors that record (or fail, or hang), and signers written from the providers' docs —
independently of services/webhooks.py, so a wrong implementation cannot sign its own way in."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import select

from bot.events_server import EventsService, make_events
from services.webhooks import WebhookSettings
from storage.db import Database
from storage.models import InboxEvent
from tests.conftest import FakeClock

TENANT = "default"
SECRETS = {
    "numero": "numero-signing-secret",
    "bitnob": "sk_test_bitnob_secret",
    "cartevo": "cartevo-whsec",
    "nuvion": "nuvion-secret",
    "cardprogram": "egacard-merchant-secret",
    "sandbox": "sandbox-secret",
    "deposit": "deposit-secret",
}
TOLERANCE = 300


def webhook_settings(**overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {
        f"{name}_webhook_secret": secret for name, secret in SECRETS.items()
    } | {
        "webhook_tolerance_seconds": TOLERANCE,
        # The retry loop only runs when a test pokes it (or on start).
        "inbox_retry_every_seconds": 3600,
        "_env_file": None,
    }
    values.update(overrides)
    return WebhookSettings(**values)


# -- signing, as each sender documents it ---------------------------------------------------------


def numero_headers(body: bytes, t_ms: int, secret: str = SECRETS["numero"]) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{t_ms}.".encode() + body, hashlib.sha256).digest()
    return {"X-Numero-Signature": f"t={t_ms},v1={base64.b64encode(digest).decode()}"}


def bitnob_headers(body: bytes, secret: str = SECRETS["bitnob"]) -> dict[str, str]:
    return {"x-bitnob-signature": hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()}


def cartevo_headers(body: bytes, t: int, secret: str = SECRETS["cartevo"]) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Cartevo-Signature": f"t={t},v1={digest}"}


def generic_headers(body: bytes, t: int, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Cardbot-Signature": digest, "X-Cardbot-Timestamp": str(t)}


def signed(sender: str, body: bytes, now_s: float, secret: str | None = None) -> dict[str, str]:
    """Headers that sign ``body`` for ``sender`` at time ``now_s`` (Unix seconds)."""
    key = secret or SECRETS[sender]
    if sender == "numero":
        return numero_headers(body, int(now_s * 1000), key)
    if sender == "bitnob":
        return bitnob_headers(body, key)
    if sender == "cartevo":
        return cartevo_headers(body, int(now_s), key)
    return generic_headers(body, int(now_s), key)


def path_for(sender: str) -> str:
    return "/deposits" if sender == "deposit" else f"/events/{sender}"


def dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# One plausible delivery per sender, with its expected event id.
SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "numero": (
        {
            "id": "evt_numero_1",
            "type": "card.transaction.settlement",
            "data": {"cardReference": "NCRD1", "reference": "TX1", "amount": 25.10},
        },
        "evt_numero_1",
    ),
    "bitnob": (
        {
            "event": "virtualcard.transaction.debit",
            "event_id": "evt_bitnob_1",
            "data": {"card_id": "c1", "amount": 2_500_000, "transaction_type": "settlement"},
        },
        "evt_bitnob_1",
    ),
    "cartevo": (
        {
            "event": "card.transaction",
            "data": {
                "transaction_id": "tx-9",
                "card_id": "k1",
                "type": "SETTLEMENT",
                "status": "SUCCESS",
                "amount": 12.5,
            },
        },
        "card.transaction:tx-9:SUCCESS",
    ),
    "nuvion": (
        {
            "event": "card_transactions.completed",
            "data": {"id": "pay_1", "card_id": "nc1", "amount": 1000, "status": "completed"},
        },
        "card_transactions.completed:pay_1:completed",
    ),
    "cardprogram": (
        {
            "id": "dlv_1",
            "event": "card.authorization.created",
            "data": {"id": "auth_1", "card_reference": "MC1", "amount": "9.99"},
        },
        "dlv_1",
    ),
    "sandbox": (
        {
            "id": "sbx_1",
            "type": "settlement",
            "data": {"card_id": "sc1", "amount": {"minor": 500, "currency": "USD"}},
        },
        "sbx_1",
    ),
    "deposit": (
        {"id": "dep_1", "user": 777000111, "amount": 5000, "currency": "USD", "reference": "p-1"},
        "dep_1",
    ),
}

# The same senders' deliveries without anything that can serve as an event id.
WITHOUT_ID: dict[str, dict[str, Any]] = {
    "numero": {"type": "card.transaction.settlement", "data": {"cardReference": "NCRD1"}},
    "bitnob": {"event": "virtualcard.transaction.debit", "data": {"amount": 100}},
    "cartevo": {"event": "card.transaction", "data": {"type": "SETTLEMENT", "amount": 1}},
    "nuvion": {"event": "card_transactions.completed", "data": {"amount": 1000}},
    "cardprogram": {"event": "card.funded", "data": {"amount": "1.00"}},
    "sandbox": {"type": "settlement", "data": {}},
    "deposit": {"user": 1, "amount": 100, "currency": "USD", "reference": "x"},
}


# -- processors ------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """A processor that records each row it is handed, and can be told to fail or to wait."""

    fail_times: int = 0  # the first N calls raise
    gate: asyncio.Event | None = None  # when set: each call waits for it
    calls: list[InboxEvent] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    effects: list[str] = field(default_factory=list)  # what a processor "applied"
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __call__(self, row: InboxEvent) -> None:
        self.calls.append(row)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if len(self.calls) <= self.fail_times:
            self.effects.append(f"half-done:{row.event_id}")  # crashed mid-way
            raise RuntimeError("processor crashed mid-way")
        self.effects.append(row.event_id)
        async with self.changed:
            self.changed.notify_all()

    async def wait_for_effects(self, count: int) -> None:
        """Until ``count`` rows were applied (a guard of 10 s, never a sleep)."""
        async with asyncio.timeout(10), self.changed:
            await self.changed.wait_for(lambda: len(self.applied) >= count)

    @property
    def applied(self) -> list[str]:
        return [effect for effect in self.effects if not effect.startswith("half-done:")]


# -- the database and the running server -------------------------------------------------------


async def migrated_db(url: str) -> Database:
    from storage.migrate import upgrade

    db = Database(url)
    await upgrade(db)
    return db


async def inbox_rows(db: Database) -> list[InboxEvent]:
    async with db.session() as session:
        rows = await session.exec(select(InboxEvent).order_by(InboxEvent.received_at))  # type: ignore[arg-type]
        return list(rows.all())


@dataclass
class Running:
    service: EventsService
    client: httpx.AsyncClient
    clock: FakeClock

    async def post(
        self, sender: str, body: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            path_for(sender),
            content=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    async def post_signed(self, sender: str, doc: Any) -> httpx.Response:
        body = dumps(doc) if not isinstance(doc, bytes) else doc
        return await self.post(sender, body, signed(sender, body, self.clock.now.timestamp()))


@asynccontextmanager
async def running(
    db: Database,
    clock: FakeClock,
    process: Callable[[InboxEvent], Any],
    settings: WebhookSettings | None = None,
) -> AsyncIterator[Running]:
    service = make_events(db, TENANT, process, settings or webhook_settings(), clock=clock, port=0)
    service.host = "127.0.0.1"
    await service.start()
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=10.0) as client:
            yield Running(service, client, clock)
    finally:
        await service.stop(grace=5.0)
