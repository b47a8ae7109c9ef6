"""The cardholder's journey over real Telegram frameworks (aiogram and python-telegram-bot)
against the fake Bot API: /start, KYC, a card, a top-up, the card details shown and deleted on
time — also across a restart — a freeze and the statement. Buttons are found by their label in
the keyboard of the latest bot message, as a person finds them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handlers.events import Incoming, Kind
from services.providers.luhn import luhn_valid
from tests.conftest import FakeClock
from tests.fakebotapi import Call, ChatMessage, FakeBotAPI, FakeUser
from tests.journey import ANSWERS, JPEG
from tests.runtime_support import FRAMEWORKS, ScheduledDeletions, make_app, running

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)

ADA = FakeUser(id=731_000_042, first_name="Ada", username="ada_okafor", language_code="en")
PAN_IN_REVEAL = re.compile(r"<tg-spoiler><code>(\d{13,19})</code></tg-spoiler>")


class Person:
    """Ada in her Telegram app: types, taps buttons on the screen she sees, shares things."""

    def __init__(self, server: FakeBotAPI, user: FakeUser = ADA) -> None:
        self.server = server
        self.user = user

    async def sees(self, fragment: str, since: int) -> ChatMessage:
        return await self.server.wait_for_text(self.user.id, fragment, since=since)

    async def types(self, text: str, expect: str) -> ChatMessage:
        mark = self.server.mark()
        self.server.user_sends_text(self.user, text)
        return await self.sees(expect, mark)

    async def taps(self, label: str, expect: str) -> ChatMessage:
        message, data = await self.server.wait_for_button(self.user.id, label)
        mark = self.server.mark()
        query = self.server.user_presses(self.user, message.message_id, data)
        await self.server.wait_answered(query)
        return await self.sees(expect, mark)

    async def sends_photo(self, content: bytes, expect: str) -> ChatMessage:
        mark = self.server.mark()
        self.server.user_sends_photo(self.user, content)
        return await self.sees(expect, mark)

    async def shares_phone(self, phone: str, expect: str) -> ChatMessage:
        keyboard = self.server.reply_keyboard(self.user.id)
        assert keyboard is not None, "no share-my-phone keyboard shown"
        [[button]] = keyboard["keyboard"]
        assert button["request_contact"] is True
        assert keyboard["one_time_keyboard"] and keyboard["resize_keyboard"]
        mark = self.server.mark()
        self.server.user_sends_contact(self.user, phone)
        return await self.sees(expect, mark)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


async def onboard_and_get_a_card(ada: Person, clock: FakeClock) -> None:
    await ada.types("/start", "Welcome")
    await ada.taps("Verify my identity", "first name")
    await ada.types(ANSWERS["first_name"], "last name")
    await ada.types(ANSWERS["last_name"], "date of birth")
    await ada.types(ANSWERS["birth_date"], "Which country")
    await ada.taps("Nigeria", "share the number")
    await ada.shares_phone(ANSWERS["phone"], "street address")
    assert ada.server.reply_keyboard(ADA.id) is None  # the one-time keyboard is gone
    await ada.types(ANSWERS["address_line1"], "city or town")
    await ada.types(ANSWERS["city"], "state or region")
    await ada.types(ANSWERS["region"], "postal code")
    await ada.types(ANSWERS["postal_code"], "Which ID document")
    await ada.taps("BVN", "Type your BVN number")
    await ada.types(ANSWERS["id_number"], "photo of your ID document")
    await ada.sends_photo(JPEG, "selfie")
    await ada.sends_photo(JPEG, "check your details")
    await ada.taps("Submit", "being reviewed")
    clock.advance(10)  # the sandbox issuer's review delay, without sleeping
    await ada.taps("Check status", "You're verified")

    await ada.types("/menu", "What would you like to do?")
    await ada.taps("Wallet", "Your wallet: $0.00")
    await ada.taps("$500.00", "$500.00 added to your wallet")
    await ada.types("/menu", "Wallet: $500.00")
    await ada.taps("New card", "Which card would you like")
    await ada.taps("Visa", "Load money onto it now")
    await ada.taps("$25.00", "You pay")
    await ada.taps("Confirm", "on its way")
    clock.advance(10)  # card activation
    await ada.taps("Refresh", "Active")


async def top_up_and_reveal(ada: Person, scheduled: ScheduledDeletions) -> tuple[Call, str]:
    """Tops up $50 and reveals the card; returns the reveal's sendMessage call and the PAN."""
    screen = await ada.taps("Top up", "Top up card")
    assert "Balance now: $25.00" in (screen.text or "")
    await ada.taps("$50.00", "You pay")
    screen = await ada.taps("Confirm", "added to your card")
    assert "Balance: $75.00" in (screen.text or "")

    mark = ada.server.mark()
    await ada.taps("Show card details", "deletes itself")
    reveal = await ada.server.wait_for_call(
        "sendMessage", lambda c: "deletes itself" in c.params["text"], since=mark
    )
    message_id = reveal.result["message_id"]
    await scheduled.wait_for(ADA.id, message_id)  # recorded in the database before going on
    match = PAN_IN_REVEAL.search(reveal.params["text"])
    assert match is not None, "the PAN must be in a spoiler, in monospace"
    return reveal, match.group(1)


def assert_reveal_is_protected(server: FakeBotAPI, reveal: Call, pan: str) -> None:
    assert reveal.params["protect_content"] is True
    assert reveal.params["parse_mode"] == "HTML"
    assert luhn_valid(pan)
    shown = server.message(ADA.id, reveal.result["message_id"])
    assert shown.protect_content
    assert shown.text is not None
    start = shown.text.index(pan)  # UTF-16 offset equals str index only without astral chars
    prefix_units = len(shown.text[:start].encode("utf-16-le")) // 2
    kinds = {
        e["type"] for e in shown.entities if e["offset"] == prefix_units and e["length"] == len(pan)
    }
    assert {"spoiler", "code"} <= kinds, shown.entities
    # The card screen itself only ever shows the masked number.
    card_screens = [m for m in server.bot_messages(ADA.id) if "Status:" in (m.text or "")]
    assert card_screens and all(pan not in (m.text or "") for m in card_screens)


async def test_cardholder_journey(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
):
    app = await make_app(tmp_path, server, framework, clock)
    scheduled = ScheduledDeletions(app)
    ada = Person(server)
    ttl = app.settings.reveal_ttl_seconds
    try:
        async with running(app):
            await onboard_and_get_a_card(ada, clock)
            reveal, pan = await top_up_and_reveal(ada, scheduled)
            assert_reveal_is_protected(server, reveal, pan)
            message_id = reveal.result["message_id"]

            clock.advance(ttl - 5)
            assert await app.services.deletions.due() == []
            assert not server.message(ADA.id, message_id).deleted
            mark = server.mark()
            clock.advance(10)
            deleted = await server.wait_for_call("deleteMessage", since=mark)
            assert (deleted.params["chat_id"], deleted.params["message_id"]) == (
                ADA.id,
                message_id,
            )
            assert server.message(ADA.id, message_id).deleted

            screen = await ada.taps("Freeze", "is frozen")
            labels = " | ".join(label for label, _ in screen.buttons())
            assert "Unfreeze" in labels and "Top up" not in labels
            screen = await ada.taps("Statement", "Statement")
            text = screen.text or ""
            assert "Top-up · +$50.00" in text and "Top-up · +$25.00" in text
    finally:
        await app.close()

    assert [c.params["message_id"] for c in server.calls_of("deleteMessage")] == [message_id]
    assert server.failed_calls() == [], server.failed_calls()
    assert all(pan not in (c.params.get("text") or "") for c in server.calls if c is not reveal)


async def test_reveal_is_deleted_after_a_restart(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
):
    app = await make_app(tmp_path, server, framework, clock)
    scheduled = ScheduledDeletions(app)
    ada = Person(server)
    try:
        async with running(app):
            await onboard_and_get_a_card(ada, clock)
            reveal, _ = await top_up_and_reveal(ada, scheduled)
    finally:
        await app.close()  # the bot stops right after the card details went out
    message_id = reveal.result["message_id"]
    assert not server.message(ADA.id, message_id).deleted
    assert server.calls_of("deleteMessage") == []

    later = FakeClock(now=clock.now)  # a new process: same database and key file, same time
    app2 = await make_app(tmp_path, server, framework, later)
    try:
        mark = server.mark()
        async with running(app2):
            later.advance(app2.settings.reveal_ttl_seconds - 5)
            assert await app2.services.deletions.due() == []
            later.advance(10)
            deleted = await server.wait_for_call("deleteMessage", since=mark)
            assert (deleted.params["chat_id"], deleted.params["message_id"]) == (
                ADA.id,
                message_id,
            )
            assert server.message(ADA.id, message_id).deleted
            # The restarted bot is fully usable, and did not handle the old presses again.
            await ada.types("/menu", "What would you like to do?")
        assert await app2.services.deletions.due() == []
    finally:
        await app2.close()
    reveals = [c for c in server.calls_of("sendMessage") if "deletes itself" in c.params["text"]]
    assert reveals == [reveal]
    assert [c.params["message_id"] for c in server.calls_of("deleteMessage")] == [message_id]
    assert server.failed_calls() == [], server.failed_calls()


async def test_photo_contact_and_command_reach_the_conversation(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
):
    """The real conversation behind the real runtime gets what the person sent."""
    app = await make_app(tmp_path, server, framework, clock)
    seen: list[Incoming] = []
    handle = app.conversation.handle

    async def recording(incoming: Incoming) -> list:  # type: ignore[type-arg]
        seen.append(incoming)
        return await handle(incoming)

    app.conversation.handle = recording  # type: ignore[method-assign]
    try:
        async with running(app):
            mark = server.mark()
            server.user_sends_text(ADA, "/start@CardTestBot arg")
            await server.wait_for_text(ADA.id, "Welcome", since=mark)
            mark = server.mark()
            server.user_sends_photo(ADA, JPEG)
            server.user_sends_contact(ADA, "+2348031234567")
            await server.wait_until(lambda: len(server.calls_of("sendMessage", since=mark)) >= 2)
    finally:
        await app.close()
    command, photo, contact = seen
    assert (command.kind, command.command, command.text) == (Kind.COMMAND, "start", "arg")
    assert (photo.kind, photo.photo) == (Kind.PHOTO, JPEG)
    assert (contact.kind, contact.contact_phone, contact.contact_user_id) == (
        Kind.CONTACT,
        "+2348031234567",
        ADA.id,
    )
    assert server.failed_calls() == []
