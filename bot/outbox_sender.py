"""The outbound queue's sender: delivers the messages queued in the database (services/outbox.py)
within Telegram's limits, driven by the rows so it resumes after a restart.

- At most `per_second` messages (30) in any one-second span, counting the conversation's own
  replies (`note_send`), and at least `chat_spacing` (1 s) between two messages to one chat.
- A 429 defers that message by exactly the `retry_after` Telegram asks for; its chat's later
  messages wait behind it (the queue keeps each chat in order).
- Any other passing trouble (network, 5xx) defers the message with an exponential backoff and
  pauses the whole sender briefly (Telegram is likely down for everyone); nothing is dropped.
- Only a message Telegram will never take (blocked by the person, no such chat, refused as
  malformed) is given up.
- Up to `concurrency` sends are in flight at once (a Telegram round trip of 50–150 ms would
  otherwise cap one-at-a-time sending below 30/s), never two for one chat; the limits count a
  send when it starts.
- `stop()` lets the sends in progress finish and be marked, then ends.

The clock (`clock`, seconds, monotonic) and `sleep` are injectable so tests run in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

from bot.port import FloodWait, OutboundPort, Undeliverable
from handlers.events import Send
from services.outbox import Outbox, decode_buttons
from storage.models import OutboundMessage

log = structlog.get_logger(__name__)

PER_SECOND = 30  # Telegram: "no more than 30 messages per second" to different chats
CHAT_SPACING = 1.0  # Telegram: "avoid sending more than one message per second" to one chat
BATCH = 100  # chats looked at per pass
MAX_BACKOFF = 300.0  # a message retried after passing trouble waits at most this long
MAX_PAUSE = 30.0  # the sender as a whole pauses at most this long after passing trouble
MIN_IDLE = 0.05  # never re-read the queue in a tighter loop than this
CONCURRENCY = 8  # sends in flight at once
# Sends are spaced by when they start; they reach Telegram a little later, by a delay that
# varies. A small margin keeps the limits true where Telegram counts.
MARGIN = 0.02


def backoff(failures: int, cap: float = MAX_BACKOFF) -> float:
    """1, 2, 4, 8 … seconds, capped."""
    return float(min(2 ** max(0, failures - 1), cap))


class SlidingWindow:
    """At most `limit` events in any span of `window` seconds (a strict sliding window: unlike a
    token bucket it never lets a burst exceed the limit across a window boundary)."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque(maxlen=limit)

    def delay(self, now: float) -> float:
        """Seconds until one more event is allowed (0 when it is now)."""
        if len(self._times) < self.limit:
            return 0.0
        return max(0.0, self._times[0] + self.window - now)

    def note(self, now: float) -> None:
        self._times.append(now)


class OutboxSender:
    def __init__(
        self,
        port: OutboundPort,
        outbox: Outbox,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        per_second: int = PER_SECOND,
        chat_spacing: float = CHAT_SPACING,
        max_wait: float = 1.0,
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
        margin: float = MARGIN,
    ) -> None:
        self.port = port
        self.outbox = outbox
        self.clock = clock
        self.sleep = sleep
        self.chat_spacing = chat_spacing + margin
        self.max_wait = max_wait
        self.batch = batch
        self._window = SlidingWindow(per_second, 1.0 + margin)
        self._last_to_chat: dict[int, float] = {}
        self._failures = 0  # passing troubles in a row, across messages
        self._paused_until = 0.0
        self._unmarked: set[str] = set()  # delivered, but marking the row failed
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # row id → its send
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    # -- control --

    def poke(self) -> None:
        """A message was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Start no more sends; let those in progress finish (and their rows be marked), then
        end `run`."""
        self._stopping.set()
        self._wake.set()

    def note_send(self, chat_id: int) -> None:
        """Count a message sent outside the queue (a reply in the conversation) toward the
        limits, so an alert does not follow it into the same chat within the second."""
        now = self.clock()
        self._window.note(now)
        self._last_to_chat[chat_id] = now
        if len(self._last_to_chat) > 10_000:
            self._forget_quiet_chats(now)

    def _forget_quiet_chats(self, now: float) -> None:
        for chat_id, at in list(self._last_to_chat.items()):
            if now - at >= self.chat_spacing:
                del self._last_to_chat[chat_id]

    def _chat_delay(self, chat_id: int, now: float) -> float:
        last = self._last_to_chat.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.chat_spacing - now)

    # -- sending --

    async def send_due(self) -> int:
        """One pass: start each chat's next due message, within the limits. Returns how many
        sends were started; they finish in the background (`finish` waits for them)."""
        await self._retry_marks()
        busy = self._unmarked | self._in_flight.keys()
        rows = [r for r in await self.outbox.due(self.batch) if r.id not in busy]
        started = 0
        while rows and not self._stopping.is_set():
            now = self.clock()
            ready = next((r for r in rows if self._chat_delay(r.chat_id, now) <= 0), None)
            if ready is None:
                wait = min(self._chat_delay(r.chat_id, now) for r in rows)
            else:
                wait = max(self._window.delay(now), self._paused_until - now)
            if wait > 0:
                await self._pause(wait)
                continue
            assert ready is not None
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                break
            rows.remove(ready)
            self.note_send(ready.chat_id)  # counted as it starts, refused or not
            task = asyncio.create_task(self._deliver(ready), name=f"outbox-{ready.id}")
            self._in_flight[ready.id] = task
            started += 1
        return started

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def finish(self) -> None:
        """Wait for the sends in progress (each is marked when it ends). Cancelling this wait
        cancels none of them."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    async def _deliver(self, row: OutboundMessage) -> None:
        try:
            await self._deliver_one(row)
        except Exception:  # recording the outcome failed (the database?): the row stays due
            log.exception("outbox.record_failed", message=row.id)
        finally:
            self._in_flight.pop(row.id, None)
            self._slots.release()
            self._wake.set()  # the chat's next message may be due now

    async def _deliver_one(self, row: OutboundMessage) -> None:
        action = Send(row.chat_id, row.text, decode_buttons(row.buttons_json))
        try:
            await self.port.deliver(action)
        except FloodWait as flood:
            self._failures = 0  # Telegram answered: it is up
            log.warning(
                "outbox.flood_control",
                message=row.id,
                chat_id=row.chat_id,
                retry_after=flood.retry_after,
            )
            await self.outbox.defer(row.id, flood.retry_after, str(flood))
            return
        except Undeliverable as refused:
            self._failures = 0
            log.warning(
                "outbox.undeliverable", message=row.id, chat_id=row.chat_id, error=str(refused)
            )
            await self.outbox.give_up(row.id, str(refused) or type(refused).__name__)
            return
        except Exception as exc:  # passing trouble: keep the message, try again later
            self._failures += 1
            retry_in = backoff(row.attempts + 1)
            self._paused_until = self.clock() + backoff(self._failures, MAX_PAUSE)
            # The type only: a network error's text may carry the request URL (and the token).
            log.warning(
                "outbox.send_failed", message=row.id, error=type(exc).__name__, retry_in=retry_in
            )
            await self.outbox.defer(row.id, retry_in, type(exc).__name__)
            return
        self._failures = 0
        try:
            await self.outbox.mark_sent(row.id)
        except Exception:  # it is out: never send it again from this process
            self._unmarked.add(row.id)
            log.exception("outbox.mark_sent_failed", message=row.id)

    async def _retry_marks(self) -> None:
        for message_id in list(self._unmarked):
            await self.outbox.mark_sent(message_id)
            self._unmarked.discard(message_id)

    # -- the loop --

    async def _pause(self, seconds: float, *, wake_on_poke: bool = False) -> None:
        """Sleep (through the injected `sleep`) unless stopped, or poked when asked."""
        if seconds <= 0:
            return
        events = [self._stopping, self._wake] if wake_on_poke else [self._stopping]
        if any(event.is_set() for event in events):
            return
        tasks: list[asyncio.Future[object]] = [asyncio.ensure_future(self.sleep(seconds))]
        tasks += [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _remember_recent_sends(self) -> None:
        """After a restart: sends of the last moments still count toward the limits."""
        now = self.clock()
        for chat_id, ago in await self.outbox.sent_within(self.chat_spacing):
            at = now - ago
            self._window.note(at)
            self._last_to_chat[chat_id] = max(self._last_to_chat.get(chat_id, at), at)

    async def _idle_wait(self) -> float:
        next_at = await self.outbox.next_due_at()
        if next_at is None:
            return self.max_wait
        until = (next_at - self.outbox.clock()).total_seconds()
        # Due already, yet the pass sent nothing (it became due just now): look again soon.
        return min(self.max_wait, until) if until > 0 else MIN_IDLE

    async def run(self) -> None:
        unsubscribe = self.outbox.subscribe(self.poke)
        errors = 0
        try:
            try:
                await self._remember_recent_sends()
            except Exception:
                log.exception("outbox.recent_sends_failed")
            while not self._stopping.is_set():
                self._wake.clear()  # a message queued during the pass wakes the idle wait
                try:
                    tried = await self.send_due()
                    wait = 0.0 if tried else await self._idle_wait()
                    errors = 0
                except Exception:  # the database is unreachable, say: retry, back off
                    errors += 1
                    log.exception("outbox.error")
                    wait = backoff(errors, MAX_PAUSE)
                if wait > 0:
                    await self._pause(wait, wake_on_poke=errors == 0)
        finally:
            await self.finish()  # every send started is finished and its row marked
            unsubscribe()


__all__ = ["OutboxSender", "SlidingWindow", "backoff"]
