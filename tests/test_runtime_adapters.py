"""The two Telegram adapters (aiogram, python-telegram-bot) over HTTP against the fake Bot API,
with a scripted conversation: how updates become `Incoming`, how actions become Bot API calls,
and how the runtime copes with what goes wrong. Both adapters must behave the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.telegram import parse_command, serve, token_help, token_rejected
from handlers.events import (
    Action,
    AnswerButton,
    Button,
    ContactButton,
    Delete,
    Edit,
    Incoming,
    Kind,
    Send,
    SendDocument,
)
from tests.conftest import FakeClock, make_settings
from tests.fakebotapi import FakeBotAPI, FakeUser
from tests.runtime_support import FRAMEWORKS, ScheduledDeletions, make_app, running

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)

ADA = FakeUser(id=5001, first_name="Ada", username="ada_l", language_code="fr")


class Script:
    """Stands in for the conversation: records what arrives, answers what the test says."""

    def __init__(self) -> None:
        self.seen: list[Incoming] = []
        self.reply: Callable[[Incoming], list[Action]] = self.echo

    @staticmethod
    def echo(incoming: Incoming) -> list[Action]:
        if incoming.kind is Kind.BUTTON:
            return []
        return [Send(incoming.chat_id, f"got {incoming.kind.value}")]

    async def handle(self, incoming: Incoming) -> list[Action]:
        self.seen.append(incoming)
        return self.reply(incoming)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def scripted(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
) -> AsyncIterator[tuple[App, Script]]:
    app = await make_app(tmp_path, server, framework, clock)
    script = Script()
    app.conversation = script  # type: ignore[assignment]
    try:
        yield app, script
    finally:
        await app.close()


async def reply_to(server: FakeBotAPI, since: int, count: int = 1) -> None:
    await server.wait_until(lambda: len(server.calls_of("sendMessage", since=since)) >= count)


def test_command_parsing(framework: str):
    assert parse_command("/start") == ("start", "")
    assert parse_command("/Start@SomeBot  ref-42 ") == ("start", "ref-42")
    assert parse_command("/help me\nplease") == ("help", "me\nplease")
    assert parse_command("/etc/passwd") is None
    assert parse_command("/ start") is None
    assert parse_command("hello /start") is None


async def test_updates_become_incoming(server: FakeBotAPI, scripted: tuple[App, Script]):
    app, script = scripted
    async with running(app):
        mark = server.mark()
        server.user_writes_in_group(ADA, -100123, "/start")  # groups are not served
        command = server.user_sends_text(ADA, "/start@SomeBot  arg ")
        server.user_sends_text(ADA, "hello there")
        server.user_sends_contact(ADA, "+15551234567")
        server.user_sends_contact(ADA, "+15550000000", contact_user_id=777)
        photo = b"\xff\xd8\xff the full-size picture"
        server.user_sends_photo(ADA, photo, caption="my id")
        server.user_sends_document(ADA, b"\x89PNG selfie", "selfie.png", "image/png")
        server.user_sends_document(ADA, b"%PDF", "id.pdf", "application/pdf")
        server.user_sends_sticker(ADA)
        await reply_to(server, mark, count=8)

    kinds = [i.kind for i in script.seen]
    assert kinds == [
        Kind.COMMAND, Kind.TEXT, Kind.CONTACT, Kind.CONTACT,
        Kind.PHOTO, Kind.PHOTO, Kind.OTHER, Kind.OTHER,
    ]  # fmt: skip
    start, text, own, forwarded, pic, doc, pdf, _ = script.seen
    assert (start.command, start.text, start.message_id) == ("start", "arg", command.message_id)
    assert (start.user_id, start.chat_id) == (ADA.id, ADA.id)
    assert (start.language_code, start.username, start.first_name) == ("fr", "ada_l", "Ada")
    assert text.text == "hello there"
    assert (own.contact_phone, own.contact_user_id) == ("+15551234567", ADA.id)
    assert forwarded.contact_user_id == 777
    assert pic.photo == photo  # the largest size, downloaded through getFile
    assert pic.text == "my id"
    assert doc.photo == b"\x89PNG selfie"
    assert pdf.photo is None
    assert all(i.chat_id == ADA.id for i in script.seen)
    assert server.failed_calls() == []


async def test_sends_follow_the_runtime_rules(server: FakeBotAPI, scripted: tuple[App, Script]):
    app, script = scripted
    menu = [[Button("Cards", "1|cards"), Button("Help", "1|help")], [Button("Back", "1|back")]]

    def reply(incoming: Incoming) -> list[Action]:
        chat = incoming.chat_id
        if incoming.text == "menu":
            return [Send(chat, "<b>Menu</b> https://example.com", menu, protect_content=True)]
        if incoming.text == "phone":
            return [Send(chat, "Share your phone", contact_button=ContactButton("📱 Share"))]
        if incoming.kind is Kind.CONTACT:
            return [Send(chat, "Thanks", buttons=menu, remove_reply_keyboard=True)]
        if incoming.text == "file":
            return [SendDocument(chat, "statement.csv", b"date,amount\n", "<i>Your</i> statement")]
        return []

    script.reply = reply
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "menu")
        sent = await server.wait_for_call("sendMessage", since=mark)
        assert sent.params["parse_mode"] == "HTML"
        assert sent.params["link_preview_options"] == {"is_disabled": True}
        assert sent.params["protect_content"] is True
        assert sent.params["reply_markup"] == {
            "inline_keyboard": [
                [
                    {"text": "Cards", "callback_data": "1|cards"},
                    {"text": "Help", "callback_data": "1|help"},
                ],
                [{"text": "Back", "callback_data": "1|back"}],
            ]
        }
        shown = server.message(ADA.id, sent.result["message_id"])
        assert shown.text == "Menu https://example.com" and shown.protect_content

        mark = server.mark()
        server.user_sends_text(ADA, "phone")
        sent = await server.wait_for_call("sendMessage", since=mark)
        assert sent.params["reply_markup"] == {
            "keyboard": [[{"text": "📱 Share", "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
        assert sent.params.get("protect_content") in (None, False)

        mark = server.mark()
        server.user_sends_contact(ADA, "+15551234567")
        added = await server.wait_for_call("editMessageReplyMarkup", since=mark)
        [sent] = server.calls_of("sendMessage", since=mark)
        assert sent.params["reply_markup"] == {"remove_keyboard": True}
        assert added.params["message_id"] == sent.result["message_id"]
        assert server.message(ADA.id, sent.result["message_id"]).buttons()[0] == (
            "Cards",
            "1|cards",
        )
        assert server.reply_keyboard(ADA.id) is None

        mark = server.mark()
        server.user_sends_text(ADA, "file")
        doc = await server.wait_for_call("sendDocument", since=mark)
        upload = doc.upload("document")
        assert upload is not None
        assert (upload.content, upload.filename) == (b"date,amount\n", "statement.csv")
        assert doc.params["parse_mode"] == "HTML"
        assert doc.result["caption"] == "Your statement"
    assert server.failed_calls() == []


async def test_edits_deletions_and_answers(server: FakeBotAPI, scripted: tuple[App, Script]):
    app, script = scripted
    keyboard = [[Button("Refresh", "1|refresh")]]
    gone: dict[str, Any] = {}

    def reply(incoming: Incoming) -> list[Action]:
        chat = incoming.chat_id
        if incoming.text == "screen":
            return [Send(chat, "Status: <b>pending</b>", keyboard)]
        if incoming.kind is Kind.BUTTON:
            assert incoming.message_id is not None
            # The same screen again: Telegram says "not modified", which is fine.
            return [Edit(chat, incoming.message_id, "Status: <b>pending</b>", keyboard)]
        if incoming.text == "edit-gone":
            return [Edit(chat, gone["id"], "Status: <b>approved</b>", keyboard)]
        if incoming.text == "delete-gone":
            return [Delete(chat, gone["id"]), Send(chat, "still here")]
        if incoming.text == "toast":
            return [AnswerButton(gone["query"], "Done", alert=True)]
        return []

    script.reply = reply
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "screen")
        sent = await server.wait_for_call("sendMessage", since=mark)
        gone["id"] = message_id = sent.result["message_id"]

        # A press whose actions do not answer it is answered by the runtime, exactly once.
        mark = server.mark()
        query = server.press(ADA, "Refresh")
        await server.wait_answered(query)
        edit = await server.wait_for_call("editMessageText", since=mark, ok=False)
        assert "not modified" in (edit.error or "")
        assert server.calls_of("sendMessage", since=mark) == []  # not resent as new
        assert len(server.calls_of("answerCallbackQuery", since=mark)) == 1

        # Answering a press that was already answered: Telegram refuses, the bot carries on.
        gone["query"] = query
        mark = server.mark()
        server.user_sends_text(ADA, "toast")
        await server.wait_for_call("answerCallbackQuery", since=mark, ok=False)

        # The screen is deleted by the person: an edit shows it as a new message instead.
        server.message(ADA.id, message_id).deleted = True
        mark = server.mark()
        server.user_sends_text(ADA, "edit-gone")
        resent = await server.wait_for_call("sendMessage", since=mark)
        assert server.message(ADA.id, resent.result["message_id"]).text == "Status: approved"
        assert server.calls_of("editMessageText", since=mark)[0].error == (
            "Bad Request: message to edit not found"
        )

        # Deleting a message that is gone is not an error; the next actions still run.
        mark = server.mark()
        server.user_sends_text(ADA, "delete-gone")
        await server.wait_for_call("sendMessage", since=mark)
        [delete] = server.calls_of("deleteMessage", since=mark)
        assert delete.error == "Bad Request: message to delete not found"


async def test_a_failing_turn_does_not_stop_the_bot(
    server: FakeBotAPI, scripted: tuple[App, Script]
):
    app, script = scripted

    def reply(incoming: Incoming) -> list[Action]:
        if incoming.text == "boom" or incoming.kind is Kind.BUTTON:
            raise RuntimeError("handler bug")
        if incoming.text == "bad-html":
            return [Send(incoming.chat_id, "<b>unclosed"), Send(incoming.chat_id, "never")]
        if incoming.text == "menu":
            return [Send(incoming.chat_id, "Menu", [[Button("Go", "1|go")]])]
        return [Send(incoming.chat_id, "fine")]

    script.reply = reply
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "boom")
        server.user_sends_text(ADA, "bad-html")
        server.user_sends_text(ADA, "menu")
        await server.wait_for_button(ADA.id, "Go", since=mark)
        query = server.press(ADA, "Go")
        await server.wait_answered(query)  # the press is answered though the turn failed
        server.user_sends_text(ADA, "again")
        await server.wait_for_call("sendMessage", lambda c: c.params["text"] == "fine", since=mark)
    failed = server.failed_calls(since=mark)
    assert [c.error for c in failed] == [
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    ]
    assert all(c.params["text"] != "never" for c in server.calls_of("sendMessage", since=mark))


async def test_self_destructing_message_is_deleted_on_time(
    server: FakeBotAPI, scripted: tuple[App, Script], clock: FakeClock
):
    app, script = scripted
    script.reply = lambda i: [
        Send(i.chat_id, "secret <tg-spoiler>1234</tg-spoiler>", protect_content=True,
             self_destruct_after=30)
    ]  # fmt: skip
    scheduled = ScheduledDeletions(app)
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "reveal")
        sent = await server.wait_for_call("sendMessage", since=mark)
        message_id = sent.result["message_id"]
        await scheduled.wait_for(ADA.id, message_id)
        clock.advance(29)
        assert await app.services.deletions.due() == []
        clock.advance(2)
        deleted = await server.wait_for_call("deleteMessage", since=mark)
        assert (deleted.params["chat_id"], deleted.params["message_id"]) == (ADA.id, message_id)
        assert server.message(ADA.id, message_id).deleted
    assert await app.services.deletions.due() == []
    assert len(server.calls_of("deleteMessage")) == 1


async def test_handled_updates_are_not_handled_again_after_a_restart(
    server: FakeBotAPI, scripted: tuple[App, Script]
):
    app, script = scripted
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "/start")
        await server.wait_for_call("sendMessage", since=mark)
    assert [i.command for i in script.seen] == ["start"]
    async with running(app):
        mark = server.mark()
        server.user_sends_text(ADA, "hello")
        await server.wait_for_call("sendMessage", since=mark)
    assert [(i.kind, i.text) for i in script.seen[1:]] == [(Kind.TEXT, "hello")]


async def test_a_wrong_token_fails_fast(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
):
    settings = make_settings(
        tmp_path, telegram_token="123456:" + "B" * 35, telegram_api_base=server.base_url,
        framework=framework,
    )  # fmt: skip
    from bot.app import build_app

    app = await build_app(settings, clock=clock, configure_logs=False)
    try:
        with pytest.raises(SystemExit) as exc:
            await serve(app)
    finally:
        await app.close()
    assert str(exc.value) == token_rejected()
    assert server.calls[0].status == 401
    assert "B" * 35 not in str(exc.value)


async def test_no_token_says_how_to_get_one(tmp_path: Path, framework: str, clock: FakeClock):
    from bot.app import build_app

    app = await build_app(make_settings(tmp_path, framework=framework), clock=clock,
                          configure_logs=False)  # fmt: skip
    try:
        with pytest.raises(SystemExit) as exc:
            await serve(app)
    finally:
        await app.close()
    assert str(exc.value) == token_help()
    assert "@BotFather" in token_help() and "CARDBOT_TELEGRAM_TOKEN" in token_help()


async def test_flood_control_is_waited_out_and_a_blocked_user_does_not_stop_the_bot(
    server: FakeBotAPI, scripted: tuple[App, Script]
):
    app, script = scripted
    bob = FakeUser(id=5002, first_name="Bob", username=None, language_code=None)
    async with running(app):
        server.user_sends_text(bob, "hi")  # Bob's chat exists…
        await server.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == bob.id)
        server.block(bob)  # …then he blocks the bot
        server.flood("sendMessage", times=1, retry_after=1)
        mark = server.mark()
        server.user_sends_text(ADA, "hello")
        sent = await server.wait_for_call("sendMessage", since=mark)
        assert sent.params["chat_id"] == ADA.id
        first = server.calls_of("sendMessage", since=mark)[0]
        assert first.status == 429  # refused once, then sent after the wait

        mark = server.mark()
        server.user_sends_text(bob, "still there?")
        refused = await server.wait_for_call("sendMessage", since=mark, ok=False)
        assert refused.error == "Forbidden: bot was blocked by the user"
        server.user_sends_text(ADA, "and you?")
        await server.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == ADA.id,
                                   since=mark)  # fmt: skip
    assert [i.first_name for i in script.seen] == ["Bob", "Ada", "Bob", "Ada"]
