"""The fake Bot API refuses what Telegram refuses; the adapter tests are only worth what it is."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakebotapi import DEFAULT_TOKEN, FakeBotAPI, FakeUser, parse_html

USER = FakeUser(id=4242, first_name="Ada", username="ada")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    server: FakeBotAPI,
    method: str,
    *,
    token: str = DEFAULT_TOKEN,
    as_json: bool = False,
    **params: Any,
) -> tuple[int, dict[str, Any]]:
    url = f"{server.base_url}/bot{token}/{method}"
    if as_json:
        response = await http.post(url, json=params)
    else:
        form = {
            k: json.dumps(v) if isinstance(v, dict | list | bool) else str(v)
            for k, v in params.items()
        }
        response = await http.post(url, data=form)
    async with response:
        return response.status, await response.json()


def error(status: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error_code": status, "description": description}


async def test_unknown_method_and_wrong_token(server: FakeBotAPI, http: aiohttp.ClientSession):
    assert await call(http, server, "sendTelepathy", chat_id=1) == error(404, "Not Found")
    assert await call(http, server, "getMe", token="123456:wrong") == error(401, "Unauthorized")
    status, body = await call(http, server, "GETME")  # method names ignore case
    assert status == 200 and body["result"]["username"] == "CardTestBot"
    assert [c.method for c in server.failed_calls()] == ["sendTelepathy", "getMe"]


async def test_send_message_needs_a_known_chat_and_text(
    server: FakeBotAPI, http: aiohttp.ClientSession
):
    assert await call(http, server, "sendMessage", text="hi") == error(
        400, "Bad Request: chat_id is empty"
    )
    assert await call(http, server, "sendMessage", chat_id=USER.id, text="hi") == error(
        400, "Bad Request: chat not found"
    )
    server.user_sends_text(USER, "/start")
    assert await call(http, server, "sendMessage", chat_id=USER.id) == error(
        400, "Bad Request: message text is empty"
    )
    status, body = await call(http, server, "sendMessage", chat_id=USER.id, text="hi")
    assert status == 200 and body["result"]["text"] == "hi"
    assert body["result"]["message_id"] == 2  # the person's /start was message 1


async def test_length_and_html_are_checked_after_parsing(
    server: FakeBotAPI, http: aiohttp.ClientSession
):
    server.user_sends_text(USER, "hi")
    assert await call(http, server, "sendMessage", chat_id=USER.id, text="x" * 4097) == error(
        400, "Bad Request: message is too long"
    )
    # 4096 characters of text plus markup is fine: the limit is on the parsed text.
    status, _ = await call(
        http,
        server,
        "sendMessage",
        chat_id=USER.id,
        text="<b>" + "x" * 4096 + "</b>",
        parse_mode="HTML",
    )
    assert status == 200
    for bad in ("<b>bold", "<b>x</i>", "a <br> b", "1 < 2", "<span>x</span>", "x</b>"):
        status, body = await call(
            http, server, "sendMessage", chat_id=USER.id, text=bad, parse_mode="HTML"
        )
        assert status == 400, bad
        assert body["description"].startswith("Bad Request: can't parse entities"), bad
    status, _ = await call(
        http,
        server,
        "sendMessage",
        chat_id=USER.id,
        text="1 &lt; 2 &amp; <i>ok</i>",
        parse_mode="HTML",
    )
    assert status == 200


def test_html_entities_have_utf16_offsets():
    text, entities = parse_html(
        "💳 <b>Card</b> <tg-spoiler><code>4111 1111</code></tg-spoiler> &amp; <a href='x'>l</a>"
    )
    assert text == "💳 Card 4111 1111 & l"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "spoiler", "offset": 8, "length": 9},
        {"type": "code", "offset": 8, "length": 9},
        {"type": "text_link", "offset": 20, "length": 1, "url": "x"},
    ]


async def test_keyboards_are_validated(server: FakeBotAPI, http: aiohttp.ClientSession):
    server.user_sends_text(USER, "hi")
    assert await call(
        http, server, "sendMessage", chat_id=USER.id, text="x", reply_markup="{not json"
    ) == error(400, "Bad Request: can't parse reply keyboard markup JSON object")
    too_long = {"inline_keyboard": [[{"text": "A", "callback_data": "d" * 65}]]}
    assert await call(
        http, server, "sendMessage", chat_id=USER.id, text="x", reply_markup=too_long
    ) == error(400, "Bad Request: BUTTON_DATA_INVALID")
    no_action = {"inline_keyboard": [[{"text": "A"}]]}
    status, _ = await call(
        http, server, "sendMessage", chat_id=USER.id, text="x", reply_markup=no_action
    )
    assert status == 400
    ok = {"inline_keyboard": [[{"text": "A", "callback_data": "d" * 64}]]}
    status, body = await call(
        http, server, "sendMessage", as_json=True, chat_id=USER.id, text="x", reply_markup=ok
    )
    assert status == 200 and body["result"]["reply_markup"] == ok


async def test_edits_and_deletions_of_gone_or_unchanged_messages(
    server: FakeBotAPI, http: aiohttp.ClientSession
):
    server.user_sends_text(USER, "hi")
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    _, body = await call(
        http,
        server,
        "sendMessage",
        chat_id=USER.id,
        text="<b>one</b>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    mid = body["result"]["message_id"]
    same = {"chat_id": USER.id, "message_id": mid, "parse_mode": "HTML"}
    status, body = await call(
        http, server, "editMessageText", text="<b>one</b>", reply_markup=keyboard, **same
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    # Same text, keyboard dropped: that is a change (no reply_markup removes the keyboard).
    status, body = await call(http, server, "editMessageText", text="<b>one</b>", **same)
    assert status == 200 and "reply_markup" not in body["result"]
    assert server.message(USER.id, mid).reply_markup is None
    # The person's own message cannot be edited.
    assert await call(
        http, server, "editMessageText", chat_id=USER.id, message_id=1, text="x"
    ) == error(400, "Bad Request: message can't be edited")

    assert (await call(http, server, "deleteMessage", chat_id=USER.id, message_id=mid))[0] == 200
    assert server.message(USER.id, mid).deleted
    assert await call(http, server, "deleteMessage", chat_id=USER.id, message_id=mid) == error(
        400, "Bad Request: message to delete not found"
    )
    assert await call(http, server, "deleteMessage", chat_id=USER.id, message_id=99) == error(
        400, "Bad Request: message to delete not found"
    )
    assert await call(http, server, "editMessageText", text="two", **same) == error(
        400, "Bad Request: message to edit not found"
    )


async def test_callback_queries_are_answered_once(server: FakeBotAPI, http: aiohttp.ClientSession):
    server.user_sends_text(USER, "hi")
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    await call(http, server, "sendMessage", chat_id=USER.id, text="x", reply_markup=keyboard)
    query_id = server.press(USER, "Go")
    with pytest.raises(AssertionError):
        server.press(USER, "Stop")  # only buttons that are there can be pressed
    assert (await call(http, server, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    status, body = await call(http, server, "answerCallbackQuery", callback_query_id=query_id)
    assert status == 400 and "query is too old" in body["description"]


async def test_updates_long_poll_and_offsets(server: FakeBotAPI, http: aiohttp.ClientSession):
    status, body = await call(http, server, "getUpdates", timeout=0)
    assert (status, body["result"]) == (200, [])
    first = server.user_sends_text(USER, "/start")
    _, body = await call(http, server, "getUpdates", timeout=5)
    [update] = body["result"]
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert update["message"]["message_id"] == first.message_id
    # Not confirmed yet: delivered again; confirmed by offset: gone.
    _, body = await call(http, server, "getUpdates")
    assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
    _, body = await call(http, server, "getUpdates", offset=update["update_id"] + 1)
    assert body["result"] == []


async def test_files_round_trip(server: FakeBotAPI, http: aiohttp.ClientSession):
    message = server.user_sends_photo(USER, b"\xff\xd8 the largest photo")
    largest = message.extra["photo"][-1]
    status, body = await call(http, server, "getFile", file_id=largest["file_id"])
    assert status == 200
    url = f"{server.base_url}/file/bot{DEFAULT_TOKEN}/{body['result']['file_path']}"
    async with http.get(url) as response:
        assert await response.read() == b"\xff\xd8 the largest photo"
    assert (await call(http, server, "getFile", file_id="nope"))[0] == 400

    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER.id))
    form.add_field("caption", "<b>Statement</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("document", b"a,b\n1,2\n", filename="statement.csv", content_type="text/csv")
    async with http.post(f"{server.base_url}/bot{DEFAULT_TOKEN}/sendDocument", data=form) as r:
        body = await r.json()
    assert body["ok"], body
    assert body["result"]["document"]["file_name"] == "statement.csv"
    assert body["result"]["caption"] == "Statement"
    upload = server.calls_of("sendDocument")[0].upload("document")
    assert upload is not None and upload.content == b"a,b\n1,2\n"
