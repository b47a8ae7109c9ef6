"""The events server over real HTTP on 127.0.0.1 with a real (SQLite) inbox: a delivery is
committed before its 2xx, processed once, never twice for a replay, never lost when the
processor fails or crashes (the worker retries it from the database, also after a restart)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.events_server import InboxWorker, start_events_if_configured
from services.inbox import Inbox, dispatcher, strip_card_data
from services.money import Money
from services.provider_events import DepositEvent
from services.providers.base import EventKind, ProviderEvent
from storage.db import Database
from tests.conftest import FakeClock
from tests.events_support import (
    SAMPLES,
    SECRETS,
    TENANT,
    Recorder,
    dumps,
    generic_headers,
    inbox_rows,
    migrated_db,
    running,
    signed,
    webhook_settings,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The inbox tests run on SQLite and on PostgreSQL (CI's server; see tests/pg.py)."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
        else:
            from tests.pg import fresh_database

            url = await stack.enter_async_context(fresh_database())
        database = await migrated_db(url)
        yield database
        await database.dispose()


def numero(event_id: str, kind: str = "settlement", **data: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": f"card.transaction.{kind}",
        "data": {"cardReference": "NCRD1", "reference": "TX1", "amount": 10} | data,
    }


async def test_the_row_is_committed_before_the_2xx_and_processed_once(
    db: Database, clock: FakeClock
) -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)  # processing waits until the test lets it go
    async with running(db, clock, recorder) as server:
        response = await server.post_signed("numero", numero("evt_1"))
        assert response.status_code == 200
        # Answered while the processor has not finished: the row was already committed.
        rows = await inbox_rows(db)
        assert [(r.event_id, r.status) for r in rows] == [("evt_1", "received")]
        assert response.json()["id"] == rows[0].id
        await asyncio.wait_for(recorder.started.wait(), 10)
        gate.set()
        await server.service.worker.drain()
        assert recorder.applied == ["evt_1"]
        (row,) = await inbox_rows(db)
        assert (row.status, row.attempts, row.processed_at is not None) == ("processed", 1, True)
        # The retry loop finds nothing left to do.
        assert await server.service.worker.run_once() == 0
    assert len(recorder.calls) == 1


async def test_a_replay_is_answered_2xx_and_not_processed_again(
    db: Database, clock: FakeClock
) -> None:
    recorder = Recorder()
    async with running(db, clock, recorder) as server:
        first = await server.post_signed("numero", numero("evt_1"))
        await server.service.worker.drain()
        clock.advance(60)
        # The provider retries (re-signed, later), and the same event comes again.
        again = await server.post_signed("numero", numero("evt_1"))
        await server.service.worker.drain()
        assert await server.service.worker.run_once() == 0
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert first.json()["id"] == again.json()["id"]
    assert recorder.applied == ["evt_1"]
    assert len(await inbox_rows(db)) == 1


async def test_a_replay_while_the_first_is_still_processing_is_not_processed_twice(
    db: Database, clock: FakeClock
) -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)
    async with running(db, clock, recorder) as server:
        await server.post_signed("numero", numero("evt_1"))
        await asyncio.wait_for(recorder.started.wait(), 10)
        again = await server.post_signed("numero", numero("evt_1"))
        assert await server.service.worker.run_once() == 0  # in hand already: not taken again
        gate.set()
        await server.service.worker.drain()
    assert again.json()["duplicate"] is True
    assert len(recorder.calls) == 1


async def test_simultaneous_copies_of_one_event_store_one_row(
    db: Database, clock: FakeClock
) -> None:
    recorder = Recorder()
    async with running(db, clock, recorder) as server:
        body = dumps(numero("evt_1"))
        headers = signed("numero", body, clock.now.timestamp())
        responses = await asyncio.gather(*(server.post("numero", body, headers) for _ in range(8)))
        await server.service.worker.drain()
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 7
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await inbox_rows(db)) == 1
    assert recorder.applied == ["evt_1"]


async def test_out_of_order_deliveries_are_all_stored_and_each_processed_once(
    db: Database, clock: FakeClock
) -> None:
    """The settlement arrives before its authorization, a refund before both; each is kept and
    handed over once — ordering is the processor's business, losing one is ours."""
    recorder = Recorder()
    deliveries = [
        numero("evt_3", "refund", reference="TX1"),
        numero("evt_2", "settlement", reference="TX1"),
        numero("evt_1", "authorization", reference="TX1"),
        numero("evt_2", "settlement", reference="TX1"),  # and a duplicate in between
    ]
    async with running(db, clock, recorder) as server:
        for doc in deliveries:
            assert (await server.post_signed("numero", doc)).status_code == 200
        await server.service.worker.drain()
    rows = await inbox_rows(db)
    assert [r.event_id for r in rows] == ["evt_3", "evt_2", "evt_1"]
    assert {r.status for r in rows} == {"processed"}
    assert sorted(recorder.applied) == ["evt_1", "evt_2", "evt_3"]


async def test_a_processor_failure_still_answers_2xx_and_the_worker_retries(
    db: Database, clock: FakeClock
) -> None:
    recorder = Recorder(fail_times=1)
    async with running(db, clock, recorder) as server:
        response = await server.post_signed("numero", numero("evt_1"))
        await server.service.worker.drain()
        assert response.status_code == 200
        (row,) = await inbox_rows(db)
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error == "RuntimeError: processor crashed mid-way"
        worker = server.service.worker
        # Not yet: the first retry waits its backoff.
        assert await worker.run_once() == 0
        clock.advance(worker.backoff(1).total_seconds())
        assert await worker.run_once() == 1
    (row,) = await inbox_rows(db)
    assert (row.status, row.attempts, row.last_error) == ("processed", 2, None)
    assert recorder.applied == ["evt_1"]
    assert len(recorder.calls) == 2


async def test_the_retry_loop_picks_the_row_up_when_poked(db: Database, clock: FakeClock) -> None:
    recorder = Recorder(fail_times=1)
    async with running(db, clock, recorder) as server:
        await server.post_signed("numero", numero("evt_1"))
        await server.service.worker.drain()
        clock.advance(3600)
        server.service.worker.poke()  # the loop's own timer is an hour in these tests
        await recorder.wait_for_effects(1)
    (row,) = await inbox_rows(db)
    assert row.status == "processed"


async def test_nothing_is_lost_when_the_processor_crashes_mid_way(
    db: Database, clock: FakeClock
) -> None:
    """The process dies while applying an event (its task is cancelled on shutdown): the row is
    still in the inbox, untouched, and the next start processes it."""
    hang = Recorder(gate=asyncio.Event())  # never released: "killed" mid-way
    async with running(db, clock, hang) as server:
        await server.post_signed("numero", numero("evt_1"))
        await server.post_signed("numero", numero("evt_2"))
        await asyncio.wait_for(hang.started.wait(), 10)
        drained = await server.service.worker.drain(grace=0.05)
        assert drained is False
    rows = await inbox_rows(db)
    assert [(r.event_id, r.status, r.attempts) for r in rows] == [
        ("evt_1", "received", 0),
        ("evt_2", "received", 0),
    ]
    assert hang.applied == []

    restarted = Recorder()
    async with running(db, clock, restarted) as server:
        await server.service.worker.run_once()  # also what the loop does on start
        await server.service.worker.drain()
    rows = await inbox_rows(db)
    assert {(r.event_id, r.status) for r in rows} == {
        ("evt_1", "processed"),
        ("evt_2", "processed"),
    }
    assert sorted(restarted.applied) == ["evt_1", "evt_2"]


async def test_an_event_that_always_fails_is_kept_and_can_be_requeued(
    db: Database, clock: FakeClock
) -> None:
    recorder = Recorder(fail_times=10_000)
    inbox = Inbox(db, TENANT, clock, max_attempts=3)
    worker = InboxWorker(inbox, recorder, retry_base=1.0)
    row, new = await inbox.store("numero", "evt_1", "card.spend", dumps(numero("evt_1")))
    assert new
    for _ in range(5):
        await worker.run_once()
        clock.advance(3600)
    assert len(recorder.calls) == 3  # max_attempts, then no more
    assert await inbox.pending() == []
    (dead,) = await inbox.dead()
    assert (dead.id, dead.status, dead.attempts) == (row.id, "failed", 3)
    assert dead.body == dumps(numero("evt_1")).decode()  # still all there
    recorder.fail_times = 0
    await inbox.requeue(row.id)
    assert await worker.run_once() == 1
    stored = await inbox.get(row.id)
    assert stored is not None and stored.status == "processed"


async def test_mark_failed_never_undoes_a_processed_row(db: Database, clock: FakeClock) -> None:
    """A processor may mark its row processed inside its own transaction."""
    inbox = Inbox(db, TENANT, clock)
    row, _ = await inbox.store("numero", "evt_1", "t", "{}")
    await inbox.mark_processed(row.id)
    await inbox.mark_failed(row.id, "late error")
    await inbox.mark_processed(row.id)
    stored = await inbox.get(row.id)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.last_error) == ("processed", 1, None)


async def test_rows_belong_to_their_tenant(db: Database, clock: FakeClock) -> None:
    brand_a, brand_b = Inbox(db, "brand-a", clock), Inbox(db, "brand-b", clock)
    a, new_a = await brand_a.store("numero", "evt_1", "t", "{}")
    b, new_b = await brand_b.store("numero", "evt_1", "t", "{}")
    assert new_a and new_b and a.id != b.id
    assert [r.id for r in await brand_a.pending()] == [a.id]
    assert await brand_a.get(b.id) is None


# -- card data never reaches the inbox -----------------------------------------------------------


async def test_card_numbers_and_cvvs_are_stripped_before_storing(
    db: Database, clock: FakeClock
) -> None:
    """Bitnob's v1 card objects carry cardNumber and cvv2; they are dropped, the rest is kept
    exactly as sent (numbers keep their digits)."""
    recorder = Recorder()
    body = (
        b'{"event": "virtualcard.created.success", "data": {"id": "card-1",'
        b' "reference": "cb-ref-1", "cardNumber": "4111 1111 1111 1111", "cvv2": "123",'
        b' "valid": "10/2029", "last4": "1111", "balance": 15.10, "nested": [{"card_number":'
        b' "5500005555555559", "CVV": 999, "number": "5500005555555559"}]}}'
    )
    async with running(db, clock, recorder) as server:
        assert (await server.post_signed("bitnob", body)).status_code == 200
        await server.service.worker.drain()
    (row,) = await inbox_rows(db)
    assert "4111" not in row.body and "5500005555555559" not in row.body
    assert "cvv" not in row.body.lower() and "123" not in row.body
    assert json.loads(row.body)["data"] == {
        "id": "card-1",
        "reference": "cb-ref-1",
        "valid": "10/2029",
        "last4": "1111",
        "balance": 15.10,
        "nested": [{}],
    }
    assert '"balance":15.10,' in row.body  # the digits as sent
    assert recorder.calls[0].body == row.body  # the processor sees the stripped body too


def test_a_body_without_card_data_is_stored_byte_for_byte() -> None:
    body = '{ "id" : "e1", "amount": 25.10, "number": "INV-42", "ref": 4111111111111111 }'
    assert strip_card_data(body) is body
    assert strip_card_data("not json") == "not json"
    card = '{"card": {"number": 4111111111111111, "cvc": "12"}, "x": 1.50}'
    assert strip_card_data(card) == '{"card":{},"x":1.50}'


# -- the deposit webhook and the dispatcher ---------------------------------------------------


async def test_a_signed_deposit_is_stored_and_handed_over_as_a_deposit_event(
    db: Database, clock: FakeClock
) -> None:
    deposits: list[DepositEvent] = []
    events: list[tuple[str, ProviderEvent]] = []

    async def apply_event(provider: str, event: ProviderEvent) -> None:
        events.append((provider, event))

    async def apply_deposit(deposit: DepositEvent) -> None:
        deposits.append(deposit)

    process = dispatcher(apply_event, apply_deposit)
    async with running(db, clock, process) as server:
        doc = {
            "id": "dep-1",
            "user": 777000111,
            "amount": 5000,
            "currency": "USD",
            "reference": "bank-transfer-981",
            "occurred_at": "2026-11-21T11:59:00Z",
        }
        response = await server.post_signed("deposit", doc)
        assert response.status_code == 200
        assert (await server.post_signed("numero", numero("evt_1"))).status_code == 200
        await server.service.worker.drain()
    assert [(d.event_id, d.telegram_id, d.amount.minor, d.reference) for d in deposits] == [
        ("dep-1", 777000111, 5000, "bank-transfer-981")
    ]
    assert [(p, e.kind, e.event_id, e.amount) for p, e in events] == [
        ("numero", EventKind.SETTLEMENT, "evt_1", Money(1000, "USD"))  # $10 in cents
    ]
    rows = await inbox_rows(db)
    assert {(r.provider, r.status) for r in rows} == {
        ("deposit", "processed"),
        ("numero", "processed"),
    }


async def test_an_unreadable_stored_row_fails_and_stays(db: Database, clock: FakeClock) -> None:
    async def apply_event(provider: str, event: ProviderEvent) -> None:
        raise AssertionError("nothing to apply")

    inbox = Inbox(db, TENANT, clock)
    worker = InboxWorker(inbox, dispatcher(apply_event))
    row, _ = await inbox.store("numero", "evt_9", "card.spend", '{"id": "evt_9", "type": "x"')
    assert await worker.run_once() == 0
    stored = await inbox.get(row.id)
    assert stored is not None and stored.status == "failed"
    assert stored.last_error is not None and "EventParseError" in stored.last_error


# -- started by `cardbot run` (when configured) and by `cardbot events` --------------------------


async def test_cardbot_run_starts_the_server_only_when_a_port_is_set(app: Any) -> None:
    assert await start_events_if_configured(app, webhook_settings()) is None
    service = await start_events_if_configured(app, webhook_settings(events_port=0))
    assert service is not None
    try:
        async with httpx.AsyncClient(base_url=service.url) as client:
            assert (await client.get("/health")).status_code == 200
    finally:
        await service.stop()


async def test_cardbot_events_command_serves_until_terminated(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDBOT_")} | {
        "CARDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        "CARDBOT_KEY_FILE": str(tmp_path / "cardbot.keys"),
        "CARDBOT_EVENTS_PORT": "0",
        "CARDBOT_DEPOSIT_WEBHOOK_SECRET": SECRETS["deposit"],
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "events",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        url = None
        async with asyncio.timeout(60):
            while url is None:
                line = (await process.stderr.readline()).decode()
                assert line, "cardbot events ended before listening"
                found = re.search(r"provider events on (http://\S+)", line)
                url = found.group(1) if found else None
        doc, _ = SAMPLES["deposit"]
        body = dumps(doc)
        headers = generic_headers(body, int(time.time()), SECRETS["deposit"])
        async with httpx.AsyncClient(base_url=url) as client:
            health = await client.get("/health")
            response = await client.post("/deposits", content=body, headers=headers)
            unsigned = await client.post("/events/numero", content=body)
        assert health.status_code == 200
        assert response.status_code == 200, response.text
        assert unsigned.status_code == 503  # no Numero secret in this deployment
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await process.wait()
    assert code == 0
    db = Database(env["CARDBOT_DATABASE_URL"])
    try:
        rows = await inbox_rows(db)
    finally:
        await db.dispose()
    assert [(r.provider, r.event_id) for r in rows] == [("deposit", "dep_1")]
