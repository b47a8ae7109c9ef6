"""Welcome, main menu, help, cancel, and what to say when the bot did not understand."""

from __future__ import annotations

import html

from handlers.context import Ctx, Rows
from handlers.events import Kind
from handlers.routes import Router


def register(router: Router) -> None:
    router.commands["start"] = start
    router.commands["menu"] = show_menu
    router.commands["help"] = help_
    router.commands["cancel"] = cancel
    router.unknown_command = unknown_command
    router.stale_input = _reset_to_menu
    router.buttons["m"] = lambda ctx, _args: show_menu(ctx)
    router.buttons["h"] = lambda ctx, _args: help_(ctx)
    router.buttons["x"] = lambda ctx, _args: cancel(ctx)


def back_rows(ctx: Ctx) -> Rows:
    return [[ctx.choice("btn-menu", "m")]]


async def main_menu_rows(ctx: Ctx) -> tuple[str, Rows]:
    from handlers import onboarding  # the menu depends on where KYC stands

    status = (await ctx.services.onboarding.state(ctx.account)).status
    rows: Rows = []
    if status == "approved":
        balance = await ctx.services.wallet.balance(ctx.account.id)
        text = ctx.t(
            "menu-verified", brand=ctx.services.settings.brand_name, wallet=ctx.money(balance)
        )
        rows.append([ctx.choice("btn-my-cards", "c.list"), ctx.choice("btn-new-card", "c.new")])
        rows.append([ctx.choice("btn-wallet", "w")])
    else:
        text = ctx.t(f"menu-kyc-{status}", brand=ctx.services.settings.brand_name)
        rows.extend(onboarding.menu_rows(ctx, status))
    rows.append([ctx.choice("btn-help", "h"), ctx.choice("btn-settings", "s")])
    return text, rows


async def show_menu(ctx: Ctx) -> None:
    ctx.clear_state()
    text, rows = await main_menu_rows(ctx)
    ctx.show(text, rows)


async def start(ctx: Ctx) -> None:
    from handlers import onboarding

    if ctx.state.startswith("kyc:"):  # came back mid-way: pick up where they left off
        ctx.send(ctx.t("welcome-back"))
        await onboarding.resume(ctx)
        return
    if ctx.account.is_new:
        custom = ctx.services.settings.welcome_text  # the brand's own words, as plain text
        ctx.send(
            html.escape(custom)
            if custom
            else ctx.t("welcome", brand=ctx.services.settings.brand_name)
        )
    await show_menu(ctx)


async def help_(ctx: Ctx) -> None:
    settings = ctx.services.settings
    text = ctx.t("help", support=settings.support_contact, ttl=settings.reveal_ttl_seconds)
    if settings.terms_url and settings.privacy_url:
        text += "\n" + ctx.t("help-links", terms=settings.terms_url, privacy=settings.privacy_url)
    ctx.show(text, back_rows(ctx))


async def cancel(ctx: Ctx) -> None:
    had_step = bool(ctx.state)
    ctx.clear_state()
    if had_step:
        ctx.answer(ctx.t("cancelled-toast"))
        if ctx.incoming.kind is not Kind.BUTTON:
            ctx.send(ctx.t("cancelled"))
    text, rows = await main_menu_rows(ctx)
    ctx.show(text, rows)


# No keyboard on these two: a new keyboard would make the screen above stale, and the person
# is told to use its buttons.
async def unknown_command(ctx: Ctx) -> None:
    ctx.send(ctx.t("unknown-command"))


async def not_understood(ctx: Ctx) -> None:
    ctx.send(ctx.t("not-understood"))


async def _reset_to_menu(ctx: Ctx) -> None:
    await show_menu(ctx)
