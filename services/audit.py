"""The audit log: every admin action and every reveal of card details, append-only, one hash chain
per tenant, so an edited, deleted, reordered or inserted entry shows (`cardbot audit verify`).

An entry says who (``tg:<telegram id>``), in which role, did what (``reveal``, ``card.freeze``,
``wallet.credit`` …) to which subject (a card or user id), when, with a few details. It never
holds card data: details are scrubbed like log lines (services/scrub.py) before they are stored.

The chain
    Entry ``n`` (``seq`` 1, 2, 3 … per tenant) stores ``prev_hash`` = entry ``n-1``'s hash (64
    zeros for the first) and ``hash`` = HMAC-SHA-256 over a canonical serialisation of every
    column of the row (a JSON array: format tag, id, tenant, seq, ``at`` in UTC ISO with
    microseconds, actor, role, action, subject, the details' canonical JSON text, prev_hash).
    Changing any column of any entry changes its hash; deleting one leaves a gap in ``seq``;
    moving one changes ``seq`` or breaks the next entry's link.

Why an HMAC and not a bare SHA-256
    With a bare hash, whoever can write to the database can edit an entry and recompute every
    hash after it, and the chain verifies again. The HMAC key (``KeyRing.derive("audit")``, from
    the ring's index key, which ``cardbot keys rotate`` leaves as it is) lives in the key file or
    ``CARDBOT_MASTER_KEY``, not in the database, so database access alone cannot forge an entry.
    Whoever holds the key ring can; nothing inside one deployment can stop that.

The head record, and what a chain alone cannot catch
    Deleting the *last* entries leaves a valid, shorter chain. So each tenant also keeps one
    head row in the same table (``seq`` 0, action ``audit.head``, no new migration): it names the
    newest entry (``details.entries``, ``prev_hash``) and is sealed by the same HMAC, and it is
    rewritten by every append, in the same transaction. A cut-short log no longer matches its
    head, and the head cannot be rewritten to match without the key. Appends also serialise on
    it: on PostgreSQL ``SELECT … FOR UPDATE`` on the head row (a fixed row, unlike "the last
    entry", which a waiting transaction would read stale), on SQLite the exclusive unit of work
    (``BEGIN IMMEDIATE``); the unique (tenant, seq) catches the one remaining race, the first two
    appends of a tenant, and ``record`` retries it.
    What stays out of reach without something kept outside the database: putting back an older
    copy of the log *and* its head (a backup, or a copy taken before the deletion). Every append
    therefore logs ``audit.appended`` with its seq and hash, and ``verify(anchor=(seq, hash))`` /
    ``cardbot audit verify --anchor SEQ:HASH`` checks that an entry noted earlier (from the log
    stream or a previous verify) is still there unchanged.
    An append that finds the head missing, altered or out of step with the last entry still
    appends (a reveal must not be blocked by a damaged log), logs ``audit.head_mismatch``, and
    marks the new head with what it found; the mark is carried forward by every later head, so
    ``verify`` reports it for good.

Recording from elsewhere (admin commands)
    ``await services.audit.record(actor_of(telegram_id), ADMIN, "card.freeze", card_id,
    {"reason": reason})`` appends in its own transaction. To make the entry part of the same
    transaction as the change it records, call ``append(session, …)`` inside a unit of work
    from ``db.exclusive()`` (on SQLite a plain ``db.session()`` could fail to take the write
    lock). Use the card's id as the subject of card actions and the user's id for cardholder
    actions: the cardholder's reveal history lists entries by subject. Rows with ``seq`` < 1 are
    not entries: read through ``recent``/``history``, which leave them out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.scrub import scrub_text, scrub_value
from storage.db import Database
from storage.models import AuditEntry, new_id, utcnow

log = structlog.get_logger(__name__)

GENESIS = "0" * 64
HEAD_SEQ = 0
HEAD_ACTION = "audit.head"
FORMAT = "cardbot-audit-v1"

ADMIN, AGENT, CARDHOLDER, SYSTEM = "admin", "agent", "cardholder", "system"
ROLES = frozenset({ADMIN, AGENT, CARDHOLDER, SYSTEM})
STAFF_ROLES = (ADMIN, AGENT)
REVEAL = "reveal"

DETAILS_MAX = 4000  # characters of canonical JSON
_ACTOR = re.compile(r"^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.@-]+)?$")
_ACTION = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")
_SUBJECT = re.compile(r"^[A-Za-z0-9_.:@-]+$")
_ATTEMPTS = 5  # a tenant's first two concurrent appends race once; later ones queue on the head
_CHUNK = 500  # entries read per query while verifying


def actor_of(telegram_id: int) -> str:
    """How a person is named in the log."""
    return f"tg:{telegram_id}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # entries whose hash and link were checked and found good
    first_bad_seq: int | None = None
    reason: str = ""
    head_seq: int = 0  # the newest good entry, and its hash: an anchor worth keeping
    head_hash: str = GENESIS


@dataclass(frozen=True)
class AuditRecord:
    """An entry as readers see it, with whether its own hash still matches its contents."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    subject: str | None
    details: dict[str, Any]
    intact: bool


@dataclass(frozen=True)
class HistoryPage:
    items: list[AuditRecord]
    has_more: bool


def canonical_details(details: dict[str, Any] | None) -> str:
    """The details as stored: scrubbed, then canonical JSON (sorted keys, no spaces)."""
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise ValueError("audit details must be a dict")
    scrubbed = scrub_value("", details)
    try:
        text = json.dumps(
            scrubbed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details must be plain JSON data: {exc}") from exc
    if len(text) > DETAILS_MAX:
        raise ValueError(f"audit details over {DETAILS_MAX} characters")
    if scrubbed != details:
        log.warning("audit.details_scrubbed")  # the caller passed something secret-looking
    return text


def _iso(at: datetime) -> str:
    if at.utcoffset() is None:  # a database without time zones hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical(entry: AuditEntry) -> bytes:
    fields = [
        FORMAT,
        entry.id,
        entry.tenant,
        entry.seq,
        _iso(entry.at),
        entry.actor,
        entry.role,
        entry.action,
        entry.subject,
        entry.details,
        entry.prev_hash,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _check(actor: str, role: str, action: str, subject: str | None) -> None:
    """Programming errors, refused loudly: the log takes ids and names, never free text."""
    if len(actor) > 64 or not _ACTOR.match(actor) or scrub_text(actor) != actor:
        raise ValueError(f"audit actor {actor!r} is not like 'tg:<telegram id>' or 'system'")
    if role not in ROLES:
        raise ValueError(f"audit role {role!r} is not one of {sorted(ROLES)}")
    if len(action) > 64 or not _ACTION.match(action) or action == HEAD_ACTION:
        raise ValueError(f"audit action {action!r} is not like 'card.freeze'")
    if subject is not None and (len(subject) > 64 or not _SUBJECT.match(subject)):
        raise ValueError(f"audit subject {subject!r} is not an id")


class AuditLog:
    def __init__(
        self,
        db: Database,
        tenant: str,
        clock: Callable[[], datetime] = utcnow,
        *,
        key: bytes | None = None,
    ) -> None:
        """``key``: the HMAC key (the composition root passes ``KeyRing.derive("audit")``);
        without one, a bare SHA-256, which only catches careless edits."""
        self.db = db
        self.tenant = tenant
        self.clock = clock
        self._key = key

    # -- hashing --
    def entry_hash(self, entry: AuditEntry) -> str:
        message = _canonical(entry)
        if self._key is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _intact(self, entry: AuditEntry) -> bool:
        return hmac.compare_digest(self.entry_hash(entry), entry.hash)

    # -- writing --
    async def record(
        self,
        actor: str,
        role: str,
        action: str,
        subject: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry in its own transaction and return it (committed)."""
        details_text = canonical_details(details)
        _check(actor, str(role), action, subject)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self.db.exclusive() as session:
                    entry = await self._append(
                        session, actor, str(role), action, subject, details_text
                    )
                break
            except IntegrityError:  # another process appended the same seq first
                if attempt == _ATTEMPTS:
                    raise
                log.info("audit.append_retry", attempt=attempt)
        log.info(
            "audit.appended", tenant=self.tenant, seq=entry.seq, action=action, hash=entry.hash
        )
        return entry

    async def append(
        self,
        session: AsyncSession,
        actor: str,
        role: str,
        action: str,
        subject: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry inside the caller's unit of work (from ``db.exclusive()``), so it
        commits, or not, with the change it records. No retry here: on the unique-seq race the
        caller's transaction fails and the caller decides."""
        details_text = canonical_details(details)
        _check(actor, str(role), action, subject)
        return await self._append(session, actor, str(role), action, subject, details_text)

    async def _append(
        self,
        session: AsyncSession,
        actor: str,
        role: str,
        action: str,
        subject: str | None,
        details_text: str,
    ) -> AuditEntry:
        head = (
            await session.exec(
                select(AuditEntry)
                .where(AuditEntry.tenant == self.tenant, AuditEntry.seq == HEAD_SEQ)
                .with_for_update()
            )
        ).first()
        last = (
            await session.exec(
                select(AuditEntry)
                .where(AuditEntry.tenant == self.tenant, col(AuditEntry.seq) >= 1)
                .order_by(col(AuditEntry.seq).desc())
                .limit(1)
            )
        ).first()
        last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
        trouble = self._head_trouble(head, last_seq, last_hash)
        if trouble is not None and not (head is not None and self._sticky(head) == trouble):
            log.error("audit.head_mismatch", tenant=self.tenant, **trouble)
        now = self.clock()
        entry = AuditEntry(
            id=new_id(),
            tenant=self.tenant,
            seq=last_seq + 1,
            at=now,
            actor=actor,
            role=role,
            action=action,
            subject=subject,
            details=details_text,
            prev_hash=last_hash,
            hash="",
        )
        entry.hash = self.entry_hash(entry)
        session.add(entry)
        if head is None:
            head = AuditEntry(
                id=new_id(),
                tenant=self.tenant,
                seq=HEAD_SEQ,
                actor=SYSTEM,
                role=SYSTEM,
                action=HEAD_ACTION,
                prev_hash="",
                hash="",
            )
        head_details: dict[str, Any] = {"entries": entry.seq}
        if trouble is not None:
            head_details["trouble"] = trouble
        head.at = now
        head.details = json.dumps(head_details, sort_keys=True, separators=(",", ":"))
        head.prev_hash = entry.hash
        head.hash = self.entry_hash(head)
        session.add(head)
        await session.flush()
        return entry

    def _sticky(self, head: AuditEntry) -> dict[str, Any] | None:
        """The trouble an intact head carries forward, if any."""
        if not self._intact(head):
            return None
        trouble = _head_details(head).get("trouble")
        return trouble if isinstance(trouble, dict) else None

    def _head_trouble(
        self, head: AuditEntry | None, last_seq: int, last_hash: str
    ) -> dict[str, Any] | None:
        """What is wrong between the head and the newest entry, found at append time."""
        if head is None:
            if last_seq == 0:
                return None  # the tenant's first entry
            return {
                "seq": last_seq + 1,
                "reason": f"the head record had gone missing: entries after #{last_seq} "
                "may have been removed",
            }
        if not self._intact(head):
            return {"seq": last_seq + 1, "reason": "the head record had been altered"}
        sticky = self._sticky(head)
        if sticky is not None:
            return sticky
        claimed = _head_details(head).get("entries")
        if claimed != last_seq or head.prev_hash != last_hash:
            return {"seq": last_seq + 1, "reason": _mismatch(claimed, last_seq)}
        return None

    # -- reading --
    def _record(self, entry: AuditEntry) -> AuditRecord:
        try:
            details = json.loads(entry.details)
        except ValueError:
            details = {}
        return AuditRecord(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            role=entry.role,
            action=entry.action,
            subject=entry.subject,
            details=details if isinstance(details, dict) else {},
            intact=self._intact(entry),
        )

    async def history(
        self,
        subject: str,
        actions: Sequence[str] | None = (REVEAL,),
        *,
        staff: bool = False,
        limit: int = 10,
        offset: int = 0,
    ) -> HistoryPage:
        """Entries about one subject, newest first: those with one of ``actions`` (all actions
        when None), and with ``staff`` also every admin or agent action on it."""
        query = select(AuditEntry).where(
            AuditEntry.tenant == self.tenant,
            AuditEntry.subject == subject,
            col(AuditEntry.seq) >= 1,
        )
        wanted = []
        if actions is not None:
            wanted.append(col(AuditEntry.action).in_(list(actions)))
        if staff:
            wanted.append(col(AuditEntry.role).in_(STAFF_ROLES))
        if wanted and not (actions is None and staff):
            query = query.where(or_(*wanted))
        query = query.order_by(col(AuditEntry.seq).desc()).offset(max(offset, 0)).limit(limit + 1)
        async with self.db.session() as session:
            rows = list((await session.exec(query)).all())
        return HistoryPage([self._record(row) for row in rows[:limit]], len(rows) > limit)

    async def recent(
        self,
        limit: int = 20,
        *,
        subject: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        before_seq: int | None = None,
    ) -> list[AuditRecord]:
        """The newest entries, newest first, optionally about one subject, by one actor, of
        one action, or older than ``before_seq`` (for paging)."""
        query = select(AuditEntry).where(AuditEntry.tenant == self.tenant, col(AuditEntry.seq) >= 1)
        if subject is not None:
            query = query.where(AuditEntry.subject == subject)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if before_seq is not None:
            query = query.where(col(AuditEntry.seq) < before_seq)
        query = query.order_by(col(AuditEntry.seq).desc()).limit(max(limit, 0))
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
        return [self._record(row) for row in rows]

    # -- checking --
    async def verify(self, anchor: tuple[int, str] | None = None) -> VerifyResult:
        """Walk the chain from entry #1: every entry present, in order, intact and linked to the
        one before; then the head record names the last one; then ``anchor`` (an entry's seq
        and hash noted earlier), if given, is still there unchanged. Appends may go on
        meanwhile: a head naming entries past the walk's end makes the walk go on to them."""
        walk = _Walk(anchor_seq=anchor[0] if anchor else None)
        async with self.db.session() as session:
            stray = (
                await session.exec(
                    select(func.min(AuditEntry.seq)).where(
                        AuditEntry.tenant == self.tenant, col(AuditEntry.seq) < HEAD_SEQ
                    )
                )
            ).one()
            head: AuditEntry | None = None
            while True:
                bad = await self._walk(session, walk)
                if bad is not None:
                    return bad
                if head is not None and (self._claim(head) or 0) > walk.seq:
                    break  # the head read before this walk names entries it did not find
                head = (
                    await session.exec(
                        select(AuditEntry).where(
                            AuditEntry.tenant == self.tenant, AuditEntry.seq == HEAD_SEQ
                        )
                    )
                ).first()
                if head is None or (self._claim(head) or 0) <= walk.seq:
                    break
        if stray is not None:
            return walk.broken(stray, f"a row with seq {stray} sits outside the chain (inserted)")
        if head is None:
            if walk.seq:
                return walk.broken(
                    walk.seq + 1,
                    f"the head record is missing: entries after #{walk.seq} may have been removed",
                )
        elif not self._intact(head):
            return walk.broken(walk.seq + 1, "the head record was altered")
        elif (sticky := self._sticky(head)) is not None:
            return walk.broken(int(sticky.get("seq", 0)), str(sticky.get("reason", "")))
        else:
            claimed = _head_details(head).get("entries")
            if claimed != walk.seq:
                first = walk.seq
                if isinstance(claimed, int):
                    first = walk.seq + 1 if claimed > walk.seq else claimed + 1
                return walk.broken(first, _mismatch(claimed, walk.seq, now=True))
            if head.prev_hash != walk.hash:
                return walk.broken(walk.seq, f"the head record does not match entry #{walk.seq}")
        if anchor is not None:
            seq, expected_hash = anchor
            if seq > walk.seq:
                return walk.broken(
                    walk.seq + 1,
                    f"anchored entry #{seq} is gone: the log was cut back to #{walk.seq}",
                )
            if walk.anchored is None or not hmac.compare_digest(
                walk.anchored, expected_hash.lower()
            ):
                return walk.broken(seq, "it does not match the anchor (the log was rewritten)")
        return VerifyResult(True, walk.checked, None, "", walk.seq, walk.hash)

    async def _walk(self, session: AsyncSession, walk: _Walk) -> VerifyResult | None:
        """Check the entries after ``walk.seq`` to the end; the first fault, if any."""
        while True:
            rows = (
                await session.exec(
                    select(AuditEntry)
                    .where(AuditEntry.tenant == self.tenant, col(AuditEntry.seq) > walk.seq)
                    .order_by(col(AuditEntry.seq))
                    .limit(_CHUNK)
                )
            ).all()
            for row in rows:
                expected = walk.seq + 1
                if row.seq != expected:
                    gap = f"#{expected}"
                    if row.seq > expected + 1:
                        gap = f"#{expected}–#{row.seq - 1}"
                    return walk.broken(expected, f"entry {gap} is missing (deleted)")
                if not self._intact(row):
                    return walk.broken(row.seq, "its contents do not match its hash (edited)")
                if row.prev_hash != walk.hash:
                    return walk.broken(
                        row.seq, f"it does not follow entry #{walk.seq} (the link is broken)"
                    )
                if row.seq == walk.anchor_seq:
                    walk.anchored = row.hash
                walk.checked, walk.seq, walk.hash = walk.checked + 1, row.seq, row.hash
            if len(rows) < _CHUNK:
                return None

    def _claim(self, head: AuditEntry) -> int | None:
        """The newest entry an intact, untroubled head names."""
        if not self._intact(head) or self._sticky(head) is not None:
            return None
        claimed = _head_details(head).get("entries")
        return claimed if isinstance(claimed, int) else None


@dataclass
class _Walk:
    anchor_seq: int | None = None
    checked: int = 0
    seq: int = 0  # the last good entry
    hash: str = GENESIS
    anchored: str | None = None

    def broken(self, seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, self.checked, seq, reason, self.seq, self.hash)


def _head_details(head: AuditEntry) -> dict[str, Any]:
    try:
        details = json.loads(head.details)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _mismatch(claimed: object, last_seq: int, *, now: bool = False) -> str:
    if isinstance(claimed, int) and claimed > last_seq:
        span = f"#{claimed}" if claimed == last_seq + 1 else f"#{last_seq + 1}–#{claimed}"
        return f"entry {span} {'is' if now else 'had been'} removed: the log was cut short"
    if isinstance(claimed, int) and claimed < last_seq:
        return (
            f"entries after #{claimed} {'were' if now else 'had been'} added without "
            "updating the head record"
        )
    return f"the head record {'does' if now else 'did'} not match entry #{last_seq}"
