"""Cards in chat over the neutral handlers, on the built-in sandbox: issue with a fee quote, list,
top up and withdraw (typed and quick amounts, every bad amount re-asked, nothing moved), money
moving exactly once, freeze/unfreeze, terminate, paged statement, reveal with self-destruct,
and another person's card out of reach."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App
from bot.sweeper import Sweeper
from handlers.events import AnswerButton, Edit, Send
from services.errors import ServiceError
from services.money import Money
from services.providers.base import CardStatus
from services.providers.sandbox import SandboxProvider
from storage.models import Card, Operation, PendingDeletion, SandboxTransaction
from tests.chat import ChatUser, Message
from tests.conftest import FakeClock
from tests.journey import fund, issue_card, onboard

_TAGS = re.compile(r"<[^>]+>")


# -- helpers --
def current(user: ChatUser) -> Message:
    """The message holding the newest keyboard (the screen the person is on)."""
    keyboards = [m for m in user.messages.values() if m.from_bot and m.buttons]
    return max(keyboards, key=lambda m: int(m.buttons[0][0].data.partition("|")[0]))  # type: ignore[index]


def screen(user: ChatUser) -> str:
    return current(user).plain


def labels(user: ChatUser) -> list[str]:
    return user.labels(current(user))


def texts(actions: list[Any]) -> str:
    return _TAGS.sub("", "\n".join(a.text for a in actions if isinstance(a, Send | Edit)))


def sends(actions: list[Any]) -> list[Send]:
    return [a for a in actions if isinstance(a, Send)]


async def press(user: ChatUser, label: str) -> list[Any]:
    """Press a button; the press must be answered first, and exactly once."""
    actions = await user.press(label)
    assert isinstance(actions[0], AnswerButton), actions
    assert sum(isinstance(a, AnswerButton) for a in actions) == 1
    return actions


async def forge(user: ChatUser, route: str) -> list[Any]:
    """A press carrying ``route`` with the current screen number: only the route is forged."""
    message = current(user)
    seq = message.buttons[0][0].data.partition("|")[0]  # type: ignore[index]
    actions = await user.press_data(message.id, f"{seq}|{route}")
    assert isinstance(actions[0], AnswerButton)
    return actions


async def account(app: App, user: ChatUser) -> Any:
    return await app.services.users.load(user.user_id)


async def cards_of(app: App, user: ChatUser) -> list[Card]:
    acc = await account(app, user)
    async with app.db.session() as session:
        rows = await session.exec(select(Card).where(Card.user_id == acc.id))
        return list(rows.all())


async def only_card(app: App, user: ChatUser) -> Card:
    cards = await cards_of(app, user)
    assert len(cards) == 1
    return cards[0]


def sandbox(app: App) -> SandboxProvider:
    provider = app.services.provider
    assert isinstance(provider, SandboxProvider)
    return provider


async def balance(app: App, card: Card) -> Money:
    """The issuer's balance: what really moved, not what the chat says."""
    return (await app.services.provider.get_card(card.provider_card_id)).balance


async def operations(app: App, kind: str | None = None) -> list[Operation]:
    async with app.db.session() as session:
        query = select(Operation)
        if kind:
            query = query.where(Operation.kind == kind)
        return list((await session.exec(query)).all())


async def txn_count(app: App) -> int:
    async with app.db.session() as session:
        return len((await session.exec(select(SandboxTransaction))).all())


async def carded(app: App, clock: FakeClock, user_id: int = 1001) -> tuple[ChatUser, Card]:
    """A verified person with one active Visa card holding $25.00."""
    user = ChatUser(app, user_id=user_id)
    await onboard(user, clock)
    await issue_card(user, clock)
    card = await only_card(app, user)
    assert card.status == "active"
    assert await balance(app, card) == Money(2500)
    return user, card


async def open_card(user: ChatUser) -> None:
    await user.type("/cards")
    await press(user, "••••")


# -- before KYC --
async def test_cards_need_approved_kyc(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await user.type("/start")
    await user.type("/cards")
    assert "verify your identity before you can get a card" in user.last.plain
    assert "New card" not in " ".join(labels(user))
    await forge(user, "c.new")  # a forged "New card" is refused the same way
    assert "verify your identity before" in user.last.plain
    acc = await account(app, user)
    with pytest.raises(ServiceError) as info:
        await app.services.cards.quote_issue(acc, "visa", Money(0))
    assert info.value.code == "kyc-required"
    assert await operations(app) == []
    # still pending review: still no cards
    await user.type("/menu")
    await onboard_until_pending(user)
    await user.type("/cards")
    assert "verify your identity before" in user.last.plain
    clock.advance(10)
    await user.type("/cards")
    assert "You don't have a card yet" in screen(user)


async def onboard_until_pending(user: ChatUser) -> None:
    from tests.journey import ANSWERS, JPEG

    await user.press("Verify my identity")
    for field in ("first_name", "last_name", "birth_date"):
        await user.type(ANSWERS[field])
    await user.press("Nigeria")
    for field in ("phone", "address_line1", "city", "region", "postal_code"):
        await user.type(ANSWERS[field])
    await user.press("BVN")
    await user.type(ANSWERS["id_number"])
    await user.send_photo(JPEG)
    await user.send_photo(JPEG)
    await user.press("Submit")


# -- issuing --
async def test_issue_shows_the_fee_before_confirming_then_pending_then_active(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await press(user, "Get my first card")
    assert "Which card would you like" in screen(user)
    assert {"Visa", "Mastercard"} <= set(labels(user))
    await press(user, "Mastercard")
    assert "Load money onto it now" in screen(user)
    assert {"No initial amount", "$10.00", "$25.00", "$50.00"} <= set(labels(user))
    await press(user, "No initial amount")
    quote = screen(user)
    assert "New card · Mastercard" in quote
    assert "Card fee: $2.00" in quote and "You pay: $2.00" in quote
    assert "Initial balance" not in quote
    assert "Confirm" in " ".join(labels(user))
    assert await cards_of(app, user) == []  # nothing issued before confirming
    assert [op.status for op in await operations(app, "issue")] == ["created"]

    actions = await press(user, "Confirm")
    assert actions[0].text == "Card requested"
    view = screen(user)
    assert "on its way" in view
    assert "Status: ⏳ Being created" in view
    assert labels(user)[0] == "🔄 Refresh"
    assert not {"👁 Show card details", "➕ Top up", "❄️ Freeze"} & set(labels(user))
    card = await only_card(app, user)
    assert (card.brand, card.status) == ("mastercard", "pending")
    assert card.masked_pan.startswith("5200 00")

    await press(user, "Refresh")  # still within the sandbox delay
    assert "Being created" in screen(user)
    clock.advance(10)
    await press(user, "Refresh")
    view = screen(user)
    assert "Status: 🟢 Active" in view and "Balance: $0.00" in view
    assert card.masked_pan in view
    assert {"👁 Show card details", "➕ Top up", "❄️ Freeze", "📄 Statement"} <= set(labels(user))
    assert "➖ Withdraw" not in labels(user)  # nothing to withdraw from an empty card
    assert [op.status for op in await operations(app, "issue")] == ["succeeded"]


async def test_issue_with_a_typed_initial_amount(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await user.type("/menu")
    await press(user, "New card")
    await press(user, "Visa")
    await user.type("abc")
    assert "“abc” isn't an amount" in user.last.plain
    await user.type("6000")
    assert "most you can move at once is $5,000.00" in user.last.plain
    assert await operations(app) == []
    await user.type("30")
    quote = screen(user)
    assert "Initial balance: $30.00" in quote
    assert "Card fee: $2.00" in quote and "You pay: $32.00" in quote
    await press(user, "Confirm")
    clock.advance(10)
    await press(user, "Refresh")
    assert "Balance: $30.00" in screen(user)
    assert await balance(app, await only_card(app, user)) == Money(3000)


async def test_card_list_shows_masked_number_status_and_balance(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await user.type("/cards")
    assert "Your cards" in screen(user)
    line = labels(user)[0]
    assert f"•••• {card.last4}" in line
    assert "Active" in line
    assert "$25.00" in line
    assert "Visa" in line
    await press(user, f"•••• {card.last4}")
    view = screen(user)
    assert card.masked_pan in view and "•• ••••" in card.masked_pan
    assert "Status: 🟢 Active" in view and "Balance: $25.00" in view


# -- top up --
BAD_TOPUPS = [
    ("0", "must be more than zero"),
    ("-5", "must be more than zero"),
    ("12.345", "at most two decimals"),
    ("abc", "“abc” isn't an amount"),
    ("1e3", "“1e3” isn't an amount"),
    ("0.50", "smallest amount is $1.00"),
    ("5000.01", "most you can move at once is $5,000.00"),
    ("<b>5</b>", "“&lt;b&gt;5&lt;/b&gt;” isn't an amount"),  # escaped, not markup
]


async def test_bad_top_up_amounts_are_re_asked_and_nothing_moves(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Top up")
    assert "Top up card" in screen(user) and "Balance now: $25.00" in screen(user)
    ops_before, txns_before = len(await operations(app)), await txn_count(app)
    for typed, problem in BAD_TOPUPS:
        actions = await user.type(typed)
        said = sends(actions)
        assert len(said) == 1, typed
        shown = said[0].text if "&lt;" in problem else texts(actions)
        assert problem in shown, (typed, shown)
        assert "Confirm" not in " ".join(user.labels(user.last)), typed
        assert (await account(app, user)).state == "amount:topup", typed
        assert len(await operations(app)) == ops_before, typed  # not even a quote recorded
        assert await txn_count(app) == txns_before, typed
        assert await balance(app, card) == Money(2500), typed
    await user.type("10")  # the same question takes a good amount next
    assert "You pay: $10.15" in screen(user)


async def test_top_up_over_the_card_balance_cap(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await fund(user, Money(2_000_000))  # enough in the wallet: the card's cap is what stops it
    await open_card(user)
    await press(user, "Top up")
    await user.type("5000")
    await press(user, "Confirm")
    assert await balance(app, card) == Money(502_500)
    await press(user, "Top up")
    ops_before = len(await operations(app))
    await user.type("5000")  # would make $10,025.00, over the $10,000.00 cap
    assert "over its limit" in user.last.plain
    assert "add up to $4,975.00" in user.last.plain
    assert len(await operations(app)) == ops_before
    assert await balance(app, card) == Money(502_500)
    await user.type("4975")
    assert "New card balance: $10,000.00" in screen(user)
    await press(user, "Confirm")
    assert await balance(app, card) == Money(1_000_000)


async def test_quick_amount_and_confirmation_with_fee_and_resulting_balance(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Top up")
    assert {"$10.00", "$25.00", "$50.00", "$100.00"} <= set(labels(user))
    await press(user, "$50.00")
    quote = screen(user)
    assert "Amount: $50.00" in quote
    assert "Fee: $0.75" in quote  # 1.5 %
    assert "You pay: $50.75" in quote
    assert "New card balance: $75.00" in quote
    assert await balance(app, card) == Money(2500)  # nothing moves before Confirm
    actions = await press(user, "Confirm")
    assert actions[0].text == "Top-up done"
    view = screen(user)
    assert "$50.00 added to your card" in view and "Balance: $75.00" in view
    assert await balance(app, card) == Money(7500)
    assert [op.status for op in await operations(app, "topup")] == ["succeeded"]


async def test_cancel_from_the_amount_question(app: App, clock: FakeClock) -> None:
    user, _card = await carded(app, clock)
    await open_card(user)
    await press(user, "Top up")
    await press(user, "Cancel")
    assert "Balance: $25.00" in screen(user)
    await user.type("50")  # no longer an amount
    assert "I didn't get that" in user.last.plain
    assert await operations(app, "topup") == []
    await press(user, "Top up")
    await user.send_other()  # a sticker instead of an amount
    assert "type the amount as a number" in user.last.plain
    assert await operations(app, "topup") == []


# -- exactly once --
async def test_confirming_twice_moves_money_once(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    acc = await account(app, user)
    quote = await app.services.cards.quote_topup(acc, card.id, Money(1000))
    first = await app.services.cards.confirm(acc, quote.operation_id)
    second = await app.services.cards.confirm(acc, quote.operation_id)
    assert (first.status, second.status) == ("succeeded", "already_done")
    assert await balance(app, card) == Money(3500)
    assert second.card is not None and second.card.balance == Money(3500)


async def test_concurrent_confirms_move_money_once(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    acc = await account(app, user)
    quote = await app.services.cards.quote_topup(acc, card.id, Money(1000))
    outcomes = await asyncio.gather(
        *(app.services.cards.confirm(acc, quote.operation_id) for _ in range(4))
    )
    statuses = sorted(o.status for o in outcomes)
    assert statuses.count("succeeded") == 1, statuses
    assert set(statuses) <= {"succeeded", "already_done", "in_progress"}
    assert await balance(app, card) == Money(3500)
    page = await app.services.provider.transactions(card.provider_card_id, 0, 10)
    assert [t.kind for t in page.items].count("topup") == 2  # the initial load and this one


async def test_pressing_the_old_confirm_button_again_is_refused(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Top up")
    await user.type("10")
    confirm_at, confirm_data = user.find("Confirm")
    await press(user, "Confirm")
    assert await balance(app, card) == Money(3500)
    stale = await user.press_data(confirm_at, confirm_data)
    assert len(stale) == 1
    assert isinstance(stale[0], AnswerButton) and stale[0].alert
    assert "older message" in stale[0].text
    assert await balance(app, card) == Money(3500)
    # the same operation confirmed again on a current screen is "already done", not a charge
    op = (await operations(app, "topup"))[0]
    actions = await forge(user, f"c.ok:{op.id}")
    assert "already done" in actions[0].text and actions[0].alert
    assert await balance(app, card) == Money(3500)


async def test_an_old_quote_expires(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Top up")
    await user.type("10")
    clock.advance(16 * 60)
    await press(user, "Confirm")
    assert "confirmation expired" in screen(user)
    assert await balance(app, card) == Money(2500)
    assert [op.status for op in await operations(app, "topup")] == ["expired"]


# -- withdraw --
async def test_withdraw_over_the_balance_is_refused_then_withdraw_works(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Withdraw")
    assert "Withdraw from card" in screen(user)
    await user.type("25.01")
    assert "Your card holds $25.00" in user.last.plain
    assert await operations(app, "withdraw") == []
    await user.type("10")
    quote = screen(user)
    assert "Amount: $10.00" in quote and "You receive: $10.00" in quote
    assert "New card balance: $15.00" in quote
    actions = await press(user, "Confirm")
    assert actions[0].text == "Withdrawal done"
    assert "$10.00 withdrawn" in screen(user) and "Balance: $15.00" in screen(user)
    assert await balance(app, card) == Money(1500)
    await press(user, "Withdraw")
    await press(user, "All ($15.00)")
    assert "New card balance: $0.00" in screen(user)
    await press(user, "Confirm")
    assert await balance(app, card) == Money(0)
    assert "➖ Withdraw" not in labels(user)


# -- freeze --
async def test_freeze_declines_purchases_and_unfreeze_restores(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    actions = await press(user, "Freeze")
    assert actions[0].text == "Card frozen"
    assert "is frozen" in screen(user) and "Status: ❄️ Frozen" in screen(user)
    offered = labels(user)
    assert "🔥 Unfreeze" in offered
    assert not {"➕ Top up", "➖ Withdraw", "❄️ Freeze"} & set(offered)
    declined = await sandbox(app).simulate_purchase(card.provider_card_id, Money(500), "Shop")
    assert (declined.status, declined.decline_reason) == ("declined", "card_frozen")
    assert await balance(app, card) == Money(2500)
    # a top-up forced through anyway is refused by the service
    await forge(user, f"c.top:{card.id}")
    assert "card is frozen. Unfreeze it first" in user.last.plain
    assert await operations(app, "topup") == []

    await open_card(user)
    actions = await press(user, "Unfreeze")
    assert actions[0].text == "Card unfrozen"
    assert "active again" in screen(user) and "Status: 🟢 Active" in screen(user)
    assert {"➕ Top up", "❄️ Freeze"} <= set(labels(user))
    approved = await sandbox(app).simulate_purchase(card.provider_card_id, Money(500), "Shop")
    assert approved.status == "approved"
    assert await balance(app, card) == Money(2000)


# -- terminate --
async def test_terminate_asks_twice_and_returns_the_balance(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    await press(user, "Terminate card")
    first = screen(user)
    assert f"Terminate card •••• {card.last4}?" in first
    assert "remaining balance of $25.00 returns to you" in first
    await press(user, "Keep my card")  # changed their mind
    assert "Status: 🟢 Active" in screen(user)
    await press(user, "Terminate card")
    await press(user, "Yes, terminate it")
    assert "Are you sure?" in screen(user)
    assert (await balance(app, card), (await only_card(app, user)).status) == (
        Money(2500),
        "active",
    )
    actions = await press(user, "Terminate for good")
    assert actions[0].text == "Card terminated"
    done = screen(user)
    assert f"Card •••• {card.last4} is terminated. $25.00 returned to you." in done
    assert "Status: ⚫ Terminated" in done
    assert labels(user) == ["📄 Statement", "💳 My cards", "🏠 Menu"]  # history stays readable
    provider_card = await app.services.provider.get_card(card.provider_card_id)
    assert provider_card.status is CardStatus.TERMINATED
    assert provider_card.balance == Money(0)
    assert (await only_card(app, user)).status == "terminated"
    await press(user, "Statement")
    assert "Withdrawal · −$25.00" in screen(user).splitlines()[1]
    # a terminated card takes no more money, even through a forged button
    await forge(user, f"c.top:{card.id}")
    assert "This card is terminated" in user.last.plain
    assert await operations(app, "topup") == []


# -- statement --
async def test_statement_newest_first_five_per_page_with_declines(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)  # one top-up of $25.00
    shop = sandbox(app)
    for i in range(1, 7):
        clock.advance(60)
        await shop.simulate_purchase(card.provider_card_id, Money(100 * i), f"Shop {i}")
    clock.advance(60)
    await shop.simulate_purchase(card.provider_card_id, Money(50_000), "Big Shop")  # declined
    # newest first: Big Shop, Shop 6 … Shop 1, the initial top-up: 8 lines, pages of 5
    await open_card(user)
    await press(user, "Statement")
    page1 = screen(user)
    assert "page 1" in page1
    lines = [line for line in page1.splitlines()[1:] if line.strip()]
    assert len(lines) == 5
    assert "Big Shop" in lines[0] and "$500.00 declined: not enough balance" in lines[0]
    for name, line in zip(["Shop 6", "Shop 5", "Shop 4", "Shop 3"], lines[1:], strict=True):
        assert name in line, (name, line)
    assert "Shop 6 · −$6.00" in lines[1]
    offered = labels(user)
    assert "Older ▶️" in offered and "◀️ Newer" not in offered
    await press(user, "Older")
    page2 = screen(user)
    assert "page 2" in page2
    lines = [line for line in page2.splitlines()[1:] if line.strip()]
    assert len(lines) == 3
    assert "Shop 2" in lines[0] and "Shop 1" in lines[1]
    assert "Top-up · +$25.00" in lines[2]
    offered = labels(user)
    assert "◀️ Newer" in offered and "Older ▶️" not in offered
    await press(user, "Newer")
    assert "page 1" in screen(user) and "Big Shop" in screen(user)
    await press(user, "Back to card")
    assert "Balance: $4.00" in screen(user)  # 25 − (1+2+3+4+5+6)


async def test_statement_of_a_new_empty_card(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="No initial amount")
    await press(user, "Statement")
    assert "No transactions yet" in screen(user)
    assert "Older ▶️" not in labels(user)


# -- reveal --
def luhn_ok(number: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(number)):
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


async def test_reveal_sends_one_protected_self_destructing_message(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await open_card(user)
    view_id = current(user).id
    before = clock.now
    actions = await press(user, "Show card details")
    after = clock.now
    assert actions[0].text == "Card details sent"
    messages = sends(actions)
    assert len(messages) == 1 and not [a for a in actions if isinstance(a, Edit)]
    reveal = messages[0]
    ttl = app.settings.reveal_ttl_seconds
    assert reveal.protect_content is True
    assert reveal.self_destruct_after == ttl == 60
    assert reveal.buttons is None

    secrets = await app.services.provider.reveal(card.provider_card_id)
    assert luhn_ok(secrets.pan) and secrets.pan.startswith("400000")
    assert secrets.pan[-4:] == card.last4
    assert f"<tg-spoiler><code>{secrets.pan}</code></tg-spoiler>" in reveal.text
    assert f"<tg-spoiler><code>{secrets.cvv}</code></tg-spoiler>" in reveal.text
    expiry = f"{secrets.expiry_month:02d}/{secrets.expiry_year % 100:02d}"
    assert f"<tg-spoiler>{expiry}</tg-spoiler>" in reveal.text
    assert f"deletes itself in {ttl} seconds" in reveal.text
    # the number appears in that one message only, and only inside the spoiler
    assert sum(secrets.pan in m.text for m in user.log) == 1
    assert reveal.text.count(secrets.pan) == 1
    assert view_id in user.messages and secrets.pan not in user.messages[view_id].text

    revealed = user.log[-1]
    assert revealed.protect_content and secrets.pan in revealed.text
    async with app.db.session() as session:
        rows = list((await session.exec(select(PendingDeletion))).all())
    assert len(rows) == 1
    row = rows[0]
    assert (row.chat_id, row.message_id, row.done_at) == (user.chat_id, revealed.id, None)
    delete_at = row.delete_at.replace(tzinfo=UTC) if row.delete_at.tzinfo is None else row.delete_at
    assert before + timedelta(seconds=ttl) <= delete_at <= after + timedelta(seconds=ttl)

    sweeper = Sweeper(user, app.services.deletions)
    clock.advance(ttl - 1)
    assert await sweeper.sweep_once() == 0
    assert user.deleted == []
    clock.advance(2)  # 61 seconds in all
    assert await sweeper.sweep_once() == 1
    assert user.deleted == [revealed.id]
    assert revealed.id not in user.messages
    assert view_id in user.messages  # the card view stays
    assert await sweeper.sweep_once() == 0  # done once, not again
    await press(user, "Freeze")  # the card view under the reveal is still the live screen
    assert "Status: ❄️ Frozen" in screen(user)
    async with app.db.session() as session:
        row2 = await session.get(PendingDeletion, row.id)
    assert row2 is not None and row2.done_at is not None


async def test_reveal_of_a_pending_card_is_refused(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await user.type("/menu")
    await press(user, "New card")
    await press(user, "Visa")
    await press(user, "$10.00")
    await press(user, "Confirm")
    card = await only_card(app, user)
    assert card.status == "pending"
    assert "👁 Show card details" not in labels(user)
    actions = await forge(user, f"c.rv:{card.id}")
    assert "details are not ready yet" in texts(actions)
    assert not any(s.protect_content for s in sends(actions))
    async with app.db.session() as session:
        assert list((await session.exec(select(PendingDeletion))).all()) == []
    with pytest.raises(ServiceError) as info:
        await app.services.cards.reveal(await account(app, user), card.id)
    assert info.value.code == "card-not-revealable-pending"


# -- someone else's card --
FORGED_ROUTES = ["c.v:{id}", "c.top:{id}", "c.wd:{id}", "c.frz:{id}", "c.unf:{id}",
                 "c.term:{id}:1", "c.term:{id}:3", "c.st:{id}:0", "c.rv:{id}"]  # fmt: skip


async def test_another_persons_card_id_is_refused(app: App, clock: FakeClock) -> None:
    owner, card = await carded(app, clock, user_id=1001)
    intruder = ChatUser(app, user_id=2002)
    await onboard(intruder, clock)
    await intruder.type("/cards")
    for route in FORGED_ROUTES:
        sent_before = len(intruder.log)
        actions = await forge(intruder, route.format(id=card.id))
        assert "That card was not found" in texts(actions), route
        assert not any(s.protect_content for s in sends(actions)), route
        assert all(card.last4 not in m.text for m in intruder.log[sent_before:]), route
        assert card.last4 not in texts(actions), route
        fresh = await app.services.provider.get_card(card.provider_card_id)
        assert (fresh.status, fresh.balance) == (CardStatus.ACTIVE, Money(2500)), route
        assert (await only_card(app, owner)).status == "active", route
        assert (await account(app, intruder)).state == "", route  # no amount question
    assert [op.kind for op in await operations(app)] == ["issue"]
    assert await cards_of(app, intruder) == []


async def test_another_persons_operation_cannot_be_confirmed(app: App, clock: FakeClock) -> None:
    owner, card = await carded(app, clock, user_id=1001)
    quote = await app.services.cards.quote_topup(await account(app, owner), card.id, Money(1000))
    intruder = ChatUser(app, user_id=2002)
    await onboard(intruder, clock)
    await intruder.type("/cards")
    actions = await forge(intruder, f"c.ok:{quote.operation_id}")
    assert "That request was not found" in texts(actions)
    assert await balance(app, card) == Money(2500)
    with pytest.raises(ServiceError) as info:
        await app.services.cards.confirm(await account(app, intruder), quote.operation_id)
    assert info.value.code == "operation-not-found"
    # the owner can still confirm their own
    outcome = await app.services.cards.confirm(await account(app, owner), quote.operation_id)
    assert outcome.status == "succeeded"
    assert await balance(app, card) == Money(3500)
