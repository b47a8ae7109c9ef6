"""The outbound message queue: messages the bot sends without being asked (alerts), kept in the
database until Telegram has taken them, so a restart or an outage never loses one.

Producers call `enqueue` (text in Telegram HTML, optional inline buttons, optional dedupe key);
`bot/outbox_sender.py` delivers the rows within Telegram's limits. A chat's messages go out in
the order they were queued, one at a time: while a chat's oldest message waits (flood control,
a retry), the ones queued after it wait too.

Delivery is at least once: a send that timed out after Telegram may have delivered it, or a crash
between the send and `mark_sent`, sends it again. A repeated dedupe key queues nothing, so one
event never alerts twice however often it is processed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.events import Button, Keyboard
from storage.db import Database
from storage.models import OutboundMessage, new_id, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"
MAX_CALLBACK_DATA_BYTES = 64  # Telegram's limit on a button's callback data
DEDUPE_KEY_MAX = 160  # the column's width
ERROR_MAX = 255

Listener = Callable[[], None]


def encode_buttons(buttons: Keyboard | None) -> str | None:
    """Inline keyboard → JSON for the row; refuses now what Telegram would refuse at send time
    (better the producer fails loudly than the alert is given up later)."""
    if not buttons:
        return None
    rows: list[list[dict[str, str]]] = []
    for row in buttons:
        if not row:
            raise ValueError("an empty row of buttons")
        for button in row:
            if not button.label or not button.data:
                raise ValueError("a button needs a label and callback data")
            if len(button.data.encode()) > MAX_CALLBACK_DATA_BYTES:
                raise ValueError(
                    f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {button.data[:20]!r}…"
                )
        rows.append([{"label": b.label, "data": b.data} for b in row])
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def decode_buttons(stored: str | None) -> Keyboard | None:
    if not stored:
        return None
    return [[Button(b["label"], b["data"]) for b in row] for row in json.loads(stored)]


class Outbox:
    def __init__(self, db: Database, tenant: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.tenant = tenant
        self.clock = clock
        self._listeners: list[Listener] = []

    # -- producers --

    def stored_key(self, dedupe_key: str) -> str:
        """The column is unique across brands: scope the key to this one (hashed when long)."""
        key = f"{self.tenant}:{dedupe_key}"
        if len(key) > DEDUPE_KEY_MAX:
            key = f"{self.tenant}:sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
        return key

    async def enqueue(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard | None = None,
        dedupe_key: str | None = None,
        *,
        session: AsyncSession | None = None,
    ) -> bool:
        """Queue a message (Telegram HTML) for `chat_id`. False, and nothing queued, when a message
        with this dedupe key was queued before (whatever became of it).

        Pass `session` to queue inside the caller's unit of work (the alert then exists exactly
        when the change it tells of is committed); the sender is told after that commit."""
        if not text.strip():
            raise ValueError("an outbound message needs text")
        now = self.clock()
        values: dict[str, Any] = {
            "id": new_id(),
            "tenant": self.tenant,
            "chat_id": chat_id,
            "text": text,
            "buttons_json": encode_buttons(buttons),
            "dedupe_key": self.stored_key(dedupe_key) if dedupe_key is not None else None,
            "status": QUEUED,
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        # INSERT … ON CONFLICT DO NOTHING: no exception, so a caller's transaction stays usable.
        table = OutboundMessage.__table__  # type: ignore[attr-defined]
        dialect = postgresql if not self.db.is_sqlite else sqlite
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
        if session is not None:
            result = await session.exec(statement)
            inserted = result.rowcount == 1
            if inserted and self._listeners:
                _after_commit(session, self._notify)
            return inserted
        async with self.db.session() as own:
            result = await own.exec(statement)
            inserted = result.rowcount == 1
        if inserted:
            self._notify()
        return inserted

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` (cheap, synchronous) after each message queued in this process; returns
        the function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- the sender --

    def _heads(self) -> Any:
        """Queued rows with no older queued row in their chat: each chat's next message."""
        older = aliased(OutboundMessage)
        return and_(
            col(OutboundMessage.tenant) == self.tenant,
            col(OutboundMessage.status) == QUEUED,
            ~select(older.id)
            .where(
                older.tenant == OutboundMessage.tenant,
                older.chat_id == OutboundMessage.chat_id,
                older.status == QUEUED,
                or_(
                    col(older.created_at) < col(OutboundMessage.created_at),
                    and_(
                        col(older.created_at) == col(OutboundMessage.created_at),
                        col(older.id) < col(OutboundMessage.id),
                    ),
                ),
            )
            .exists(),
        )

    async def due(self, limit: int = 100) -> list[OutboundMessage]:
        """Messages to send now, oldest first: at most one per chat (its oldest queued message,
        when its time has come), so a chat's messages keep their order."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(OutboundMessage)
                .where(self._heads(), col(OutboundMessage.not_before) <= self.clock())
                .order_by(col(OutboundMessage.created_at), col(OutboundMessage.id))
                .limit(limit)
            )
            return list(rows.all())

    async def next_due_at(self) -> datetime | None:
        """When the next message may go (now or in the past when one is waiting)."""
        async with self.db.session() as session:
            result = await session.exec(
                select(func.min(OutboundMessage.not_before)).where(self._heads())
            )
            return result.one()

    async def _set(self, message_id: str, **values: Any) -> bool:
        """Change a queued row; False when it is not (no longer) queued."""
        async with self.db.session() as session:
            result = await session.exec(  # type: ignore[call-overload]
                update(OutboundMessage)
                .where(
                    col(OutboundMessage.id) == message_id,
                    col(OutboundMessage.tenant) == self.tenant,
                    col(OutboundMessage.status) == QUEUED,
                )
                .values(**values)
            )
            return bool(result.rowcount == 1)

    async def mark_sent(self, message_id: str) -> bool:
        return await self._set(message_id, status=SENT, sent_at=self.clock())

    async def defer(self, message_id: str, seconds: float, error: str) -> bool:
        """Try again `seconds` from now (its chat's later messages wait with it)."""
        return await self._set(
            message_id,
            not_before=self.clock() + timedelta(seconds=max(0.0, seconds)),
            attempts=OutboundMessage.attempts + 1,
            last_error=error[:ERROR_MAX],
        )

    async def give_up(self, message_id: str, error: str) -> bool:
        """Only for a message Telegram will never take (the person blocked the bot, the chat does
        not exist, the message itself is refused)."""
        return await self._set(
            message_id,
            status=FAILED,
            attempts=OutboundMessage.attempts + 1,
            last_error=error[:ERROR_MAX],
        )

    async def sent_within(self, seconds: float) -> list[tuple[int, float]]:
        """(chat id, seconds ago) of the messages sent in the last `seconds`, oldest first: a
        sender starting up still counts them toward Telegram's limits."""
        now = self.clock()
        async with self.db.session() as session:
            rows = await session.exec(
                select(OutboundMessage.chat_id, OutboundMessage.sent_at)
                .where(
                    col(OutboundMessage.tenant) == self.tenant,
                    col(OutboundMessage.status) == SENT,
                    col(OutboundMessage.sent_at) >= now - timedelta(seconds=seconds),
                )
                .order_by(col(OutboundMessage.sent_at))
            )
            return [(chat_id, (now - at).total_seconds()) for chat_id, at in rows.all() if at]

    # -- health --

    async def depth(self) -> int:
        """How many messages wait to be sent."""
        async with self.db.session() as session:
            result = await session.exec(
                select(func.count())
                .select_from(OutboundMessage)
                .where(
                    col(OutboundMessage.tenant) == self.tenant,
                    col(OutboundMessage.status) == QUEUED,
                )
            )
            return int(result.one())

    async def get(self, message_id: str) -> OutboundMessage | None:
        async with self.db.session() as session:
            return await session.get(OutboundMessage, message_id)


def _after_commit(session: AsyncSession, callback: Listener) -> None:
    def fire(_session: Any) -> None:
        callback()

    event.listen(session.sync_session, "after_commit", fire, once=True)


__all__ = ["FAILED", "QUEUED", "SENT", "Outbox", "decode_buttons", "encode_buttons"]
