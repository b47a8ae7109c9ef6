"""How fast the outbound queue's sender goes, and how close to Telegram's limits, in real time.

The sender runs over a fresh SQLite database against a fake port that answers each send after
a simulated Telegram round trip (`--latency`, 50 ms by default). Scenarios:

- burst: N alerts to N chats queued at once, sent one at a time and with the default
  concurrency: the sustained messages/s (after the first second's 30, which go at once) against
  the 30/s cap, the most sends in any one-second span,
  and the scheduling delay — how much later than the limits allowed each send began (the
  limits being 30 starts in any second, one per chat per second, and the enqueue time);
- one chat: 10 alerts to one chat: the smallest gap between two;
- trickle: alerts queued one by one at 15/s: enqueue-to-send latency (the poke path);
- capacity: limits lifted, no latency: what the sender and SQLite can push at most.

Writes bench/results/outbox.json.  Run: .venv/bin/python -m bench.outbox [burst size]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from bot.outbox_sender import CONCURRENCY, OutboxSender
from handlers.events import Send
from services.outbox import Outbox
from storage.db import Database
from storage.migrate import upgrade

RESULTS = Path(__file__).parent / "results" / "outbox.json"
CAP, WINDOW, SPACING = 30, 1.0, 1.0


class TimedPort:
    """Answers each send after `latency` seconds; notes when each began."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.starts: list[tuple[float, int]] = []  # (perf_counter, chat id)
        self.done = asyncio.Event()
        self.expected = 0

    async def deliver(self, action: Send) -> int:
        self.starts.append((time.perf_counter(), action.chat_id))
        if self.latency:
            await asyncio.sleep(self.latency)
        if len(self.starts) >= self.expected:
            self.done.set()
        return len(self.starts)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def most_in_one_second(times: list[float]) -> int:
    ordered, most, j = sorted(times), 0, 0
    for i, start in enumerate(ordered):
        while j < len(ordered) and ordered[j] < start + WINDOW:
            j += 1
        most = max(most, j - i)
    return most


def scheduling_delays(starts: list[tuple[float, int]], queued_at: float) -> list[float]:
    """Per send: start − the earliest moment the limits allowed it."""
    delays: list[float] = []
    last_to_chat: dict[int, float] = {}
    begun: list[float] = []
    for at, chat_id in sorted(starts):
        earliest = queued_at
        if len(begun) >= CAP:
            earliest = max(earliest, begun[-CAP] + WINDOW)
        if chat_id in last_to_chat:
            earliest = max(earliest, last_to_chat[chat_id] + SPACING)
        delays.append(max(0.0, at - earliest))
        begun.append(at)
        last_to_chat[chat_id] = at
    return delays


async def run_sender(
    outbox: Outbox, port: TimedPort, count: int, **kw: Any
) -> tuple[OutboxSender, asyncio.Task[None]]:
    port.expected = count
    sender = OutboxSender(port, outbox, **kw)
    return sender, asyncio.create_task(sender.run())


async def finish(sender: OutboxSender, task: asyncio.Task[None], port: TimedPort) -> None:
    await asyncio.wait_for(port.done.wait(), timeout=600)
    sender.stop()
    await task


async def burst(db: Database, chats: int, latency: float, concurrency: int) -> dict[str, Any]:
    outbox = Outbox(db, f"burst-{concurrency}")
    base = random.randrange(10**9)
    for n in range(chats):
        await outbox.enqueue(base + n, f"<b>Purchase approved</b> #{n}")
    port = TimedPort(latency)
    queued_at = time.perf_counter()
    sender, task = await run_sender(outbox, port, chats, concurrency=concurrency)
    await finish(sender, task, port)
    times = sorted(at for at, _ in port.starts)
    # The first second's 30 go at once; after them the rate is the sustained one.
    sustained = (len(times) - CAP) / (times[-1] - times[0])
    delays = scheduling_delays(port.starts, queued_at)
    return {
        "messages": chats,
        "concurrency": concurrency,
        "seconds": round(times[-1] - queued_at, 2),
        "sustained_messages_per_second": round(sustained, 1),
        "of_cap_percent": round(100 * sustained / CAP, 1),
        "max_in_any_second": most_in_one_second(times),
        "scheduling_delay_p50_ms": round(statistics.median(delays) * 1000, 1),
        "scheduling_delay_p95_ms": round(pct(delays, 0.95) * 1000, 1),
        "scheduling_delay_max_ms": round(max(delays) * 1000, 1),
    }


async def one_chat(db: Database, latency: float) -> dict[str, Any]:
    outbox = Outbox(db, "one-chat")
    for n in range(10):
        await outbox.enqueue(7, f"alert {n}")
    port = TimedPort(latency)
    sender, task = await run_sender(outbox, port, 10)
    await finish(sender, task, port)
    times = sorted(at for at, _ in port.starts)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {
        "messages": 10,
        "min_gap_s": round(min(gaps), 3),
        "mean_gap_s": round(statistics.mean(gaps), 3),
    }


async def trickle(db: Database, count: int, rate: float, latency: float) -> dict[str, Any]:
    outbox = Outbox(db, "trickle")
    port = TimedPort(latency)
    sender, task = await run_sender(outbox, port, count)
    queued: dict[int, float] = {}
    base = random.randrange(10**9)
    for n in range(count):
        queued[base + n] = time.perf_counter()
        await outbox.enqueue(base + n, f"alert {n}")
        await asyncio.sleep(1 / rate)
    await finish(sender, task, port)
    latencies = [at - queued[chat] for at, chat in port.starts]
    return {
        "messages": count,
        "rate_per_second": rate,
        "enqueue_to_send_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "enqueue_to_send_p95_ms": round(pct(latencies, 0.95) * 1000, 1),
    }


async def capacity(db: Database, count: int) -> dict[str, Any]:
    outbox = Outbox(db, "capacity")
    base = random.randrange(10**9)
    for n in range(count):
        await outbox.enqueue(base + n, f"alert {n}")
    port = TimedPort(0.0)
    started = time.perf_counter()
    sender, task = await run_sender(outbox, port, count, per_second=10**9, chat_spacing=0.0)
    await finish(sender, task, port)
    elapsed = time.perf_counter() - started
    return {"messages": count, "messages_per_second": round(count / elapsed, 1)}


async def main(chats: int, latency: float = 0.05) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'outbox.db'}")
        await upgrade(db)
        try:
            figures: dict[str, Any] = {
                "latency_ms": latency * 1000,
                "cap_per_second": CAP,
                "burst": await burst(db, chats, latency, CONCURRENCY),
                "burst_one_at_a_time": await burst(db, chats, latency, 1),
                "one_chat": await one_chat(db, latency),
                "trickle": await trickle(db, 150, 15.0, latency),
            }
            figures["capacity_uncapped"] = await capacity(db, 2000)
        finally:
            await db.dispose()
    return figures


if __name__ == "__main__":
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    result = asyncio.run(main(size))
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
