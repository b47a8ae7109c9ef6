"""Asking for a new card: what kind (from the issuers' own offers), which wallet, how much to
load, then the quote with its fee (confirmed in handlers/cards.py)."""

from __future__ import annotations

from handlers import cards
from handlers.context import Ctx, Rows
from handlers.events import Kind
from handlers.routes import Router
from services.cards import WALLET, CardOption
from services.errors import ServiceError
from services.money import Money
from services.providers.base import Capability, Limits

QUICK_INITIAL = (1_000, 2_500, 5_000)


def register(router: Router) -> None:
    router.buttons["c.new"] = new_card
    router.buttons["c.opt"] = choose_option
    router.buttons["c.wal"] = choose_wallet
    router.buttons["c.init"] = initial_button
    router.buttons["c.ilim"] = limits_choice
    router.buttons["c.ilimq"] = limits_quick
    router.inputs["count"] = on_count


def option_label(ctx: Ctx, option: CardOption, wallet: str | None = None) -> str:
    """Plain text: fits a button label and, escaped by the catalogue, a message."""
    brand = ctx.t(f"brand-{option.brand}")
    label = ctx.texts.get(
        ctx.account.language, f"option-{option.kind}", html_args=False, brand=brand
    )
    if wallet:
        label += f" · {ctx.t(f'wallet-{wallet}')}"
    return label


async def new_card(ctx: Ctx, _args: list[str]) -> None:
    if (await ctx.services.onboarding.state(ctx.account)).status != "approved":
        raise ServiceError("kyc-required")
    options = await ctx.services.cards.card_options(ctx.account)
    if not options:
        raise ServiceError("card-none-offered")
    if len(options) == 1:
        await _after_option(ctx, options[0])
        return
    rows: Rows = [
        [ctx.choice("btn-option", f"c.opt:{o.key}", label=option_label(ctx, o))] for o in options
    ]
    rows.append([ctx.choice("btn-cancel", "x")])
    ctx.show(ctx.t("issue-choose-option"), rows)


async def _option(ctx: Ctx, key: str) -> CardOption:
    for option in await ctx.services.cards.card_options(ctx.account):
        if option.key == key:
            return option
    raise ServiceError("card-brand-unknown")


async def choose_option(ctx: Ctx, args: list[str]) -> None:
    await _after_option(ctx, await _option(ctx, args[0]))


async def _after_option(ctx: Ctx, option: CardOption) -> None:
    if option.kind == WALLET and len(option.wallets) > 1:
        rows: Rows = [
            [ctx.choice(f"wallet-{w}", f"c.wal:{option.key}:{w}")] for w in option.wallets
        ]
        rows.append([ctx.choice("btn-back", "c.new")])
        ctx.show(ctx.t("issue-choose-wallet"), rows)
        return
    wallet = option.wallets[0] if option.kind == WALLET else None
    await _ask_initial(ctx, option, wallet)


async def choose_wallet(ctx: Ctx, args: list[str]) -> None:
    option = await _option(ctx, args[0])
    if len(args) < 2 or args[1] not in option.wallets:
        raise ServiceError("card-wallet-unknown")
    await _ask_initial(ctx, option, args[1])


async def _ask_initial(ctx: Ctx, option: CardOption, wallet: str | None) -> None:
    if not ctx.services.cards.can(Capability.INITIAL_AMOUNT):
        ctx.set_state("amount:issue", option=option.key, wallet=wallet)
        await after_initial(ctx, Money(0))
        return
    ctx.set_state("amount:issue", option=option.key, wallet=wallet)
    must_load = await ctx.services.cards.requires_initial(ctx.account, option)
    rows: Rows = [] if must_load else [[ctx.choice("btn-no-initial", "c.init:0")]]
    rows.append(
        [ctx.choice("btn-amount", f"c.init:{m}", amount=ctx.money(Money(m))) for m in QUICK_INITIAL]
    )
    rows.append([ctx.choice("btn-cancel", "x")])
    key = "issue-ask-initial-required" if must_load else "issue-ask-initial"
    ctx.show(ctx.t(key, brand=option_label(ctx, option, wallet)), rows)


async def initial_button(ctx: Ctx, args: list[str]) -> None:
    if ctx.state != "amount:issue" or not args or not args[0].isdigit():
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    await after_initial(ctx, Money(int(args[0])))


async def after_initial(ctx: Ctx, initial: Money) -> None:
    """The load is known: ask for limits where they can only be set now, else quote."""
    data = ctx.account.data
    option = await _option(ctx, data["option"])
    await ctx.services.cards.check_initial(ctx.account, option, initial)
    if not await ctx.services.cards.limits_at_issue(ctx.account, option):
        await _quote(ctx, option, data.get("wallet"), initial, Limits())
        return
    ctx.set_state(
        "issue:limits", option=option.key, wallet=data.get("wallet"), initial=initial.minor
    )
    rows: Rows = [
        [ctx.choice("btn-issue-limits-set", "c.ilim:set")],
        [ctx.choice("btn-issue-limits-none", "c.ilim:none")],
        [ctx.choice("btn-cancel", "x")],
    ]
    ctx.show(ctx.t("issue-limits-ask"), rows)


# Limits at issue: daily amount → per-purchase amount → purchases per day, each skippable.
STEPS = ("ilimit_daily", "ilimit_txn", "ilimit_count")


async def limits_choice(ctx: Ctx, args: list[str]) -> None:
    step = ctx.state.partition(":")[2]
    choice = args[0] if args else ""
    if ctx.state == "issue:limits" and choice == "none":
        await _quote_from_state(ctx)
    elif ctx.state == "issue:limits" and choice == "set":
        await _ask_step(ctx, STEPS[0])
    elif step in STEPS and choice == "skip":
        await _next_step(ctx, step)
    else:
        ctx.answer(ctx.t("button-stale"), alert=True)


async def limits_quick(ctx: Ctx, args: list[str]) -> None:
    step = ctx.state.partition(":")[2]
    if step not in STEPS or not args or not args[0].isdigit():
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    value = int(args[0])
    await limit_step(ctx, step, Money(value) if step != "ilimit_count" else value)


async def limit_step(ctx: Ctx, step: str, value: Money | int) -> None:
    """Keep one answer (typed amounts arrive through handlers/cards.py) and go on."""
    data = dict(ctx.account.data)
    data[step] = value.minor if isinstance(value, Money) else value
    _check_partial(ctx, data)
    ctx.account.data = data
    await _next_step(ctx, step)


def _check_partial(ctx: Ctx, data: dict[str, object]) -> None:
    limits = _limits(data)
    ctx.services.cards.check_limits(limits)


async def on_count(ctx: Ctx) -> None:
    text = ctx.incoming.text.strip() if ctx.incoming.kind is Kind.TEXT else ""
    if not text.isdigit():
        ctx.send(ctx.t("limit-count-type-it"), _skip_rows(ctx))
        return
    try:
        await limit_step(ctx, "ilimit_count", int(text))
    except ServiceError as exc:
        ctx.send(ctx.t(exc.code), _skip_rows(ctx))


def _skip_rows(ctx: Ctx) -> Rows:
    return [[ctx.choice("btn-skip", "c.ilim:skip")], [ctx.choice("btn-cancel", "x")]]


async def _ask_step(ctx: Ctx, step: str) -> None:
    data = {k: v for k, v in ctx.account.data.items()}
    prefix = "count" if step == "ilimit_count" else "amount"
    ctx.set_state(f"{prefix}:{step}", **data)
    if step == "ilimit_count":
        quick = [ctx.choice("btn-count", f"c.ilimq:{n}", count=n) for n in (3, 5, 10)]
    else:
        quick = [
            ctx.choice("btn-amount", f"c.ilimq:{m}", amount=ctx.money(Money(m)))
            for m in (5_000, 10_000, 25_000)
        ]
    rows: Rows = [quick]
    rows.extend(_skip_rows(ctx))
    ctx.show(ctx.t(f"issue-{step.replace('_', '-')}-ask"), rows)


async def _next_step(ctx: Ctx, step: str) -> None:
    following = STEPS.index(step) + 1
    if following < len(STEPS):
        await _ask_step(ctx, STEPS[following])
    else:
        await _quote_from_state(ctx)


def _limits(data: dict[str, object]) -> Limits:
    def money(key: str) -> Money | None:
        value = data.get(key)
        return Money(value) if isinstance(value, int) else None

    count = data.get("ilimit_count")
    return Limits(
        daily=money("ilimit_daily"),
        per_transaction=money("ilimit_txn"),
        daily_count=count if isinstance(count, int) else None,
    )


async def _quote_from_state(ctx: Ctx) -> None:
    data = ctx.account.data
    option = await _option(ctx, str(data["option"]))
    initial = data.get("initial")
    await _quote(
        ctx,
        option,
        data.get("wallet"),
        Money(initial if isinstance(initial, int) else 0),
        _limits(data),
    )


async def _quote(
    ctx: Ctx, option: CardOption, wallet: object, initial: Money, limits: Limits
) -> None:
    quote = await ctx.services.cards.quote_issue(
        ctx.account, option.key, initial, wallet if isinstance(wallet, str) else None, limits
    )
    await cards.show_quote(ctx, quote)
