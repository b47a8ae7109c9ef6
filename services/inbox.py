"""The inbox of provider events: every verified delivery is stored here, once per
(tenant, provider, event id), before the sender gets its 2xx; processing happens afterwards and
is retried from these rows, so an event is never lost and never applied twice.

Rows go ``received`` → ``processed``, or ``received`` → ``failed`` (attempts counted, the error
kept) → … → ``processed``. A row that failed ``max_attempts`` times stays ``failed`` and is no
longer retried (``dead``); ``requeue`` gives it another round once the cause is fixed.

The body is kept as received — except card data: a payload that carries a full card number or
a CVV (Bitnob's v1 card objects carry ``cardNumber`` and ``cvv2``; Nuvion and Cartevo cards
``number`` and ``cvv``) is stored without those fields. Nothing we process needs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.provider_events import DepositEvent, parse
from services.providers.base import ProviderEvent
from storage.db import Database
from storage.models import InboxEvent, utcnow

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"
DEFAULT_MAX_ATTEMPTS = 12

# What the events server hands every stored row to (the lead's event processor).
ProcessEvent = Callable[[InboxEvent], Awaitable[None]]

# Keys whose values are card secrets, compared without case, "_" or "-".
SECRET_KEYS = frozenset(
    {
        "cardnumber",
        "pan",
        "fullpan",
        "primaryaccountnumber",
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "securitycode",
        "pin",
    }
)
# `number` is a card number on some cards (Nuvion, Cartevo) and something else elsewhere: it is
# dropped when its value looks like one (12–19 digits, spaces or dashes allowed).
AMBIGUOUS_KEYS = frozenset({"number"})
_CARD_DIGITS = re.compile(r"\d(?:[ -]?\d){11,18}")


class _Number(str):
    """A JSON number's exact text, so a rewritten body keeps every digit as sent."""


def _is_secret(key: str, value: Any) -> bool:
    plain = key.lower().replace("_", "").replace("-", "")
    if plain in SECRET_KEYS:
        return True
    if plain in AMBIGUOUS_KEYS:
        text = str(value).strip() if isinstance(value, str | int) else ""
        return bool(_CARD_DIGITS.fullmatch(text))
    return False


def _strip(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            if _is_secret(key, item):
                changed = True
                continue
            kept[key], inner = _strip(item)
            changed |= inner
        return kept, changed
    if isinstance(value, list):
        items = [_strip(item) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False


def _dump(value: Any) -> str:
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def strip_card_data(body: str) -> str:
    """The body without card numbers and CVVs; the very same text when it has none (or is not
    JSON at all: then there are no fields to strip)."""
    try:
        doc = json.loads(body, parse_float=_Number, parse_int=_Number)
    except (ValueError, RecursionError):
        return body
    stripped, changed = _strip(doc)
    return _dump(stripped) if changed else body


class Inbox:
    def __init__(
        self,
        db: Database,
        tenant: str,
        clock: Callable[[], datetime] = utcnow,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.db = db
        self.tenant = tenant
        self.clock = clock
        self.max_attempts = max_attempts

    async def store(
        self, provider: str, event_id: str, event_type: str, raw_body: bytes | str
    ) -> tuple[InboxEvent, bool]:
        """Keep a delivery; committed when this returns. A repeat of a stored event id returns
        the stored row and False (whatever its body: the first delivery is the one kept)."""
        existing = await self.find(provider, event_id)
        if existing is not None:
            return existing, False
        text = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
        row = InboxEvent(
            tenant=self.tenant,
            provider=provider,
            event_id=event_id,
            event_type=event_type[:64],
            body=strip_card_data(text),
            received_at=self.clock(),
            status=RECEIVED,
        )
        try:
            async with self.db.session() as session:
                session.add(row)
        except IntegrityError:  # the same event arrived at the same moment: it won
            existing = await self.find(provider, event_id)
            if existing is None:
                raise
            return existing, False
        return row, True

    async def get(self, row_id: str) -> InboxEvent | None:
        async with self.db.session() as session:
            row = await session.get(InboxEvent, row_id)
            return row if row is not None and row.tenant == self.tenant else None

    async def find(self, provider: str, event_id: str) -> InboxEvent | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(InboxEvent).where(
                    InboxEvent.tenant == self.tenant,
                    InboxEvent.provider == provider,
                    InboxEvent.event_id == event_id,
                )
            )
            return rows.first()

    async def pending(self, limit: int = 100) -> list[InboxEvent]:
        """Rows still to process (received, or failed fewer than max_attempts times), oldest
        first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(InboxEvent)
                .where(
                    InboxEvent.tenant == self.tenant,
                    col(InboxEvent.status).in_((RECEIVED, FAILED)),
                    InboxEvent.attempts < self.max_attempts,
                )
                .order_by(col(InboxEvent.received_at), col(InboxEvent.id))
                .limit(limit)
            )
            return list(rows.all())

    async def dead(self, limit: int = 100) -> list[InboxEvent]:
        """Rows that failed every attempt: kept, no longer retried, for a person to look at."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(InboxEvent)
                .where(
                    InboxEvent.tenant == self.tenant,
                    InboxEvent.status == FAILED,
                    InboxEvent.attempts >= self.max_attempts,
                )
                .order_by(col(InboxEvent.received_at))
                .limit(limit)
            )
            return list(rows.all())

    async def mark_processed(self, row_id: str) -> None:
        """Done. Harmless on a row already processed (e.g. by the processor itself, inside the
        transaction that applied it)."""
        async with self.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(InboxEvent)
                .where(
                    col(InboxEvent.id) == row_id,
                    col(InboxEvent.tenant) == self.tenant,
                    col(InboxEvent.status) != PROCESSED,
                )
                .values(
                    status=PROCESSED,
                    processed_at=self.clock(),
                    attempts=col(InboxEvent.attempts) + 1,
                    last_error=None,
                )
            )

    async def mark_failed(self, row_id: str, error: str) -> None:
        """One more failed attempt; the row stays pending until max_attempts. Never undoes a
        processed row."""
        async with self.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(InboxEvent)
                .where(
                    col(InboxEvent.id) == row_id,
                    col(InboxEvent.tenant) == self.tenant,
                    col(InboxEvent.status) != PROCESSED,
                )
                .values(
                    status=FAILED, attempts=col(InboxEvent.attempts) + 1, last_error=error[:255]
                )
            )

    async def requeue(self, row_id: str) -> None:
        """Give a dead row a fresh round of attempts."""
        async with self.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(InboxEvent)
                .where(
                    col(InboxEvent.id) == row_id,
                    col(InboxEvent.tenant) == self.tenant,
                    col(InboxEvent.status) == FAILED,
                )
                .values(attempts=0)
            )


# -- the usual processor: read the stored delivery, then apply what it says --------------------

ApplyEvent = Callable[[str, ProviderEvent], Awaitable[None]]  # (provider, event)
ApplyDeposit = Callable[[DepositEvent], Awaitable[None]]


def dispatcher(apply_event: ApplyEvent, apply_deposit: ApplyDeposit | None = None) -> ProcessEvent:
    """A ``ProcessEvent`` that parses the row (services/provider_events.py) and hands each
    ``ProviderEvent`` to ``apply_event(provider, event)`` and a deposit to ``apply_deposit``.
    An unreadable body raises ``EventParseError``: the row fails and is kept for a person."""

    async def process(row: InboxEvent) -> None:
        delivery = parse(row.provider, row.body, row.received_at)
        if delivery.deposit is not None:
            if apply_deposit is None:
                raise RuntimeError("no deposit handler configured")
            await apply_deposit(delivery.deposit)
        for event in delivery.events:
            await apply_event(row.provider, event)

    return process
