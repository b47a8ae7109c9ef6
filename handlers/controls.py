"""A card's controls, offered only where its issuer has them: spending limits, airline payments,
disputing a payment from the statement."""

from __future__ import annotations

from handlers import cards
from handlers.context import Ctx, Rows
from handlers.events import Kind
from handlers.routes import Router
from services.cards import CardView
from services.errors import ServiceError
from services.money import Money
from services.providers.base import Capability, CardStatus, Limits, TransactionPage

QUICK_LIMITS = (5_000, 10_000, 25_000)
LIVE = (CardStatus.ACTIVE, CardStatus.FROZEN, CardStatus.PENDING)


def register(router: Router) -> None:
    router.buttons["c.lim"] = limits_screen
    router.buttons["c.limset"] = ask_limit
    router.buttons["c.limq"] = quick_limit
    router.buttons["c.limx"] = clear_limits
    router.buttons["c.air"] = airline
    router.buttons["c.dsp"] = dispute_pick
    router.buttons["c.dsx"] = dispute_ask_reason
    router.inputs["dispute"] = dispute_reason


def _can(ctx: Ctx, capability: Capability, card: CardView) -> bool:
    return ctx.services.cards.can(capability, card)


# -- what the card view shows --
def card_lines(ctx: Ctx, card: CardView) -> list[str]:
    lines = []
    if card.disposable:
        lines.append(ctx.t("card-single-use"))
    if card.wallet:
        lines.append(ctx.t("card-wallet", wallet=ctx.t(f"wallet-{card.wallet}")))
    if not card.limits.empty:
        lines.extend(limit_lines(ctx, card.limits))
    if _can(ctx, Capability.AIRLINE_TOGGLE, card) and card.airline_payments is not None:
        lines.append(ctx.t("card-airline-on" if card.airline_payments else "card-airline-off"))
    return lines


def card_rows(ctx: Ctx, card: CardView) -> Rows:
    if card.status not in LIVE:
        return []
    row = []
    if _can(ctx, Capability.LIMITS, card):
        row.append(ctx.choice("btn-limits", f"c.lim:{card.id}"))
    if _can(ctx, Capability.AIRLINE_TOGGLE, card) and card.airline_payments is not None:
        key, flag = ("btn-airline-off", 0) if card.airline_payments else ("btn-airline-on", 1)
        row.append(ctx.choice(key, f"c.air:{card.id}:{flag}"))
    return [row] if row else []


def statement_rows(ctx: Ctx, card: CardView, page: TransactionPage, number: int) -> Rows:
    if not _can(ctx, Capability.DISPUTES, card) or not _disputable(page):
        return []
    return [[ctx.choice("btn-dispute", f"c.dsp:{card.id}:{number}")]]


def _disputable(page: TransactionPage) -> list[str]:
    return [t.id for t in page.items if t.kind == "purchase" and t.status == "approved"]


def limit_lines(ctx: Ctx, limits: Limits) -> list[str]:
    lines = []
    if limits.daily or limits.per_transaction:
        lines.append(_limits_line(ctx, limits))
    if limits.daily_count:
        lines.append(ctx.t("card-limit-count", count=limits.daily_count))
    return lines


def _limits_line(ctx: Ctx, limits: Limits) -> str:
    none = ctx.t("limit-none")
    return ctx.t(
        "card-limits",
        daily=ctx.money(limits.daily) if limits.daily else none,
        per_purchase=ctx.money(limits.per_transaction) if limits.per_transaction else none,
    )


# -- limits --
async def limits_screen(ctx: Ctx, args: list[str], notice: str = "") -> None:
    ctx.clear_state()
    card = await ctx.services.cards.view(ctx.account, args[0])
    if not _can(ctx, Capability.LIMITS, card):
        raise ServiceError("not-offered")
    text = ctx.t("limits-title", last4=card.last4) + "\n" + _limits_line(ctx, card.limits)
    if notice:
        text = f"{notice}\n\n{text}"
    rows: Rows = [
        [ctx.choice("btn-limit-daily", f"c.limset:{card.id}:daily")],
        [ctx.choice("btn-limit-purchase", f"c.limset:{card.id}:txn")],
    ]
    if not card.limits.empty:
        rows.append([ctx.choice("btn-limits-clear", f"c.limx:{card.id}")])
    rows.append([ctx.choice("btn-back-card", f"c.v:{card.id}")])
    ctx.show(text, rows)


async def ask_limit(ctx: Ctx, args: list[str]) -> None:
    card_id, which = args[0], args[1] if len(args) > 1 else ""
    if which not in ("daily", "txn"):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    card = await ctx.services.cards.view(ctx.account, card_id)
    ctx.set_state(f"amount:limit_{which}", card=card.id)
    rows: Rows = [
        [ctx.choice("btn-amount", f"c.limq:{m}", amount=ctx.money(Money(m))) for m in QUICK_LIMITS]
    ]
    rows.append([ctx.choice("btn-cancel", f"c.lim:{card.id}")])
    ctx.show(ctx.t(f"limit-ask-{which}", last4=card.last4), rows)


async def quick_limit(ctx: Ctx, args: list[str]) -> None:
    kind = ctx.state.partition(":")[2]
    if not kind.startswith("limit_") or not args or not args[0].isdigit():
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    await set_limit(ctx, ctx.account.data["card"], kind, Money(int(args[0])))


async def set_limit(ctx: Ctx, card_id: str, kind: str, amount: Money) -> None:
    """Change one limit and keep the other (the typed-amount path comes through cards)."""
    card = await ctx.services.cards.view(ctx.account, card_id)
    current = card.limits
    if kind == "limit_daily":
        wanted = Limits(
            daily=amount, per_transaction=current.per_transaction, daily_count=current.daily_count
        )
    else:
        wanted = Limits(
            daily=current.daily, per_transaction=amount, daily_count=current.daily_count
        )
    updated = await ctx.services.cards.set_limits(ctx.account, card_id, wanted)
    ctx.answer(ctx.t("limits-saved-toast"))
    await limits_screen(ctx, [updated.id], notice=ctx.t("limits-saved"))


async def clear_limits(ctx: Ctx, args: list[str]) -> None:
    updated = await ctx.services.cards.set_limits(ctx.account, args[0], Limits())
    ctx.answer(ctx.t("limits-saved-toast"))
    await limits_screen(ctx, [updated.id], notice=ctx.t("limits-cleared"))


# -- airline payments --
async def airline(ctx: Ctx, args: list[str]) -> None:
    if len(args) < 2 or args[1] not in ("0", "1"):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    card = await ctx.services.cards.set_airline_payments(ctx.account, args[0], args[1] == "1")
    key = "airline-enabled" if card.airline_payments else "airline-disabled"
    ctx.answer(ctx.t(f"{key}-toast"))
    await cards.show_card(ctx, card, ctx.t(key, last4=card.last4))


# -- disputes --
async def dispute_pick(ctx: Ctx, args: list[str]) -> None:
    card_id, page = args[0], int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
    card = await ctx.services.cards.view(ctx.account, card_id)
    result = await ctx.services.cards.statement(ctx.account, card_id, page)
    purchases = [t for t in result.items if t.id in _disputable(result)]
    # Transaction ids can be long: the buttons carry an index into this list instead.
    ctx.set_state("dispute:pick", card=card.id, txns=[t.id for t in purchases])
    rows: Rows = [
        [
            ctx.choice(
                "btn-dispute-item",
                f"c.dsx:{i}",
                merchant=t.merchant or "?",
                amount=ctx.money(t.amount),
            )
        ]
        for i, t in enumerate(purchases)
    ]
    rows.append([ctx.choice("btn-cancel", f"c.st:{card.id}:{page}")])
    ctx.show(ctx.t("dispute-pick", last4=card.last4), rows)


async def dispute_ask_reason(ctx: Ctx, args: list[str]) -> None:
    txns = ctx.account.data.get("txns") or []
    if (
        ctx.state != "dispute:pick"
        or not args
        or not args[0].isdigit()
        or int(args[0]) >= len(txns)
    ):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    card = ctx.account.data["card"]
    ctx.set_state("dispute:reason", card=card, txn=txns[int(args[0])])
    ctx.show(ctx.t("dispute-ask-reason"), [[ctx.choice("btn-cancel", f"c.v:{card}")]])


async def dispute_reason(ctx: Ctx) -> None:
    data = ctx.account.data
    if ctx.state != "dispute:reason" or ctx.incoming.kind is not Kind.TEXT:
        ctx.send(
            ctx.t("dispute-type-reason"), [[ctx.choice("btn-cancel", f"c.v:{data.get('card')}")]]
        )
        return
    try:
        dispute = await ctx.services.cards.open_dispute(
            ctx.account, data["card"], data["txn"], ctx.incoming.text
        )
    except ServiceError as exc:
        if exc.code != "dispute-reason-length":
            raise
        ctx.send(ctx.t(exc.code), [[ctx.choice("btn-cancel", f"c.v:{data['card']}")]])
        return
    ctx.clear_state()
    card = await ctx.services.cards.view(ctx.account, data["card"])
    await cards.show_card(ctx, card, ctx.t("dispute-opened", reference=dispute.id[-8:].upper()))
