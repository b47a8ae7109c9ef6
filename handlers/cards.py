"""Card screens: list, view, top up, withdraw, freeze, terminate, statement, reveal.

A new card is asked for in handlers/issue.py; limits, airline payments and disputes live in
handlers/controls.py."""

from __future__ import annotations

from babel.dates import format_datetime

from handlers import controls, documents, issue, menu, wallet
from handlers.context import Ctx, Rows
from handlers.events import Kind
from handlers.routes import Router
from handlers.texts import Markup
from services.cards import CardView, Outcome, Quote
from services.errors import ServiceError
from services.money import AmountError, Money, parse_amount
from services.providers.base import Capability, CardSecrets, CardStatus

QUICK_TOPUPS = (1_000, 2_500, 5_000, 10_000)
STATUS_ICON = {"pending": "⏳", "active": "🟢", "frozen": "❄️", "terminated": "⚫"}


def register(router: Router) -> None:
    router.commands["cards"] = lambda ctx: card_list(ctx, [])
    router.buttons["c.list"] = card_list
    router.buttons["c.v"] = card_view
    router.buttons["c.top"] = ask_topup
    router.buttons["c.wd"] = ask_withdraw
    router.buttons["c.amt"] = amount_button
    router.buttons["c.ok"] = confirm
    router.buttons["c.frz"] = freeze
    router.buttons["c.unf"] = unfreeze
    router.buttons["c.term"] = terminate
    router.buttons["c.st"] = statement
    router.buttons["c.rv"] = reveal
    router.inputs["amount"] = on_amount


def _can(ctx: Ctx, capability: Capability, card: CardView | None = None) -> bool:
    return ctx.services.cards.can(capability, card)


def _card_line(ctx: Ctx, card: CardView) -> str:
    """A card as plain text for a button label."""
    return ctx.texts.get(
        ctx.account.language,
        "card-line",
        html_args=False,
        brand=card.brand.title(),
        last4=card.last4,
        balance=ctx.money(card.balance),
        status=ctx.t(f"card-status-{card.status}"),
        icon=STATUS_ICON.get(card.status, ""),
    )


async def card_list(ctx: Ctx, _args: list[str]) -> None:
    if (await ctx.services.onboarding.state(ctx.account)).status != "approved":
        raise ServiceError("kyc-required")
    ctx.clear_state()
    cards = await ctx.services.cards.list(ctx.account)
    rows: Rows = [
        [
            ctx.choice(
                "btn-card",
                f"c.v:{card.id}:{documents.OPENED_FROM_LIST}",
                line=_card_line(ctx, card),
            )
        ]
        for card in cards
    ]
    if _can(ctx, Capability.ISSUE):
        rows.append([ctx.choice("btn-new-card", "c.new")])
    rows.append([ctx.choice("btn-menu", "m")])
    ctx.show(ctx.t("cards-title" if cards else "cards-empty"), rows)


async def card_view(ctx: Ctx, args: list[str], *, notice: str = "") -> None:
    ctx.clear_state()
    card = await ctx.services.cards.view(ctx.account, args[0])
    if args[1:] == [documents.OPENED_FROM_LIST]:
        await documents.picture_above(ctx, card)
    await show_card(ctx, card, notice)


async def show_card(ctx: Ctx, card: CardView, notice: str = "") -> None:
    text = ctx.t(
        "card-view",
        brand=card.brand.title(),
        masked=card.masked_pan,
        status=ctx.t(f"card-status-{card.status}"),
        icon=STATUS_ICON.get(card.status, ""),
        balance=ctx.money(card.balance),
    )
    extra = controls.card_lines(ctx, card)
    if extra:
        text = "\n".join([text, *extra])
    if notice:
        text = f"{notice}\n\n{text}"
    ctx.show(text, _card_rows(ctx, card))


def _card_rows(ctx: Ctx, card: CardView) -> Rows:
    cid = card.id
    rows: Rows = []
    if card.status == CardStatus.PENDING:
        rows.append([ctx.choice("btn-refresh", f"c.v:{cid}")])
    if card.status in (CardStatus.ACTIVE, CardStatus.FROZEN) and _can(ctx, Capability.REVEAL, card):
        rows.append(
            [
                ctx.choice("btn-reveal", f"c.rv:{cid}"),
                ctx.choice("btn-reveal-history", f"c.rh:{cid}:0"),
            ]
        )
    money_row = []
    if card.status == CardStatus.ACTIVE and _can(ctx, Capability.TOPUP, card):
        money_row.append(ctx.choice("btn-topup", f"c.top:{cid}"))
    if (
        card.status == CardStatus.ACTIVE
        and _can(ctx, Capability.WITHDRAW, card)
        and card.balance.minor
    ):
        money_row.append(ctx.choice("btn-withdraw", f"c.wd:{cid}"))
    if money_row:
        rows.append(money_row)
    state_row = []
    if _can(ctx, Capability.FREEZE, card):
        if card.status == CardStatus.ACTIVE:
            state_row.append(ctx.choice("btn-freeze", f"c.frz:{cid}"))
        elif card.status == CardStatus.FROZEN:
            state_row.append(ctx.choice("btn-unfreeze", f"c.unf:{cid}"))
    if _can(ctx, Capability.STATEMENT, card) and card.status != CardStatus.PENDING:
        state_row.append(ctx.choice("btn-statement", f"c.st:{cid}:0"))
    if state_row:
        rows.append(state_row)
    rows.extend(documents.card_rows(ctx, card))
    rows.extend(controls.card_rows(ctx, card))
    if _can(ctx, Capability.TERMINATE, card) and card.status in (
        CardStatus.ACTIVE,
        CardStatus.FROZEN,
    ):
        rows.append([ctx.choice("btn-terminate", f"c.term:{cid}:1")])
    rows.append([ctx.choice("btn-my-cards", "c.list"), ctx.choice("btn-menu", "m")])
    return rows


# -- top up / withdraw --
async def ask_topup(ctx: Ctx, args: list[str]) -> None:
    card = await ctx.services.cards.active(ctx.account, args[0])
    ctx.set_state("amount:topup", card=card.id)
    rows: Rows = [
        [ctx.choice("btn-amount", f"c.amt:{m}", amount=ctx.money(Money(m))) for m in QUICK_TOPUPS]
    ]
    rows.append([ctx.choice("btn-cancel", f"c.v:{card.id}")])
    ctx.show(ctx.t("topup-ask", last4=card.last4, balance=ctx.money(card.balance)), rows)


async def ask_withdraw(ctx: Ctx, args: list[str]) -> None:
    card = await ctx.services.cards.active(ctx.account, args[0])
    ctx.set_state("amount:withdraw", card=card.id)
    rows: Rows = [
        [
            ctx.choice(
                "btn-withdraw-all", f"c.amt:{card.balance.minor}", amount=ctx.money(card.balance)
            )
        ]
    ]
    rows.append([ctx.choice("btn-cancel", f"c.v:{card.id}")])
    ctx.show(ctx.t("withdraw-ask", last4=card.last4, balance=ctx.money(card.balance)), rows)


async def amount_button(ctx: Ctx, args: list[str]) -> None:
    if not ctx.state.startswith("amount:"):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    await _amount(ctx, Money(int(args[0])))


async def on_amount(ctx: Ctx) -> None:
    if ctx.incoming.kind is not Kind.TEXT:
        ctx.send(ctx.t("amount-type-it"), _amount_retry_rows(ctx))
        return
    try:
        amount = parse_amount(ctx.incoming.text, ctx.services.settings.currency)
    except AmountError as exc:
        ctx.send(ctx.t(exc.code, **exc.args_for_text), _amount_retry_rows(ctx))
        return
    try:
        await _amount(ctx, amount)
    except ServiceError as exc:
        if not exc.code.startswith(("amount-", "limit-", "card-initial-", "wallet-")):
            raise
        rows = _amount_retry_rows(ctx)
        if exc.code == "wallet-insufficient":
            rows.insert(0, [ctx.choice("btn-wallet", "w")])
        ctx.send(ctx.error_text(exc), rows)


def _amount_retry_rows(ctx: Ctx) -> Rows:
    card = ctx.account.data.get("card")
    return [[ctx.choice("btn-cancel", f"c.v:{card}" if card else "x")]]


async def _amount(ctx: Ctx, amount: Money) -> None:
    kind = ctx.state.partition(":")[2]
    data = ctx.account.data
    cards = ctx.services.cards
    if kind == "issue":
        await issue.after_initial(ctx, amount)
    elif kind.startswith("ilimit_"):
        await issue.limit_step(ctx, kind, amount)
    elif kind == "deposit":
        await wallet.deposit(ctx, amount)
    elif kind.startswith("limit_"):
        await controls.set_limit(ctx, data["card"], kind, amount)
    elif kind == "topup":
        await show_quote(ctx, await cards.quote_topup(ctx.account, data["card"], amount))
    elif kind == "withdraw":
        await show_quote(ctx, await cards.quote_withdraw(ctx.account, data["card"], amount))
    else:
        await menu.show_menu(ctx)


async def show_quote(ctx: Ctx, quote: Quote) -> None:
    ctx.set_state("confirm", operation=quote.operation_id)
    args = {
        "amount": ctx.money(quote.amount),
        "fee": ctx.money(quote.fee),
        "total": ctx.money(quote.total),
        "after": ctx.money(quote.balance_after),
        "last4": quote.card.last4 if quote.card else "",
        "brand": issue.option_label(ctx, quote.option, quote.wallet) if quote.option else "",
    }
    back = f"c.v:{quote.card.id}" if quote.card else "c.list"
    rows: Rows = [
        [ctx.choice("btn-confirm", f"c.ok:{quote.operation_id}"), ctx.choice("btn-cancel", back)]
    ]
    key = f"quote-{quote.kind}" + (
        "-initial" if quote.kind == "issue" and quote.amount.minor else ""
    )
    text = ctx.t(key, **args)
    if quote.limits is not None:
        text = "\n".join([text, *controls.limit_lines(ctx, quote.limits)])
    ctx.show(text, rows)


async def confirm(ctx: Ctx, args: list[str]) -> None:
    ctx.clear_state()
    outcome: Outcome = await ctx.services.cards.confirm(ctx.account, args[0])
    amount = ctx.money(outcome.amount)
    if outcome.status == "succeeded":
        ctx.answer(ctx.t(f"done-{outcome.kind}-toast"))
        ready = outcome.kind == "issue" and outcome.card and outcome.card.status == "active"
        notice = (
            ctx.t("done-issue-ready") if ready else ctx.t(f"done-{outcome.kind}", amount=amount)
        )
    elif outcome.status == "already_done":
        ctx.answer(ctx.t("already-done"), alert=True)
        notice = ctx.t("already-done")
    elif outcome.status == "in_progress":
        notice = ctx.t("in-progress")
    elif outcome.status == "expired":
        notice = ctx.t("quote-expired")
    else:
        notice = (
            ctx.t(outcome.error)
            if outcome.error and ctx.texts.has(outcome.error)
            else ctx.t("provider-failed")
        )
        notice = ctx.t("failed", reason=Markup(notice))
    if outcome.card is not None:
        await show_card(ctx, outcome.card, notice)
    else:
        ctx.show(notice, [[ctx.choice("btn-my-cards", "c.list"), ctx.choice("btn-menu", "m")]])


# -- card state --
async def freeze(ctx: Ctx, args: list[str]) -> None:
    card = await ctx.services.cards.freeze(ctx.account, args[0])
    ctx.answer(ctx.t("frozen-toast"))
    await show_card(ctx, card, ctx.t("frozen", last4=card.last4))


async def unfreeze(ctx: Ctx, args: list[str]) -> None:
    card = await ctx.services.cards.unfreeze(ctx.account, args[0])
    ctx.answer(ctx.t("unfrozen-toast"))
    await show_card(ctx, card, ctx.t("unfrozen", last4=card.last4))


async def terminate(ctx: Ctx, args: list[str]) -> None:
    """Asks twice; the third press (step 3) closes the card."""
    card_id, step = args[0], args[1] if len(args) > 1 else "1"
    card = await ctx.services.cards.view(ctx.account, card_id)
    back = [ctx.choice("btn-keep-card", f"c.v:{card_id}")]
    if step == "1":
        rows: Rows = [[ctx.choice("btn-terminate-yes", f"c.term:{card_id}:2")], back]
        ctx.show(ctx.t("terminate-ask", last4=card.last4, balance=ctx.money(card.balance)), rows)
    elif step == "2":
        rows = [[ctx.choice("btn-terminate-final", f"c.term:{card_id}:3")], back]
        ctx.show(ctx.t("terminate-ask-again", last4=card.last4), rows)
    else:
        closed, returned = await ctx.services.cards.terminate(ctx.account, card_id)
        ctx.answer(ctx.t("terminated-toast"))
        await show_card(
            ctx, closed, ctx.t("terminated", last4=closed.last4, balance=ctx.money(returned))
        )


async def statement(ctx: Ctx, args: list[str]) -> None:
    card_id, page = args[0], int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
    card = await ctx.services.cards.view(ctx.account, card_id)
    result = await ctx.services.cards.statement(ctx.account, card_id, page)
    lines = [ctx.t("statement-title", last4=card.last4, page=page + 1)]
    if not result.items:
        lines.append(ctx.t("statement-empty"))
    for item in result.items:
        when = format_datetime(item.created_at, "d MMM HH:mm", locale=ctx.account.language)
        key = f"txn-{item.kind}" + ("-declined" if item.status == "declined" else "")
        reason_key = f"decline-{item.decline_reason}"
        reason = ": " + ctx.t(reason_key) if ctx.texts.has(reason_key) else ""
        lines.append(
            ctx.t(
                key,
                when=when,
                amount=ctx.money(item.amount),
                merchant=item.merchant or "",
                reason=reason,
            )
        )
    nav = []
    if page > 0:
        nav.append(ctx.choice("btn-newer", f"c.st:{card_id}:{page - 1}"))
    if result.has_more:
        nav.append(ctx.choice("btn-older", f"c.st:{card_id}:{page + 1}"))
    rows: Rows = [nav] if nav else []
    rows.extend(controls.statement_rows(ctx, card, result, page))
    rows.extend(documents.statement_rows(ctx, card, bool(result.items) or page > 0))
    rows.append([ctx.choice("btn-back-card", f"c.v:{card_id}")])
    ctx.show("\n".join(lines), rows)


async def reveal(ctx: Ctx, args: list[str]) -> None:
    card, secrets = await ctx.services.cards.reveal(ctx.account, args[0])
    ttl = ctx.services.settings.reveal_ttl_seconds
    ctx.answer(ctx.t("reveal-toast"))
    ctx.send(
        _reveal_text(ctx, card, secrets, ttl),
        protect_content=True,
        self_destruct_after=ttl,
    )


def _reveal_text(ctx: Ctx, card: CardView, secrets: CardSecrets, ttl: int) -> str:
    return ctx.t(
        "reveal",
        brand=card.brand.title(),
        last4=card.last4,
        pan=Markup(f"<tg-spoiler><code>{secrets.pan}</code></tg-spoiler>"),
        expiry=Markup(
            f"<tg-spoiler>{secrets.expiry_month:02d}/{secrets.expiry_year % 100:02d}</tg-spoiler>"
        ),
        cvv=Markup(f"<tg-spoiler><code>{secrets.cvv}</code></tg-spoiler>"),
        ttl=ttl,
    )
