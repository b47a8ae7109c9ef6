"""The audit log: one unbroken, keyed hash chain per tenant; an edited, deleted, reordered,
inserted or cut-off entry is found by `verify` at its seq; concurrent appends (two app instances,
SQLite and PostgreSQL) never fork the chain; every reveal is recorded without card data; the
cardholder sees their card's reveal history; `cardbot audit verify` exits 1 on a tampered log."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text, update
from sqlmodel import col, select

from bot.app import App, build_app
from handlers.history import PAGE_SIZE, VIA
from handlers.texts import Texts
from services.audit import GENESIS, HEAD_SEQ, AuditLog, VerifyResult, _canonical
from services.settings import Settings
from storage.models import AuditEntry, Card
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard

ROOT = Path(__file__).resolve().parent.parent


# -- helpers --
async def fill(app: App, count: int = 5) -> list[AuditEntry]:
    """``count`` admin and cardholder entries, as the admin commands and reveals write them."""
    audit = app.services.audit
    entries = []
    for n in range(count):
        if n % 2:
            entries.append(await audit.record("tg:42", "admin", "card.freeze", f"card{n}", {}))
        else:
            entries.append(
                await audit.record("tg:1001", "cardholder", "reveal", f"card{n}", {"last4": "4242"})
            )
    return entries


async def rows(app: App, *, head: bool = False) -> list[AuditEntry]:
    async with app.db.session() as session:
        query = select(AuditEntry).where(AuditEntry.tenant == app.settings.tenant)
        if not head:
            query = query.where(col(AuditEntry.seq) >= 1)
        return list((await session.exec(query.order_by(col(AuditEntry.seq)))).all())


async def tamper(app: App, which: int, **values: Any) -> None:
    """A direct SQL UPDATE of one row (by seq), as someone with database access would do it."""
    async with app.db.session() as session:
        await session.exec(  # type: ignore[call-overload]
            update(AuditEntry)
            .where(col(AuditEntry.tenant) == app.settings.tenant, col(AuditEntry.seq) == which)
            .values(**values)
        )


async def remove(app: App, *seqs: int) -> None:
    async with app.db.session() as session:
        await session.exec(  # type: ignore[call-overload]
            delete(AuditEntry).where(
                col(AuditEntry.tenant) == app.settings.tenant, col(AuditEntry.seq).in_(seqs)
            )
        )


def broken_at(result: VerifyResult, seq: int, *words: str) -> None:
    assert not result.ok, result
    assert result.first_bad_seq == seq, result
    for word in words:
        assert word in result.reason, result


# -- the chain --
async def test_entries_chain_and_verify(money_app: App) -> None:
    audit = money_app.services.audit
    assert await audit.verify() == VerifyResult(True, 0)
    written = await fill(money_app, 5)
    stored = await rows(money_app)
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(stored))
    assert [e.hash for e in stored] == [e.hash for e in written]
    # What comes back from the database hashes as it did when written (timestamps included).
    assert all(audit.entry_hash(e) == e.hash for e in stored)
    assert stored[0].at == written[0].at and stored[0].at.utcoffset() == timedelta(0)
    assert json.loads(stored[0].details) == {"last4": "4242"}
    result = await audit.verify()
    assert result == VerifyResult(True, 5, None, "", 5, stored[-1].hash)
    [head] = [e for e in await rows(money_app, head=True) if e.seq == HEAD_SEQ]
    assert (json.loads(head.details), head.prev_hash) == ({"entries": 5}, stored[-1].hash)


async def test_the_hash_is_keyed_so_database_access_cannot_recompute_it(app: App) -> None:
    """A bare SHA-256 could be recomputed by whoever edits the row; the HMAC key is not in the
    database, so an edited entry with a freshly computed SHA-256 is still caught."""
    await fill(app, 3)
    second = (await rows(app))[1]
    assert hashlib.sha256(_canonical(second)).hexdigest() != second.hash
    second.actor = "tg:7"
    await tamper(app, 2, actor="tg:7", hash=hashlib.sha256(_canonical(second)).hexdigest())
    broken_at(await app.services.audit.verify(), 2, "edited")
    # The same log under another key (another deployment's ring) does not verify at all …
    other = AuditLog(app.db, app.settings.tenant, key=b"another key" * 3)
    broken_at(await other.verify(), 1, "edited")
    # … while a rotated ring keeps the key (rotation leaves the index key alone).
    rotated = AuditLog(app.db, app.settings.tenant, key=app.ring.rotated().derive("audit"))
    assert (await rotated.verify()).first_bad_seq == 2


FIELD_EDITS: dict[str, Any] = {
    "at": lambda e: {"at": e.at + timedelta(seconds=1)},
    "actor": lambda e: {"actor": "tg:666"},
    "role": lambda e: {"role": "system"},
    "action": lambda e: {"action": "card.unfreeze"},
    "subject": lambda e: {"subject": "someone-else"},
    "subject-cleared": lambda e: {"subject": None},
    "details": lambda e: {"details": '{"last4":"0000"}'},
    "details-spacing": lambda e: {"details": e.details.replace(":", ": ")},
    "prev_hash": lambda e: {"prev_hash": "f" * 64},
    "hash": lambda e: {"hash": "0" * 64},
    "id": lambda e: {"id": "0" * 32},
    "tenant": lambda e: {"tenant": "other-brand"},
    "seq": lambda e: {"seq": 99},
}


@pytest.mark.parametrize("field", FIELD_EDITS)
async def test_an_edited_field_is_found_at_its_entry(money_app: App, field: str) -> None:
    await fill(money_app, 5)
    third = (await rows(money_app))[2]
    await tamper(money_app, 3, **FIELD_EDITS[field](third))
    broken_at(await money_app.services.audit.verify(), 3)


async def test_a_deleted_entry_is_found(money_app: App) -> None:
    await fill(money_app, 6)
    await remove(money_app, 3)
    result = await money_app.services.audit.verify()
    broken_at(result, 3, "#3 is missing")
    assert (result.checked, result.head_seq) == (2, 2)
    await remove(money_app, 4)
    broken_at(await money_app.services.audit.verify(), 3, "#3–#4 is missing")


async def test_deleting_the_first_entry_is_found(app: App) -> None:
    await fill(app, 3)
    await remove(app, 1)
    broken_at(await app.services.audit.verify(), 1, "missing")


async def test_cutting_off_the_newest_entries_is_found_by_the_head(money_app: App) -> None:
    await fill(money_app, 5)
    await remove(money_app, 5)
    broken_at(await money_app.services.audit.verify(), 5, "#5 is removed", "cut short")
    await remove(money_app, 4)
    broken_at(await money_app.services.audit.verify(), 4, "#4–#5 is removed")


async def test_the_head_record_cannot_be_deleted_or_rewritten(app: App) -> None:
    audit = app.services.audit
    await fill(app, 4)
    await tamper(app, HEAD_SEQ, details='{"entries":3}')  # to hide a removed #4
    await remove(app, 4)
    broken_at(await audit.verify(), 4, "head record was altered")
    await remove(app, HEAD_SEQ)
    broken_at(await audit.verify(), 4, "head record is missing")


async def test_an_append_after_tampering_keeps_the_damage_visible(app: App) -> None:
    """A damaged log does not block reveals, but the next entry's head carries the finding, and
    every later head carries it on, so the damage cannot be appended away."""
    audit = app.services.audit
    await fill(app, 4)
    await remove(app, 4)
    fifth = await audit.record("tg:1001", "cardholder", "reveal", "card9", {"last4": "4242"})
    assert fifth.seq == 4  # appended after the last entry still there, linked to it
    broken_at(await audit.verify(), 4, "#4 had been removed")
    await audit.record("tg:42", "admin", "card.freeze", "card9", {})
    broken_at(await audit.verify(), 4, "#4 had been removed")

    await remove(app, HEAD_SEQ)
    await audit.record("tg:42", "admin", "card.unfreeze", "card9", {})
    broken_at(await audit.verify(), 6, "head record had gone missing")


async def test_reordered_and_inserted_entries_are_found(app: App) -> None:
    audit = app.services.audit
    await fill(app, 5)
    # swap #2 and #3 (through a free number: seq is unique)
    await tamper(app, 2, seq=-100)
    await tamper(app, 3, seq=2)
    await tamper(app, -100, seq=3)
    broken_at(await audit.verify(), 2, "edited")
    await tamper(app, 3, seq=-100)
    await tamper(app, 2, seq=3)
    await tamper(app, -100, seq=2)
    assert (await audit.verify()).ok  # put back as it was: the chain holds again

    # insert a forged #3: renumber the rest upward, then add a row written without the key
    for seq in (5, 4, 3):
        await tamper(app, seq, seq=seq + 1)
    template = (await rows(app))[1]
    forged = AuditEntry(
        tenant=app.settings.tenant,
        seq=3,
        at=template.at,
        actor="tg:1001",
        role="cardholder",
        action="reveal",
        subject="card2",
        details="{}",
        prev_hash=template.hash,
        hash="",
    )
    forged.hash = hashlib.sha256(_canonical(forged)).hexdigest()
    async with app.db.session() as session:
        session.add(forged)
    broken_at(await audit.verify(), 3, "edited")


async def test_a_row_outside_the_chain_is_reported(app: App) -> None:
    await fill(app, 2)
    first = (await rows(app))[0]
    async with app.db.session() as session:
        session.add(
            AuditEntry(
                tenant=app.settings.tenant,
                seq=-1,
                actor="tg:1",
                role="cardholder",
                action="reveal",
                subject=first.subject,
                prev_hash=GENESIS,
                hash="0" * 64,
            )
        )
    broken_at(await app.services.audit.verify(), -1, "outside the chain")
    # and it never reaches a reader
    page = await app.services.audit.history(str(first.subject))
    assert [item.seq for item in page.items] == [1]


async def test_rolling_back_log_and_head_together_needs_an_anchor(app: App) -> None:
    """Putting back an older copy of the last entries and the head (a backup, or a copy taken
    before) leaves a consistent, shorter log: only an anchor kept outside the database (the
    `audit.appended` log line, a previous verify's head) catches it."""
    audit = app.services.audit
    await fill(app, 4)
    [old_head] = [e for e in await rows(app, head=True) if e.seq == HEAD_SEQ]
    saved = old_head.model_dump()
    fifth = await audit.record("tg:42", "admin", "wallet.credit", "user1", {"amount_minor": 500})
    anchor = (fifth.seq, fifth.hash)
    assert (await audit.verify(anchor)).ok
    await remove(app, 5)
    await tamper(app, HEAD_SEQ, **{k: v for k, v in saved.items() if k != "id"})
    assert (await audit.verify()).ok  # consistent without the anchor: the known limit
    broken_at(await audit.verify(anchor), 5, "anchored entry #5 is gone")
    broken_at(await audit.verify((2, "a" * 64)), 2, "does not match the anchor")


async def test_concurrent_appends_from_two_instances_keep_one_chain(
    money_settings: Settings, clock: FakeClock
) -> None:
    """Twenty appends at once from two app instances (two connection pools, as two processes):
    on PostgreSQL the head row lock (and the retried first-append race) keeps them in line, on
    SQLite the exclusive unit of work."""
    first = await build_app(money_settings, clock=clock, migrate=True, configure_logs=False)
    second = await build_app(money_settings, clock=clock, migrate=False, configure_logs=False)
    try:
        apps = [first, second]
        written = await asyncio.gather(
            *(
                apps[n % 2].services.audit.record(
                    f"tg:{n}", "agent", "cardholder.view", f"user{n}", {"n": n}
                )
                for n in range(20)
            )
        )
        assert sorted(e.seq for e in written) == list(range(1, 21))
        stored = await rows(first)
        assert [e.seq for e in stored] == list(range(1, 21))
        assert sorted(json.loads(e.details)["n"] for e in stored) == list(range(20))
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(stored))
        for app in apps:
            result = await app.services.audit.verify()
            assert (result.ok, result.checked, result.head_hash) == (True, 20, stored[-1].hash)
        more = await asyncio.gather(
            *(first.services.audit.record("tg:1", "admin", "health", None, {}) for _ in range(5))
        )
        assert sorted(e.seq for e in more) == [21, 22, 23, 24, 25]
        assert (await second.services.audit.verify()).checked == 25
    finally:
        await second.close()
        await first.close()


# -- what goes in --
async def test_details_are_scrubbed_and_names_checked(app: App) -> None:
    audit = app.services.audit
    entry = await audit.record(
        "tg:42",
        "agent",
        "card.freeze",
        "card1",
        {"reason": "customer read out 4111 1111 1111 1111 and cvv=123", "pan": "4111111111111111"},
    )
    stored = json.loads(entry.details)
    assert stored == {"pan": "***", "reason": "customer read out [PAN] and cvv=***"}
    assert "4111" not in entry.details and "123" not in entry.details
    for bad in (
        {"actor": "Ada Okafor"},
        {"actor": "tg:4111111111111111"},
        {"role": "boss"},
        {"action": "Froze the card!"},
        {"action": "audit.head"},
        {"subject": "a card with spaces"},
    ):
        args = {"actor": "tg:1", "role": "admin", "action": "card.freeze", "subject": "c1"}
        with pytest.raises(ValueError):
            await audit.record(**{**args, **bad})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await audit.record("tg:1", "admin", "broadcast", None, {"when": object()})
    assert [e.seq for e in await rows(app)] == [1]  # nothing half-written


# -- reveals --
async def carded(app: App, clock: FakeClock, user_id: int = 1001) -> tuple[ChatUser, Card]:
    user = ChatUser(app, user_id=user_id)
    await onboard(user, clock)
    await issue_card(user, clock)
    account = await app.services.users.load(user_id)
    async with app.db.session() as session:
        [card] = (await session.exec(select(Card).where(Card.user_id == account.id))).all()
    return user, card


def standalone(token: str) -> re.Pattern[str]:
    """The token not inside a longer run of letters and digits (a hash, an id, a timestamp)."""
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])")


async def test_a_reveal_in_the_chat_is_recorded_without_card_data(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await user.type("/cards")
    await user.press("••••")
    await user.press("Show card details")
    secrets = await app.services.provider.reveal(card.provider_card_id)
    assert secrets.pan in user.log[-1].text  # the details were shown …
    [entry] = await rows(app)
    assert (entry.actor, entry.role, entry.action, entry.subject) == (
        "tg:1001",
        "cardholder",
        "reveal",
        card.id,
    )
    assert json.loads(entry.details) == {"last4": card.last4}
    # … and no column of any audit row, as stored, holds the number, its middle digits or the CVV
    async with app.db.session() as session:
        raw = (await session.exec(text("SELECT * FROM audit_log"))).all()  # type: ignore[call-overload]
    assert len(raw) == 2  # the entry and the head
    stored = " | ".join(str(value) for row in raw for value in row)
    assert secrets.pan not in stored and secrets.pan[6:12] not in stored
    assert not standalone(secrets.cvv).search(stored), stored
    assert (await app.services.audit.verify()).ok


async def test_no_record_no_reveal(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the log cannot take the entry, the card details are not sent."""
    user, card = await carded(app, clock)

    async def failing(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(app.services.audit, "record", failing)
    await user.type("/cards")
    await user.press("••••")
    before = len(user.log)
    await user.press("Show card details")
    secrets = await app.services.provider.reveal(card.provider_card_id)
    assert all(secrets.pan not in m.text for m in user.log)
    assert all(not m.protect_content for m in user.log[before:])
    assert "Something went wrong on our side" in user.last.plain


async def test_the_cardholder_sees_when_and_how_their_card_was_revealed(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await issue_card(user, clock)  # a second card: its entries must not show on the first
    account = await app.services.users.load(user.user_id)
    async with app.db.session() as session:
        [other] = (
            await session.exec(select(Card).where(Card.user_id == account.id, Card.id != card.id))
        ).all()
    await app.services.cards.reveal(account, other.id)
    _, strangers_card = await carded(app, clock, user_id=2002)
    await app.services.cards.reveal(await app.services.users.load(2002), strangers_card.id)

    await user.type("/cards")
    await user.press(f"•••• {card.last4}")
    assert "🕓 Reveal history" in user.labels()
    await user.press("Reveal history")
    assert "Nobody has shown this card's details yet." in user.screen_text()
    await user.press("Back to card")
    await user.press("Show card details")
    clock.advance(3600)
    await app.services.audit.record("tg:42", "admin", "card.freeze", card.id, {"reason": "fraud"})
    await app.services.audit.record("tg:43", "agent", "card.transactions", card.id, {"page": 0})
    await app.services.audit.record("tg:43", "agent", "find", None, {"query_kind": "phone"})

    await user.press("Reveal history")
    lines = user.screen_text().splitlines()
    assert lines[0] == f"🕓 Reveal history · card •••• {card.last4}"
    entries = [line for line in lines[2:] if line.strip()]
    assert len(entries) == 3, entries  # newest first; nothing from the other cards or people
    assert entries[0].endswith("A support agent, via a look at the card's transactions (support)")
    assert entries[1].endswith("An administrator, via Freeze card (support)")
    assert entries[2].startswith("👁 21 Nov 2026 12:")
    assert entries[2].endswith("You, via Show card details")
    assert user.labels() == ["⬅️ Back to card"]

    # A forged press for the other person's card is refused like any other card of theirs.
    message = user.screen
    seq = message.buttons[0][0].data.partition("|")[0]  # type: ignore[index]
    await user.press_data(message.id, f"{seq}|c.rh:{strangers_card.id}:0")
    assert user.screen_text().startswith("That card was not found.")
    assert f"•••• {strangers_card.last4}" not in user.screen_text()


async def test_a_long_reveal_history_pages(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    for _ in range(PAGE_SIZE + 3):
        await app.services.audit.record("tg:1001", "cardholder", "reveal", card.id, {"last4": "1"})
    await user.type("/cards")
    await user.press("••••")
    await user.press("Reveal history")
    first = [line for line in user.screen_text().splitlines() if "via" in line]
    assert len(first) == PAGE_SIZE
    assert user.labels() == ["Older ▶️", "⬅️ Back to card"]
    await user.press("Older")
    second = [line for line in user.screen_text().splitlines() if "via" in line]
    assert len(second) == 3
    assert user.labels() == ["◀️ Newer", "⬅️ Back to card"]
    # a tampered entry is still listed, marked
    await tamper(app, 1, details='{"last4":"9999"}')
    await user.press("Newer")
    await user.press("Older")
    assert user.screen_text().count("failed its integrity check") == 1


def test_every_action_label_is_in_the_catalogue() -> None:
    texts = Texts.load()
    for key in VIA.values():
        assert texts.has(key), key


# -- the command --
def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARDBOT_")} | {
        "CARDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        "CARDBOT_KEY_FILE": str(tmp_path / "cardbot.keys"),
        "CARDBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )


def test_cardbot_audit_verify_and_show(tmp_path: Path) -> None:
    async def write(count: int) -> None:
        app = await build_app(make_settings(tmp_path), configure_logs=False)
        try:
            await fill(app, count)
        finally:
            await app.close()

    async def edit() -> None:
        app = await build_app(make_settings(tmp_path), configure_logs=False)
        try:
            await tamper(app, 2, actor="tg:666")
        finally:
            await app.close()

    empty = cli(tmp_path, "audit", "verify")
    assert (empty.returncode, empty.stdout.splitlines()[0]) == (0, "audit chain OK: 0 entries")
    asyncio.run(write(3))
    good = cli(tmp_path, "audit", "verify")
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[0] == "audit chain OK: 3 entries"
    anchor = good.stdout.splitlines()[1].split()[1]
    assert re.fullmatch(r"3:[0-9a-f]{64}", anchor)
    assert cli(tmp_path, "audit", "verify", "--anchor", anchor).returncode == 0

    shown = cli(tmp_path, "audit", "show", "--last", "2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("#2  ") and "tg:42 (admin)  card.freeze  card1" in lines[0]
    assert lines[1].startswith("#3  ") and '{"last4": "4242"}' in lines[1]

    asyncio.run(edit())
    bad = cli(tmp_path, "audit", "verify")
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0] == (
        "audit chain BROKEN at entry #2: its contents do not match its hash (edited)"
    )
    assert "[hash mismatch]" in cli(tmp_path, "audit", "show").stdout
