"""Asking for a new card: what kind (from the issuers' own offers), which wallet, how much to
load, then the quote with its fee (confirmed in handlers/cards.py)."""

from __future__ import annotations

from handlers import cards
from handlers.context import Ctx, Rows
from handlers.routes import Router
from services.cards import WALLET, CardOption
from services.errors import ServiceError
from services.money import Money
from services.providers.base import Capability

QUICK_INITIAL = (1_000, 2_500, 5_000)


def register(router: Router) -> None:
    router.buttons["c.new"] = new_card
    router.buttons["c.opt"] = choose_option
    router.buttons["c.wal"] = choose_wallet
    router.buttons["c.init"] = initial_button


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
        quote = await ctx.services.cards.quote_issue(ctx.account, option.key, Money(0), wallet)
        await cards.show_quote(ctx, quote)
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
    data = ctx.account.data
    if ctx.state != "amount:issue" or not args or not args[0].isdigit():
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    quote = await ctx.services.cards.quote_issue(
        ctx.account, data["option"], Money(int(args[0])), data.get("wallet")
    )
    await cards.show_quote(ctx, quote)
