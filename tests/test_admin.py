"""Support commands: an authorization matrix (every command × cardholder, agent, admin, and
another brand's admin), the commands themselves, and forged callbacks at someone else's card."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App, build_app
from services.money import Money
from storage.models import Approval, Card, OutboundMessage
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.journey import issue_card, onboard

ADMIN, SECOND_ADMIN, AGENT, HOLDER, OTHER_BRAND_ADMIN = 7001, 7002, 7003, 1001, 9001
_TAGS = re.compile(r"<[^>]+>")


@pytest.fixture
async def brand_a(tmp_path: Path, clock: FakeClock) -> AsyncIterator[App]:
    settings = make_settings(
        tmp_path,
        tenant="brand-a",
        admin_ids=[ADMIN, SECOND_ADMIN],
        agent_ids=[AGENT],
        credit_approval_minor=10_000,
    )
    app = await build_app(settings, clock=clock, configure_logs=False)
    yield app
    await app.close()


@pytest.fixture
async def brand_b(tmp_path: Path, clock: FakeClock, brand_a: App) -> AsyncIterator[App]:
    """Another brand in the same database, with its own admin."""
    settings = make_settings(tmp_path, tenant="brand-b", admin_ids=[OTHER_BRAND_ADMIN])
    app = await build_app(settings, clock=clock, migrate=False, configure_logs=False)
    yield app
    await app.close()


async def holder_with_card(app: App, clock: FakeClock) -> tuple[ChatUser, Card]:
    user = ChatUser(app, user_id=HOLDER, username="ada_o")
    await onboard(user, clock)
    await issue_card(user, clock, initial="$25.00")
    async with app.db.session() as session:
        card = (await session.exec(select(Card))).one()
    return user, card


async def say(app: App, telegram_id: int, text: str) -> str:
    person = ChatUser(app, user_id=telegram_id)
    await person.type(text)
    return _TAGS.sub("", "\n".join(m.text for m in person.log))


COMMANDS = {
    # command → (needs admin, text that shows it worked)
    "/staff": (False, "Support commands"),
    "/find 1001": (False, "Ada"),
    "/find @ada_o": (False, "Ada"),
    "/find +2348031234567": (False, "Ada"),
    "/who 1001": (False, "KYC: approved"),
    "/txns {last4}": (False, "topup · approved · $25.00"),
    "/kyc": (False, "No identity reviews waiting"),
    "/kycdocs 1001": (False, "ID document (protected)"),
    "/audit 5": (True, "Audit log"),
    "/today": (False, "Cards issued: 1 · Volume: $25.00"),
    "/health": (False, "database: ok"),
    "/freeze {last4} suspected fraud": (False, "frozen; the cardholder has been told"),
    "/credit 1001 5 goodwill": (True, "credit of $5.00 done"),
    "/debit 1001 5 correction": (True, "debit of $5.00 done"),
    "/agent add 5555": (True, "is now a support agent"),
    "/broadcast Maintenance tonight": (True, "Queued for"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
async def test_authorization_matrix(
    brand_a: App, brand_b: App, clock: FakeClock, command: str
) -> None:
    _user, card = await holder_with_card(brand_a, clock)
    text = command.format(last4=card.last4)
    needs_admin, worked = COMMANDS[command]
    unknown = brand_a.conversation.texts.get("en", "unknown-command")

    # a cardholder and another brand's admin get the ordinary unknown-command answer
    for outsider in (HOLDER, OTHER_BRAND_ADMIN):
        answer = await say(brand_a, outsider, text)
        assert answer.strip() == unknown, (outsider, answer)
    # an agent may do what an agent may, no more
    agent_answer = await say(brand_a, AGENT, text)
    if needs_admin:
        assert "for admins" in agent_answer and worked not in agent_answer
    else:
        assert worked in agent_answer, agent_answer
    # an admin may do all of it (the freeze was already done by the agent for that row)
    if needs_admin or "freeze" not in command:
        admin_answer = await say(brand_a, ADMIN, text)
        assert worked in admin_answer, admin_answer


async def test_the_other_brand_cannot_see_this_brands_cardholders(
    brand_a: App, brand_b: App, clock: FakeClock
) -> None:
    await holder_with_card(brand_a, clock)
    answer = await say(brand_b, OTHER_BRAND_ADMIN, "/who 1001")
    assert "No one" in answer and "Ada" not in answer
    answer = await say(brand_b, OTHER_BRAND_ADMIN, "/find @ada_o")
    assert "No one" in answer


async def test_agents_see_personal_data_masked_admins_in_full(
    brand_a: App, clock: FakeClock
) -> None:
    await holder_with_card(brand_a, clock)
    agent_view = await say(brand_a, AGENT, "/who 1001")
    admin_view = await say(brand_a, ADMIN, "/who 1001")
    assert "Ada O." in agent_view and "Okafor" not in agent_view
    assert "+234•••••4567" in agent_view and "+2348031234567" not in agent_view
    assert "born 1992 " in agent_view and "1992-03-14" not in agent_view
    assert "Ada Okafor" in admin_view and "+2348031234567" in admin_view
    for view in (agent_view, admin_view):  # the ID number is masked for everyone
        assert "22123456789" not in view and "•••••••6789" in view


async def test_freeze_with_reason_tells_the_cardholder(brand_a: App, clock: FakeClock) -> None:
    _user, card = await holder_with_card(brand_a, clock)
    await say(brand_a, AGENT, f"/freeze {card.last4} suspected fraud")
    async with brand_a.db.session() as session:
        frozen = await session.get(Card, card.id)
        told = (await session.exec(select(OutboundMessage))).all()
    assert frozen is not None and frozen.status == "frozen"
    assert any("Support froze card" in m.text and "suspected fraud" in m.text for m in told)
    assert "Usage" in await say(brand_a, AGENT, f"/freeze {card.last4}")  # a reason is required


async def test_large_credit_needs_a_second_admin(brand_a: App, clock: FakeClock) -> None:
    user, _card = await holder_with_card(brand_a, clock)
    account = await brand_a.services.users.load(user.user_id)
    before = await brand_a.services.wallet.balance(account.id)
    answer = await say(brand_a, ADMIN, "/credit 1001 250 compensation")
    assert "another admin must /approve" in answer
    async with brand_a.db.session() as session:
        approval = (await session.exec(select(Approval))).one()
    assert await brand_a.services.wallet.balance(account.id) == before
    assert "second admin must approve" in await say(brand_a, ADMIN, f"/approve {approval.id}")
    assert "for admins" in await say(brand_a, AGENT, f"/approve {approval.id}")
    assert "approved" in await say(brand_a, SECOND_ADMIN, f"/approve {approval.id}")
    assert await brand_a.services.wallet.balance(account.id) == before + Money(25_000)
    assert "already decided" in await say(brand_a, SECOND_ADMIN, f"/approve {approval.id}")
    assert await brand_a.services.wallet.balance(account.id) == before + Money(25_000)


async def test_bad_usage_gets_a_usage_line(brand_a: App, clock: FakeClock) -> None:
    for text, usage in (
        ("/who", "/who 123456789"),
        ("/credit 1001", "/credit 123456789"),
        ("/agent promote 12", "/agent add"),
        ("/txns 42 x", "/txns 4242"),
    ):
        answer = await say(brand_a, ADMIN, text)
        assert "Usage" in answer and usage in answer, (text, answer)
    assert "isn't an amount" in await say(brand_a, ADMIN, "/credit 1001 abc reason")


async def test_forged_callbacks_at_another_cardholders_card(brand_a: App, clock: FakeClock) -> None:
    _ada, card = await holder_with_card(brand_a, clock)
    mallory = ChatUser(brand_a, user_id=2002)
    await onboard(mallory, clock)
    account = await brand_a.services.users.load(mallory.user_id)
    for route in (
        f"c.frz:{card.id}",
        f"c.rv:{card.id}",
        f"c.top:{card.id}",
        f"c.v:{card.id}",
        f"c.term:{card.id}:3",
        f"c.st:{card.id}:0",
    ):
        for seq in (account.screen_seq, 0):  # a current-looking button and an "alert" button
            await mallory.press_data(1, f"{seq}|{route}")
            account = await brand_a.services.users.load(mallory.user_id)
    async with brand_a.db.session() as session:
        untouched = await session.get(Card, card.id)
    assert untouched is not None and untouched.status == "active"
    assert not any("4000" in m.text and "<code>" in m.text for m in mallory.log)  # no reveal
    assert any("That card was not found" in m.text for m in mallory.log)


async def test_kyc_documents_are_protected_photos_and_everything_is_audited(
    brand_a: App, clock: FakeClock
) -> None:
    await holder_with_card(brand_a, clock)
    agent = ChatUser(brand_a, user_id=AGENT)
    await agent.type("/kycdocs 1001")
    photos = [m for m in agent.log if m.image is not None]
    assert len(photos) == 2 and all(m.protect_content for m in photos)
    await say(brand_a, AGENT, "/who 1001")
    trail = await say(brand_a, ADMIN, "/audit 10")
    assert "kyc.documents" in trail and "cardholder.view" in trail
    assert f"tg:{AGENT} (agent)" in trail
    assert (await brand_a.services.audit.verify()).ok
