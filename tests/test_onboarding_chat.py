"""The KYC journey in chat over the neutral handlers, on the built-in sandbox: welcome and menu,
one question at a time, every bad answer re-asked with what was wrong (and nothing stored),
back, cancel, resume, summary and edit, submission, pending → approved/rejected, stale buttons.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.app import App, build_app
from handlers.events import AnswerButton, Edit, Send
from services.settings import Settings
from tests.chat import ChatUser, Message
from tests.conftest import FakeClock
from tests.journey import ANSWERS, JPEG, onboard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# where each question is reached, in order, and how it is answered
STEPS: list[tuple[str, str]] = [
    ("first_name", "type"),
    ("last_name", "type"),
    ("birth_date", "type"),
    ("country", "Nigeria"),
    ("phone", "type"),
    ("address_line1", "type"),
    ("city", "type"),
    ("region", "type"),
    ("postal_code", "type"),
    ("id_type", "BVN"),
    ("id_number", "type"),
    ("id_photo", "photo"),
    ("selfie", "photo"),
]
FIELDS = [field for field, _ in STEPS]
QUESTION = {  # a fragment of each question's text
    "first_name": "What is your first name",
    "last_name": "What is your last name",
    "birth_date": "What is your date of birth",
    "country": "Which country do you live in",
    "phone": "What is your phone number",
    "address_line1": "What is your street address",
    "city": "Which city or town",
    "region": "Which state or region",
    "postal_code": "What is your postal code",
    "id_type": "Which ID document",
    "id_number": "Type your BVN number",
    "id_photo": "photo of your ID document",
    "selfie": "send a selfie",
}


# -- helpers --
async def press(user: ChatUser, label: str) -> list[Any]:
    """Press a button; the press must be answered first, and exactly once."""
    actions = await user.press(label)
    assert isinstance(actions[0], AnswerButton), actions
    assert sum(isinstance(a, AnswerButton) for a in actions) == 1
    return actions


def current(user: ChatUser) -> Message:
    """The message holding the newest keyboard (the screen the person is on)."""
    keyboards = [m for m in user.messages.values() if m.from_bot and m.buttons]
    return max(keyboards, key=lambda m: int(m.buttons[0][0].data.partition("|")[0]))  # type: ignore[index]


def screen(user: ChatUser) -> str:
    """The current screen, with any later messages under it (a hint, the share button)."""
    shown = current(user)
    later = [m.plain for m in user.messages.values() if m.from_bot and m.id > shown.id]
    return "\n".join([shown.plain, *later])


def labels(user: ChatUser) -> list[str]:
    return user.labels(current(user))


async def account(app: App, user: ChatUser) -> Any:
    return await app.services.users.load(user.user_id)


async def answers(app: App, user: ChatUser) -> dict[str, Any]:
    return await app.services.onboarding.answers(await account(app, user))


async def state(app: App, user: ChatUser) -> str:
    return str((await account(app, user)).state)


async def start_kyc(user: ChatUser) -> None:
    await user.type("/start")
    await press(user, "Verify my identity")


async def answer_step(user: ChatUser, field: str, value: str | None = None) -> list[Any]:
    how = dict(STEPS)[field]
    if how == "type":
        return await user.type(value if value is not None else ANSWERS[field])
    if how == "photo":
        return await user.send_photo(JPEG)
    return await press(user, value or how)


async def reach(user: ChatUser, field: str) -> None:
    """Start KYC and answer every question before ``field``."""
    await start_kyc(user)
    for name in FIELDS[: FIELDS.index(field)]:
        await answer_step(user, name)
    assert QUESTION[field] in screen(user), screen(user)


def sends(actions: list[Any]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


def edits(actions: list[Any]) -> list[Edit]:
    return [a for a in actions if isinstance(a, Edit)]


def texts(actions: list[Any]) -> str:
    """What the actions showed, as plain text."""
    shown = "\n".join(a.text for a in actions if isinstance(a, Send | Edit))
    return re.sub(r"<[^>]+>", "", shown)


# -- welcome and menu --
async def test_welcome_and_main_menu_for_a_new_user(app: App) -> None:
    user = ChatUser(app)
    actions = await user.type("/start")
    messages = sends(actions)
    assert len(messages) == 2
    assert "Welcome to <b>cardbot</b>" in messages[0].text
    assert messages[0].buttons is None
    assert "verify your identity first" in messages[1].text
    assert labels(user) == ["🪪 Verify my identity", "❓ Help", "⚙️ Settings"]
    # a second /start is not a new person: the menu, without the welcome
    again = sends(await user.type("/start"))
    assert len(again) == 1 and "Welcome" not in again[0].text
    assert "verify your identity first" in again[0].text


async def test_menus_edit_in_place_and_every_press_is_answered_first(app: App) -> None:
    user = ChatUser(app)
    await user.type("/start")
    menu_id = user.last.id
    count = len(user.log)
    for label in ("Help", "Menu", "Help", "Menu", "Verify my identity"):
        message_id, _ = user.find(label)
        assert message_id == menu_id
        actions = await press(user, label)
        changed = edits(actions)
        assert len(changed) == 1 and changed[0].message_id == menu_id
        assert not sends(actions)
    assert len(user.log) == count  # no new message: the one menu changed in place
    assert QUESTION["first_name"] in user.messages[menu_id].plain
    assert "Step 1 of 13" in user.messages[menu_id].plain


async def test_unknown_command_and_unreadable_message(app: App) -> None:
    user = ChatUser(app)
    await user.type("/start")
    await user.type("/foo")
    assert "I don't know that command" in user.last.plain
    assert user.last.buttons is None  # the menu above stays usable
    await press(user, "Help")
    assert "/cancel" in screen(user) and "60 seconds" in screen(user)
    await user.send_other()  # a sticker at the menu
    assert "I didn't get that" in user.last.plain
    await user.type("hello")
    assert "I didn't get that" in user.last.plain
    await press(user, "Menu")
    assert "verify your identity first" in screen(user)


# -- the whole KYC --
async def test_full_kyc_one_question_at_a_time_then_pending_then_approved(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await start_kyc(user)
    for step, field in enumerate(FIELDS, start=1):
        shown = screen(user)
        assert f"Step {step} of 13" in shown, shown
        assert QUESTION[field] in shown
        assert await state(app, user) == f"kyc:{field}"
        await answer_step(user, field)
    summary = screen(user)
    assert "Please check your details" in summary
    for fragment in ("Ada", "Okafor", "March 14, 1992", "Nigeria", "+2348031234567"):
        assert fragment in summary
    assert "BVN" in summary and "•••••••6789" in summary
    assert "22123456789" not in summary  # the ID number is masked on screen
    assert summary.count("✅ received") == 2
    stored = await answers(app, user)
    assert stored == {
        "first_name": "Ada",
        "last_name": "Okafor",
        "birth_date": "1992-03-14",
        "country": "NG",
        "phone": "+2348031234567",
        "address_line1": "12 Marina Road",
        "city": "Lagos",
        "region": "Lagos",
        "postal_code": "101001",
        "id_type": "bvn",
        "id_number": "22123456789",
        "id_photo": True,
        "selfie": True,
    }
    assert (await account(app, user)).kyc_status == "draft"

    actions = await press(user, "Submit")
    assert actions[0].text == "Sent for review"
    assert "being reviewed" in screen(user)
    assert (await account(app, user)).kyc_status == "pending"
    actions = await press(user, "Check status")  # before the review is done
    assert actions[0].text == "Still being reviewed"
    assert "being reviewed" in screen(user)
    await user.type("/menu")
    assert "being reviewed" in screen(user)
    assert "Check status" in " ".join(labels(user))

    clock.advance(10)
    await press(user, "Check status")
    assert "You're verified!" in screen(user)
    assert "Get my first card" in " ".join(labels(user))
    assert (await account(app, user)).kyc_status == "approved"
    await user.type("/menu")
    assert "My cards" in " ".join(labels(user)) and "New card" in " ".join(labels(user))
    # answers can no longer be changed once approved
    await user.type("/start")
    assert "Verify my identity" not in " ".join(labels(user))


# -- bad answers --
BAD = [
    ("first_name", "Ada2", "doesn't look like a name"),
    ("first_name", "   ", "Please type a name"),
    ("first_name", "x" * 51, "doesn't look like a name"),
    ("last_name", "0kafor", "doesn't look like a name"),
    ("last_name", "", "Please type a name"),
    ("birth_date", "31/02/1990", "couldn't read that date"),
    ("birth_date", "hello", "couldn't read that date"),
    ("birth_date", "01/01/2030", "in the future"),
    ("birth_date", "22/11/2026", "in the future"),  # tomorrow on the FakeClock
    ("birth_date", "22/11/2008", "at least 18"),  # 18 tomorrow
    ("birth_date", "21/11/1890", "couldn't read that date"),
    ("country", "Narnia", "I don't know the country “Narnia”"),
    ("phone", "12345", "isn't a valid phone number"),
    ("phone", "+234 12", "isn't a valid phone number"),
    ("address_line1", "x", "street address"),
    ("city", "1", "city or town"),
    ("postal_code", "!!", "postal code"),
    ("id_type", "passport please", "choose one of the ID types"),
    ("id_number", "123", "should look like 22123456789"),
    ("id_number", "2212345678X", "should look like 22123456789"),
    ("id_photo", "here it is", "Please send a photo"),
    ("selfie", "me", "Please send a photo"),
]


@pytest.mark.parametrize(("field", "bad", "problem"), BAD, ids=lambda v: str(v)[:20])
async def test_bad_answer_is_re_asked_with_what_was_wrong(
    app: App, field: str, bad: str, problem: str
) -> None:
    user = ChatUser(app)
    await reach(user, field)
    before = await answers(app, user)
    actions = await user.type(bad)
    said = texts(actions)
    assert problem in said, said
    assert QUESTION[field] in screen(user)  # the same question again
    assert await state(app, user) == f"kyc:{field}"
    assert await answers(app, user) == before


@pytest.mark.parametrize("field", FIELDS)
async def test_a_sticker_is_refused_at_every_question(app: App, field: str) -> None:
    user = ChatUser(app)
    await reach(user, field)
    before = await answers(app, user)
    actions = await user.send_other()
    expected = "Please send a photo" if field in ("id_photo", "selfie") else "type your answer"
    assert expected in texts(actions)
    assert QUESTION[field] in screen(user)
    assert await state(app, user) == f"kyc:{field}"
    assert await answers(app, user) == before


async def test_a_photo_where_text_is_expected_and_a_file_that_is_not_an_image(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "city")
    before = await answers(app, user)
    assert "type your answer" in texts(await user.send_photo(JPEG))
    assert await answers(app, user) == before
    for _ in ("city", "region", "postal_code"):
        await user.type("Lagos" if _ != "postal_code" else "101001")
    await press(user, "BVN")
    await user.type("22123456789")
    assert "isn't a photo" in texts(await user.send_photo(b"%PDF-1.4 not an image"))
    assert await state(app, user) == "kyc:id_photo"
    await user.send_photo(PNG)  # a PNG is fine too
    assert await state(app, user) == "kyc:selfie"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("21/11/2008", "2008-11-21"), ("21.11.2008", "2008-11-21"), ("1990-12-31", "1990-12-31")],
)
async def test_exactly_eighteen_today_is_accepted(app: App, typed: str, stored: str) -> None:
    user = ChatUser(app)
    await reach(user, "birth_date")
    await user.type(typed)
    assert (await answers(app, user))["birth_date"] == stored
    assert QUESTION["country"] in screen(user)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Nigeria", "NG"), ("nigeria", "NG"), ("NG", "NG"), ("ng", "NG"), ("NGA", "NG"),
     ("Ghana", "GH"), ("GHA", "GH"), ("Kenya", "KE"), ("  ke ", "KE"),
     ("Côte d'Ivoire", "CI")],
)  # fmt: skip
async def test_country_by_name_or_code(app: App, typed: str, code: str) -> None:
    user = ChatUser(app)
    await reach(user, "country")
    await user.type(typed)
    assert (await answers(app, user))["country"] == code
    assert QUESTION["phone"] in screen(user)


async def test_country_by_quick_button_and_id_types_offered_for_it(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "country")
    assert {"Nigeria", "Ghana", "Kenya"} <= set(labels(user))
    await press(user, "Ghana")
    assert (await answers(app, user))["country"] == "GH"
    await user.type("+233 24 123 4567")
    for field in ("address_line1", "city", "region", "postal_code"):
        await user.type(ANSWERS[field] if field != "postal_code" else "GA-123")
    assert QUESTION["id_type"] in screen(user)
    offered = labels(user)
    assert "Ghana Card" in offered and "Passport" in offered
    assert "BVN" not in offered and "NIN" not in offered
    # a Nigerian ID type cannot be forced through for Ghana
    await user.type("bvn")
    assert "choose one of the ID types" in screen(user)
    assert "id_type" not in await answers(app, user)


async def test_nigerian_id_types(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "id_type")
    offered = labels(user)
    assert {"BVN", "NIN", "Passport", "Driver's licence"} <= set(offered)
    await press(user, "Passport")
    assert "Type your Passport number" in screen(user)
    await user.type("22123456789")  # a BVN is not a passport number
    assert "should look like A12345678" in screen(user)
    assert "id_number" not in await answers(app, user)
    await user.type("a1234 5678")
    assert (await answers(app, user))["id_number"] == "A12345678"


# -- phone --
@pytest.mark.parametrize(
    "typed", ["0803 123 4567", "08031234567", "+234 803 123 4567", "00234 803 123 4567"]
)
async def test_phone_local_or_international_is_stored_in_e164(app: App, typed: str) -> None:
    user = ChatUser(app)
    await reach(user, "phone")
    await user.type(typed)
    assert (await answers(app, user))["phone"] == "+2348031234567"
    assert QUESTION["address_line1"] in screen(user)


async def test_phone_question_offers_the_share_contact_button(app: App) -> None:
    user = ChatUser(app)
    await start_kyc(user)
    for field in FIELDS[:3]:
        await answer_step(user, field)
    actions = await press(user, "Nigeria")
    contact = [a for a in sends(actions) if a.contact_button is not None]
    assert len(contact) == 1
    assert "Share my phone number" in contact[0].contact_button.label  # type: ignore[union-attr]
    # the reply keyboard goes away with the next question, whichever way the phone came
    after = sends(await user.type("+2348031234567"))
    assert after and after[0].remove_reply_keyboard
    assert QUESTION["address_line1"] in texts(after)


async def test_someone_elses_contact_is_refused_own_contact_accepted(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "phone")
    actions = await user.share_contact("+2348039999999", owner=user.user_id + 1)
    assert "share your own phone number" in texts(actions)
    assert QUESTION["phone"] in screen(user)
    assert "phone" not in await answers(app, user)
    assert await state(app, user) == "kyc:phone"
    # Telegram sends a shared contact's number without the plus
    actions = await user.share_contact("2348031234567")
    assert (await answers(app, user))["phone"] == "+2348031234567"
    assert sends(actions)[0].remove_reply_keyboard
    assert QUESTION["address_line1"] in screen(user)


async def test_shared_contact_is_international_even_from_another_country(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "phone")  # lives in Nigeria, a UK number on Telegram
    await user.share_contact("447911123456")
    assert (await answers(app, user))["phone"] == "+447911123456"


# -- back, cancel, resume --
async def test_back_goes_to_the_previous_question_keeping_answers(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "birth_date")
    question_id = user.last.id
    actions = await press(user, "Back")
    assert [e.message_id for e in edits(actions)] == [question_id]  # in place
    assert QUESTION["last_name"] in screen(user)
    assert await state(app, user) == "kyc:last_name"
    assert await answers(app, user) == {"first_name": "Ada", "last_name": "Okafor"}
    await press(user, "Back")
    assert QUESTION["first_name"] in screen(user)
    await press(user, "Back")  # before the first question: the menu
    assert "Continue verification" in " ".join(labels(user))
    assert await state(app, user) == ""
    assert await answers(app, user) == {"first_name": "Ada", "last_name": "Okafor"}


async def test_back_from_the_phone_question_removes_the_share_button(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "phone")
    actions = await press(user, "Back")
    shown = sends(actions)
    assert len(shown) == 1 and shown[0].remove_reply_keyboard
    assert QUESTION["country"] in texts(shown)
    assert await state(app, user) == "kyc:country"


async def test_cancel_keeps_answers_and_returns_to_the_menu(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "city")
    before = await answers(app, user)
    actions = await user.type("/cancel")
    said = texts(actions)
    assert "Cancelled" in said
    assert "Continue verification" in " ".join(labels(user))
    assert await state(app, user) == ""
    assert await answers(app, user) == before
    # typing now is not taken as the city
    await user.type("Lagos")
    assert "I didn't get that" in user.last.plain
    assert await answers(app, user) == before
    await press(user, "Continue verification")
    assert QUESTION["city"] in screen(user)
    assert "Step 7 of 13" in screen(user)


async def test_cancel_button_mid_question(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "last_name")
    actions = await press(user, "Cancel")
    assert actions[0].text == "Cancelled"
    assert "Continue verification" in " ".join(labels(user))
    assert await answers(app, user) == {"first_name": "Ada"}


async def test_cancel_at_the_phone_question_removes_the_share_button(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "phone")
    actions = await user.type("/cancel")
    assert any(s.remove_reply_keyboard for s in sends(actions))


@pytest.mark.parametrize("command", ["/menu", "/cards"])
async def test_leaving_the_phone_question_by_command_removes_the_share_button(
    app: App, command: str
) -> None:
    user = ChatUser(app)
    await reach(user, "phone")
    actions = await user.type(command)
    if command == "/cards":  # refused (not verified yet): still at the phone question
        assert "verify your identity before" in texts(actions)
        assert await state(app, user) == "kyc:phone"
        assert not any(s.remove_reply_keyboard for s in sends(actions))
        return
    assert any(s.remove_reply_keyboard for s in sends(actions))
    assert await state(app, user) == ""
    # the share button, had it stayed, would now send a contact nobody asked for
    await user.share_contact("+2348031234567")
    assert "phone" not in await answers(app, user)


async def test_leaving_and_coming_back_resumes_at_the_same_question(
    app: App, settings: Settings, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await reach(user, "region")
    before = await answers(app, user)
    # later, after a restart of the bot: a new app over the same database
    restarted = await build_app(settings, clock=clock, configure_logs=False)
    try:
        back = ChatUser(restarted)
        actions = await back.type("/start")
        said = texts(actions)
        assert "Welcome back" in said
        assert "Welcome to" not in said
        assert QUESTION["region"] in screen(back)
        assert "Step 8 of 13" in screen(back)
        await back.type("Lagos")
        assert QUESTION["postal_code"] in screen(back)
        assert await restarted.services.onboarding.answers(
            await restarted.services.users.load(user.user_id)
        ) == {**before, "region": "Lagos"}
    finally:
        await restarted.close()


async def test_resume_at_a_question_reached_by_going_back(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "country")
    await press(user, "Back")  # back at the birth date, already answered
    await user.type("/start")
    assert "Welcome back" in user.log[-2].plain
    assert QUESTION["birth_date"] in screen(user)


# -- summary, edit, submit --
async def reach_summary(user: ChatUser) -> None:
    await reach(user, "selfie")
    await user.send_photo(JPEG)
    assert "Please check your details" in screen(user)


async def test_summary_change_an_answer_returns_to_the_summary(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    await press(user, "Change an answer")
    assert "Which answer would you like to change" in screen(user)
    await press(user, "City")
    assert QUESTION["city"] in screen(user)
    await user.type("Abu")  # fine as a city
    await user.type("/start")  # not lost by wandering off: the summary again
    assert "Please check your details" in screen(user)
    await press(user, "Change an answer")
    await press(user, "City")
    await user.type("Abuja")
    shown = screen(user)
    assert "Please check your details" in shown
    assert "City: Abuja" in shown
    assert (await answers(app, user))["city"] == "Abuja"
    assert (await answers(app, user))["region"] == "Lagos"  # nothing else changed


async def test_changing_the_phone_by_sharing_the_contact(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    await press(user, "Change an answer")
    actions = await press(user, "Phone")
    assert any(s.contact_button is not None for s in sends(actions))
    actions = await user.share_contact("2348059998877")
    shown = sends(actions)
    assert len(shown) == 1 and shown[0].remove_reply_keyboard
    assert "Please check your details" in texts(shown)
    assert "+2348059998877" in texts(shown)
    assert (await answers(app, user))["phone"] == "+2348059998877"


async def test_summary_edit_back_changes_nothing(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    before = await answers(app, user)
    await press(user, "Change an answer")
    await press(user, "First name")
    await press(user, "Back")
    assert "Please check your details" in screen(user)
    await press(user, "Change an answer")
    await press(user, "Back")
    assert "Please check your details" in screen(user)
    assert await answers(app, user) == before


async def test_a_bad_answer_while_editing_is_re_asked_and_stays_in_edit(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    await press(user, "Change an answer")
    await press(user, "Date of birth")
    await user.type("22/11/2008")
    assert "at least 18" in screen(user)
    assert (await answers(app, user))["birth_date"] == "1992-03-14"
    await user.type("01/01/1990")
    assert "Please check your details" in screen(user)
    assert (await answers(app, user))["birth_date"] == "1990-01-01"


async def test_text_at_the_summary_points_to_the_buttons(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    before = await answers(app, user)
    await user.type("yes")
    assert "Please use the buttons below" in screen(user)
    await user.send_other()
    assert "Please use the buttons below" in screen(user)
    assert await answers(app, user) == before
    assert await state(app, user) == "kyc:summary"


async def test_changing_the_country_clears_the_id_type_and_asks_it_again(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    await press(user, "Change an answer")
    await press(user, "Country")
    await press(user, "Ghana")
    stored = await answers(app, user)
    assert stored["country"] == "GH"
    assert "id_type" not in stored and "id_number" not in stored
    assert QUESTION["id_type"] in screen(user)
    assert "Ghana Card" in labels(user) and "BVN" not in labels(user)
    await press(user, "Ghana Card")
    assert "Type your Ghana Card number" in screen(user)
    assert "GHA-123456789-0" in screen(user)
    await user.type("GHA-987654321-5")
    shown = screen(user)
    assert "Please check your details" in shown
    assert "Country: Ghana" in shown and "ID type: Ghana Card" in shown
    stored = await answers(app, user)
    assert (stored["country"], stored["id_type"], stored["id_number"]) == (
        "GH",
        "ghana_card",
        "GHA-987654321-5",
    )


async def test_changing_the_country_to_the_same_one_keeps_the_id(app: App) -> None:
    user = ChatUser(app)
    await reach_summary(user)
    before = await answers(app, user)
    await press(user, "Change an answer")
    await press(user, "Country")
    await user.type("NGA")
    assert "Please check your details" in screen(user)
    assert await answers(app, user) == before


@pytest.mark.parametrize(
    ("overrides", "reason", "field", "fixed"),
    [
        ({"last_name": "Reject"}, "could not be verified", "Last name", "Okafor"),
        ({"id_number": "00000000000"}, "ID number was not found", "ID number", "22123456789"),
    ],
)
async def test_sandbox_rejection_shows_the_reason_then_fix_and_resend(
    app: App,
    clock: FakeClock,
    overrides: dict[str, str],
    reason: str,
    field: str,
    fixed: str,
) -> None:
    user = ChatUser(app)
    await onboard(user, clock, **overrides)
    shown = screen(user)
    assert "was not approved" in shown and reason in shown
    assert (await account(app, user)).kyc_status == "rejected"
    await user.type("/menu")  # the menu offers the fix too
    assert "Fix and resend" in " ".join(labels(user))
    await press(user, "Fix and resend")
    assert "Please check your details" in screen(user)
    await press(user, "Change an answer")
    await press(user, field)
    await user.type(fixed)
    assert "Please check your details" in screen(user)
    await press(user, "Submit")
    assert "being reviewed" in screen(user)
    clock.advance(10)
    await press(user, "Check status")
    assert "You're verified!" in screen(user)
    assert (await account(app, user)).kyc_status == "approved"


# -- stale buttons --
async def test_a_button_from_an_older_keyboard_is_refused_and_changes_nothing(app: App) -> None:
    user = ChatUser(app)
    await user.type("/start")
    old_id, old_data = user.find("Verify my identity")
    await user.type("/help")  # a newer keyboard
    count = len(user.log)
    actions = await user.press_data(old_id, old_data)
    assert len(actions) == 1
    toast = actions[0]
    assert isinstance(toast, AnswerButton) and toast.alert
    assert "older message" in toast.text
    assert await state(app, user) == ""
    assert len(user.log) == count
    assert "/cancel" in screen(user)  # the help screen is untouched


async def test_pressing_an_old_country_button_again_changes_nothing(app: App) -> None:
    user = ChatUser(app)
    await reach(user, "country")
    message_id, ghana = user.find("Ghana")
    await press(user, "Nigeria")
    assert await state(app, user) == "kyc:phone"
    actions = await user.press_data(message_id, ghana)  # a quick second tap on the old keyboard
    assert isinstance(actions[0], AnswerButton) and actions[0].alert
    assert len(actions) == 1
    assert (await answers(app, user))["country"] == "NG"
    assert await state(app, user) == "kyc:phone"


@pytest.mark.parametrize("data", ["garbage", "|m", "abc|m", "99999|m", "0|m", "1|"])
async def test_malformed_button_data_is_refused(app: App, data: str) -> None:
    user = ChatUser(app)
    await user.type("/start")
    actions = await user.press_data(user.last.id, data)
    assert len(actions) == 1
    assert isinstance(actions[0], AnswerButton) and actions[0].alert


async def test_an_unknown_route_with_a_current_seq_is_refused(app: App) -> None:
    user = ChatUser(app)
    await user.type("/start")
    seq = user.find("Help")[1].partition("|")[0]
    actions = await user.press_data(user.last.id, f"{seq}|nope:1")
    assert len(actions) == 1
    assert isinstance(actions[0], AnswerButton) and actions[0].alert
