"""The outbound message queue (services/outbox.py) and its sender (bot/outbox_sender.py), in
virtual time: the sender's clock and sleep move a FakeClock, so no test waits for real.

What must hold: a dedupe key queues once; each chat's messages go out in order; never more than
30 messages in any one-second span, never two to one chat within a second; a 429 defers exactly
its `retry_after`; passing trouble backs off and the message still goes out once; a blocked user
is given up without holding anyone else back; a new sender over the same database picks up
where a stopped one left off. Runs on SQLite, and on PostgreSQL when CI provides it."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.outbox_sender import OutboxSender, SlidingWindow
from bot.port import FloodWait, Undeliverable
from handlers.events import Button, Keyboard, Send
from services.outbox import FAILED, QUEUED, SENT, Outbox, decode_buttons
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboundMessage
from tests.conftest import FakeClock
from tests.pg import fresh_database

TENANT = "default"


# ---------------------------------------------------------------------------------------------
# Virtual time, a fake port, the database
# ---------------------------------------------------------------------------------------------


class VirtualTime:
    """The sender's clock and sleep over the same FakeClock the queue stamps its rows with.

    As in any discrete-event simulation, time moves only once the work under way is done: a
    sleep first waits for the sender's sends in flight (which the fake port answers at once, in
    zero virtual time), so a wait never jumps past the moment a send would have ended."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.start = clock.now.timestamp()
        self.settle: Callable[[], Awaitable[None]] | None = None

    def now(self) -> float:
        return self.clock().timestamp()

    def peek(self) -> float:
        """Now, without the microsecond a reading of FakeClock adds."""
        return self.clock.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        if self.settle is not None:
            await self.settle()
        self.clock.now += timedelta(microseconds=math.ceil(seconds * 1_000_000))
        await asyncio.sleep(0)  # let the rest of the test run: a yield, not a wait


@dataclass
class Attempt:
    at: float  # virtual seconds since the test began
    chat_id: int
    text: str
    buttons: Keyboard | None
    outcome: str  # "sent", "flood", "refused", "error"


class FakePort:
    """An `OutboundPort` that records every attempt and fails when told to."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.attempts: list[Attempt] = []
        self.faults: dict[str, list[Exception]] = {}  # text → errors for its next attempts
        self.blocked: set[int] = set()
        self.on_deliver: Callable[[Send], None] | None = None
        self.started = 0
        self._changed = asyncio.Event()

    async def deliver(self, action: Send) -> int:
        at = self.time.peek() - self.time.start
        self.started += 1
        if self.on_deliver is not None:
            self.on_deliver(action)
        await asyncio.sleep(0)  # the call is in progress for a moment
        outcome = "sent"
        error: Exception | None = None
        if action.chat_id in self.blocked:
            outcome, error = "refused", Undeliverable("Forbidden: bot was blocked by the user")
        elif self.faults.get(action.text):
            error = self.faults[action.text].pop(0)
            outcome = "flood" if isinstance(error, FloodWait) else "error"
        self.attempts.append(Attempt(at, action.chat_id, action.text, action.buttons, outcome))
        self._changed.set()
        if error is not None:
            raise error
        return len(self.attempts)

    def sent(self) -> list[Attempt]:
        """Delivered messages, in the order their sends began."""
        return sorted((a for a in self.attempts if a.outcome == "sent"), key=lambda a: a.at)

    def tries(self, text: str) -> list[Attempt]:
        return sorted((a for a in self.attempts if a.text == text), key=lambda a: a.at)

    def sent_at(self, text: str) -> float:
        [sent] = [a for a in self.tries(text) if a.outcome == "sent"]
        return sent.at

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until `condition()` holds, checked after each attempt (the timeout is a safety net in
        real time; the sender runs in virtual time and gets there much sooner)."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
        return
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def time(clock: FakeClock) -> VirtualTime:
    return VirtualTime(clock)


@pytest.fixture
def outbox(db: Database, clock: FakeClock) -> Outbox:
    return Outbox(db, TENANT, clock)


@pytest.fixture
def port(time: VirtualTime) -> FakePort:
    return FakePort(time)


def make_sender(port: FakePort, outbox: Outbox, time: VirtualTime, **kw: float) -> OutboxSender:
    sender = OutboxSender(port, outbox, clock=time.now, sleep=time.sleep, **kw)  # type: ignore[arg-type]
    time.settle = sender.finish
    return sender


@asynccontextmanager
async def sending(sender: OutboxSender) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(sender.run())
    try:
        yield task
    finally:
        sender.stop()
        await asyncio.wait_for(task, timeout=10)


async def row_by_text(outbox: Outbox, text: str) -> OutboundMessage:
    async with outbox.db.session() as session:
        rows = await session.exec(select(OutboundMessage).where(OutboundMessage.text == text))
        return rows.one()


def max_in_one_second(times: list[float]) -> int:
    """The most sends in any half-open span [t, t + 1)."""
    ordered = sorted(times)
    most, j = 0, 0
    for i, start in enumerate(ordered):
        while j < len(ordered) and ordered[j] < start + 1.0:
            j += 1
        most = max(most, j - i)
    return most


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


async def test_a_repeated_dedupe_key_queues_nothing(outbox: Outbox, db: Database, clock: FakeClock):
    assert await outbox.enqueue(7, "Purchase approved", dedupe_key="numero:evt_1") is True
    assert await outbox.enqueue(7, "Purchase approved (again)", dedupe_key="numero:evt_1") is False
    assert await outbox.depth() == 1
    [row] = await outbox.due()
    assert row.text == "Purchase approved"
    await outbox.mark_sent(row.id)
    # Sent long ago: the same event processed again still alerts no one.
    assert await outbox.enqueue(7, "Purchase approved", dedupe_key="numero:evt_1") is False
    assert await outbox.depth() == 0

    # Without a key, every message is queued; another brand's key is its own.
    assert await outbox.enqueue(7, "hello") and await outbox.enqueue(7, "hello")
    assert await Outbox(db, "other-brand", clock).enqueue(7, "x", dedupe_key="numero:evt_1")
    assert await outbox.depth() == 2
    # A key longer than the column still dedupes (stored hashed).
    long_key = "nuvion:" + "e" * 300
    assert await outbox.enqueue(8, "long", dedupe_key=long_key) is True
    assert await outbox.enqueue(8, "long", dedupe_key=long_key) is False


async def test_enqueue_joins_the_callers_unit_of_work(outbox: Outbox, db: Database):
    """Queued in the caller's transaction: a duplicate does not spoil it, the sender hears of
    the message only once it is committed, and a rollback queues nothing."""
    pokes: list[int] = []
    unsubscribe = outbox.subscribe(lambda: pokes.append(1))
    async with db.session() as session:
        assert await outbox.enqueue(7, "refund", dedupe_key="evt_9", session=session)
        assert not await outbox.enqueue(7, "refund", dedupe_key="evt_9", session=session)
        assert await outbox.enqueue(7, "low balance", dedupe_key="evt_9:low", session=session)
        assert pokes == []  # not committed yet
    assert pokes == [1, 1]
    assert [r.text for r in await outbox.due()] == ["refund"]  # one per chat at a time
    assert await outbox.depth() == 2

    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await outbox.enqueue(9, "never", dedupe_key="evt_10", session=session)
            raise RuntimeError("the event's processing failed")
    assert await outbox.depth() == 2
    assert await outbox.enqueue(9, "now", dedupe_key="evt_10")  # the key was not used up
    unsubscribe()
    await outbox.enqueue(9, "quiet")
    assert len(pokes) == 3


async def test_due_is_each_chats_oldest_message_oldest_first(outbox: Outbox, clock: FakeClock):
    keyboard = [[Button("Top up", "1|topup"), Button("Unfreeze", "1|unfreeze")]]
    for chat, text in [(1, "A1"), (2, "B1"), (1, "A2"), (3, "C1"), (2, "B2")]:
        await outbox.enqueue(chat, text, keyboard if text == "C1" else None)
    due = await outbox.due()
    assert [r.text for r in due] == ["A1", "B1", "C1"]
    assert decode_buttons(due[2].buttons_json) == keyboard
    assert [r.text for r in await outbox.due(limit=2)] == ["A1", "B1"]

    # A1 must wait: A2 waits behind it (a chat's messages never overtake each other).
    assert await outbox.defer(due[0].id, 10, "flood control: retry after 10s")
    assert await outbox.mark_sent(due[1].id)
    c1, b2 = await outbox.due()
    assert [c1.text, b2.text] == ["C1", "B2"]
    next_at = await outbox.next_due_at()
    assert next_at is not None and next_at <= clock.now  # something may go now
    assert await outbox.give_up(c1.id, "Forbidden: bot was blocked by the user")
    assert await outbox.mark_sent(b2.id)
    next_at = await outbox.next_due_at()  # only A1 is left at the head of a chat
    assert next_at is not None and 9.99 < (next_at - clock.now).total_seconds() <= 10
    assert await outbox.due() == []
    clock.advance(10)
    assert [r.text for r in await outbox.due()] == ["A1"]
    assert await outbox.depth() == 2
    assert not await outbox.mark_sent(b2.id)  # only a queued row changes
    row = await outbox.get(due[0].id)
    assert row is not None and (row.attempts, row.status) == (1, QUEUED)
    failed = await outbox.get(c1.id)
    assert failed is not None and (failed.status, failed.attempts) == (FAILED, 1)


async def test_buttons_telegram_would_refuse_are_refused_when_queued(outbox: Outbox):
    with pytest.raises(ValueError, match="64 bytes"):
        await outbox.enqueue(1, "x", [[Button("Go", "x" * 65)]])
    with pytest.raises(ValueError):
        await outbox.enqueue(1, "x", [[Button("", "1|go")]])
    with pytest.raises(ValueError):
        await outbox.enqueue(1, "   ")
    assert await outbox.depth() == 0


def test_sliding_window_never_lets_a_burst_straddle_a_boundary():
    window = SlidingWindow(3)
    for at in (0.0, 0.1, 0.2):
        assert window.delay(at) == 0.0
        window.note(at)
    assert window.delay(0.5) == pytest.approx(0.5)  # the fourth waits for the first to age
    assert window.delay(1.0) == 0.0


# ---------------------------------------------------------------------------------------------
# The sender
# ---------------------------------------------------------------------------------------------


async def test_global_rate_never_above_30_per_second(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    texts = [f"alert {n}" for n in range(100)]
    for n, text in enumerate(texts):
        await outbox.enqueue(1000 + n, text)
    async with sending(make_sender(port, outbox, time)):
        await port.wait_until(lambda: len(port.sent()) == 100)
    sent = port.sent()
    assert [a.text for a in sent] == texts  # each once, oldest first
    times = [a.at for a in sent]
    assert all(times[i + 30] - times[i] >= 1.0 for i in range(len(times) - 30))
    assert max_in_one_second(times) == 30  # at the cap, not below it…
    # …so 100 messages take 3 s (30 + 30 + 30 + 10; the sender keeps 20 ms in hand each
    # second for the network's jitter), not more.
    assert times[-1] < 3.07
    assert await outbox.depth() == 0


async def test_one_chat_gets_at_most_one_message_per_second(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    mine = [f"mine {n}" for n in range(5)]
    for n, text in enumerate(mine):
        await outbox.enqueue(42, text)
        await outbox.enqueue(100 + n, f"other {n}")  # other chats are not held back
    sender = make_sender(port, outbox, time)
    async with sending(sender):
        await port.wait_until(lambda: len(port.sent()) == 10)
    to_me = [a for a in port.sent() if a.chat_id == 42]
    assert [a.text for a in to_me] == mine
    gaps = [b.at - a.at for a, b in itertools.pairwise(to_me)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert to_me[-1].at < 4.09  # one a second (and 20 ms), no slower
    assert all(a.at < 0.01 for a in port.sent() if a.chat_id != 42)

    # A reply in the conversation counts too: an alert does not follow it within the second.
    await time.sleep(5)
    sender = make_sender(port, outbox, time)
    sender.note_send(42)
    replied = time.peek() - time.start
    await outbox.enqueue(42, "after the reply")
    async with sending(sender):
        await port.wait_until(lambda: len(port.sent()) == 11)
    assert port.sent_at("after the reply") - replied >= 1.0


async def test_flood_control_defers_exactly_retry_after_and_holds_the_chat(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    port.faults["A1"] = [FloodWait(5)]
    for chat, text in [(1, "A1"), (1, "A2"), (2, "B1")]:
        await outbox.enqueue(chat, text)
    async with sending(make_sender(port, outbox, time, max_wait=1.0)):
        await port.wait_until(lambda: len(port.sent()) == 3)
    first, second = port.tries("A1")  # tried twice, nothing in between
    assert (first.outcome, second.outcome) == ("flood", "sent")
    assert 5.0 <= second.at - first.at < 5.01
    assert port.sent_at("B1") < 0.01  # another chat is not held back
    assert port.sent_at("A2") - port.sent_at("A1") >= 1.0  # A2 never overtook A1
    row = await row_by_text(outbox, "A1")
    assert (row.status, row.attempts) == (SENT, 1)
    assert row.last_error == "flood control: retry after 5s"


async def test_passing_trouble_backs_off_and_sends_exactly_once(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    port.faults["A1"] = [ConnectionResetError("reset by peer"), TimeoutError()]
    await outbox.enqueue(1, "A1")
    await outbox.enqueue(2, "B1")
    async with sending(make_sender(port, outbox, time)):
        await port.wait_until(lambda: len(port.sent()) == 2)
    tries = port.tries("A1")
    assert [a.outcome for a in tries] == ["error", "error", "sent"]
    assert tries[1].at - tries[0].at >= 1.0  # backed off 1 s…
    assert tries[2].at - tries[1].at >= 2.0  # …then 2 s
    assert [a.text for a in port.sent()].count("A1") == 1
    row = await row_by_text(outbox, "A1")
    assert (row.status, row.attempts, row.last_error) == (SENT, 2, "TimeoutError")
    assert len(port.tries("B1")) == 1


async def test_a_blocked_user_is_given_up_without_holding_back_others(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    port.blocked.add(2)
    for chat, text in [(2, "B1"), (1, "A1"), (2, "B2"), (3, "C1")]:
        await outbox.enqueue(chat, text)
    async with sending(make_sender(port, outbox, time)):
        await port.wait_until(lambda: len(port.attempts) == 4)
    assert [a.text for a in port.sent()] == ["A1", "C1"]
    assert all(a.at < 0.01 for a in port.sent())
    assert [(a.text, a.outcome) for a in port.tries("B1") + port.tries("B2")] == [
        ("B1", "refused"),
        ("B2", "refused"),
    ]
    for text in ("B1", "B2"):
        row = await row_by_text(outbox, text)
        assert (row.status, row.last_error) == (FAILED, "Forbidden: bot was blocked by the user")
    assert await outbox.depth() == 0


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_new_sender_picks_up_where_a_stopped_one_left_off(
    db_url: str,
    db: Database,
    outbox: Outbox,
    port: FakePort,
    time: VirtualTime,
    clock: FakeClock,
    concurrency: int,
):
    texts = ["A1", *(f"X{n}" for n in range(1, 8)), "A2", "A3"]
    for text in texts:
        await outbox.enqueue(1 if text.startswith("A") else 100 + int(text[1:]), text)
    first = make_sender(port, outbox, time, concurrency=concurrency)
    port.on_deliver = lambda action: first.stop() if port.started == 4 else None
    await asyncio.wait_for(first.run(), timeout=10)
    # Stopped during the fourth send: every send begun finished and its row was marked; no
    # other began (one at a time: the fourth; eight at a time: the first pass's eight chats).
    started = 4 if concurrency == 1 else 8
    assert [a.text for a in port.sent()] == texts[:started]
    for text in texts[:started]:
        assert (await row_by_text(outbox, text)).status == SENT
    assert await outbox.depth() == len(texts) - started

    # A new process: its own engine over the same database.
    port.on_deliver = None
    restarted_db = Database(db_url)
    try:
        again = Outbox(restarted_db, TENANT, clock)
        async with sending(make_sender(port, again, time)):
            await port.wait_until(lambda: len(port.sent()) == len(texts))
        assert await again.depth() == 0
    finally:
        await restarted_db.dispose()
    assert sorted(a.text for a in port.sent()) == sorted(texts)  # each exactly once
    to_a = [a for a in port.sent() if a.chat_id == 1]
    assert [a.text for a in to_a] == ["A1", "A2", "A3"]
    # The new sender knew A1 went out a moment ago: A2 still waited its second.
    assert all(b.at - a.at >= 1.0 for a, b in itertools.pairwise(to_a))


async def test_an_idle_sender_is_woken_by_a_new_message(
    outbox: Outbox, port: FakePort, time: VirtualTime
):
    """Idle, the sender waits for the next poll or a poke; queueing pokes it. (Its sleep here
    never ends, so only the poke can wake it.) A row given up meanwhile is not sent."""

    idle = asyncio.Event()

    async def never(_seconds: float) -> None:
        idle.set()
        await asyncio.Event().wait()

    sender = OutboxSender(port, outbox, clock=time.now, sleep=never)
    await outbox.enqueue(1, "cancelled")
    [row] = await outbox.due()
    await outbox.give_up(row.id, "cancelled by support")
    async with sending(sender):
        await asyncio.wait_for(idle.wait(), timeout=10)  # it looked, found nothing, waits
        await outbox.enqueue(2, "fresh")
        await port.wait_until(lambda: len(port.sent()) == 1)
    assert [a.text for a in port.attempts] == ["fresh"]
    assert port.attempts[0].at < 0.01
