"""The wallet: its balance, and adding money (a simulated deposit on the sandbox; elsewhere the
business's payment system credits it through the signed deposit webhook)."""

from __future__ import annotations

from handlers.context import Ctx, Rows
from handlers.routes import Router
from services.money import Money

QUICK_DEPOSITS = (5_000, 10_000, 50_000)


def register(router: Router) -> None:
    router.buttons["w"] = lambda ctx, _args: show(ctx)
    router.buttons["w.dep"] = deposit_button


def _sandbox(ctx: Ctx) -> bool:
    return "sandbox" in ctx.services.router.providers


async def show(ctx: Ctx, notice: str = "") -> None:
    balance = await ctx.services.wallet.balance(ctx.account.id)
    lines = [notice] if notice else []
    lines.append(ctx.t("wallet-title", balance=ctx.money(balance)))
    rows: Rows = []
    if _sandbox(ctx):
        ctx.set_state("amount:deposit", screen=ctx.account.screen_seq + 1)
        lines.append(ctx.t("wallet-sandbox-deposit"))
        rows.append(
            [
                ctx.choice("btn-amount", f"w.dep:{m}", amount=ctx.money(Money(m)))
                for m in QUICK_DEPOSITS
            ]
        )
    else:
        ctx.clear_state()
        lines.append(
            ctx.t(
                "wallet-how-to-deposit",
                reference=ctx.account.id[:8].upper(),
                support=ctx.services.settings.support_contact,
            )
        )
    rows.append([ctx.choice("btn-my-cards", "c.list"), ctx.choice("btn-menu", "m")])
    ctx.show("\n\n".join(lines), rows)


async def deposit_button(ctx: Ctx, args: list[str]) -> None:
    if not _sandbox(ctx) or not args or not args[0].isdigit():
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    await deposit(ctx, Money(int(args[0])))


async def deposit(ctx: Ctx, amount: Money) -> None:
    """A sandbox deposit, once per screen: pressing twice (or a repeated update) adds once."""
    if not _sandbox(ctx):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    ctx.services.cards.check_amount(amount, ctx.services.settings.max_topup_minor)
    reference = f"sandbox:{ctx.account.id}:{ctx.account.data.get('screen', ctx.account.screen_seq)}"
    added = await ctx.services.wallet.deposit(ctx.account.id, amount, reference, "sandbox deposit")
    ctx.answer(ctx.t("wallet-deposited-toast" if added else "already-done"))
    await show(ctx, ctx.t("wallet-deposited", amount=ctx.money(amount)) if added else "")
