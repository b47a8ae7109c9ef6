"""How long one update takes through the conversation (handlers + services + SQLite + sandbox).

Runs N full journeys (KYC → card → top-up → reveal → freeze → statement) against a fresh
SQLite database and prints per-update latency percentiles; writes them to
bench/results/conversation.json.  Run: .venv/bin/python -m bench.conversation [journeys]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.app import build_app
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard

RESULTS = Path(__file__).parent / "results" / "conversation.json"


class TimedUser(ChatUser):
    timings: list[float]

    async def _deliver(self, incoming):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = await super()._deliver(incoming)
        self.timings.append(time.perf_counter() - start)
        return result


async def main(journeys: int) -> dict[str, float]:
    timings: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        settings = make_settings(Path(tmp), log_level="WARNING")
        app = await build_app(settings, clock=clock)
        started = time.perf_counter()
        for n in range(journeys):
            user = TimedUser(app, user_id=10_000 + n)
            user.timings = timings
            await onboard(user, clock)
            await issue_card(user, clock)
            await user.press("Top up")
            await user.type("20")
            await user.press("Confirm")
            await user.press("Show card details")
            await user.press("Freeze")
            await user.press("Statement")
        elapsed = time.perf_counter() - started
        await app.close()
    ms = sorted(t * 1000 for t in timings)
    figures = {
        "journeys": journeys,
        "updates": len(ms),
        "updates_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
        "max_ms": round(ms[-1], 2),
    }
    return figures


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    result = asyncio.run(main(count))
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
