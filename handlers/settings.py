"""Settings: the language the bot speaks with this person, changed in a tap and applied at once.

A new person starts in the language of their Telegram app (services/users.py); here they pick
another. The choice lives on the account and is saved with it, so alerts and every later screen
follow it.
"""

from __future__ import annotations

from handlers import menu
from handlers.context import Ctx, Rows
from handlers.routes import Router
from services.users import SUPPORTED_LANGUAGES


def register(router: Router) -> None:
    router.commands["settings"] = show
    router.commands["language"] = show
    router.buttons["s"] = lambda ctx, _args: show(ctx)
    router.buttons["s.lang"] = choose_language


def offered(ctx: Ctx) -> list[str]:
    """Languages the person can pick: supported, and with a catalogue to speak them."""
    offered = ctx.services.users.languages  # what this brand offers
    return [code for code in SUPPORTED_LANGUAGES if code in ctx.texts.languages and code in offered]


def language_name(ctx: Ctx, code: str) -> str:
    return ctx.t(f"language-name-{code}")


async def show(ctx: Ctx) -> None:
    ctx.clear_state()
    current = ctx.account.language
    row = [
        ctx.choice(
            "btn-language-current" if code == current else "btn-language",
            f"s.lang:{code}",
            name=language_name(ctx, code),
        )
        for code in offered(ctx)
    ]
    rows: Rows = [row, [ctx.choice("btn-menu", "m")]]
    ctx.show(ctx.t("settings-title", name=language_name(ctx, current)), rows)


async def choose_language(ctx: Ctx, args: list[str]) -> None:
    code = args[0] if args else ""
    if code not in offered(ctx):
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    ctx.account.language = code  # saved with the account at the end of this update
    ctx.clear_state()
    # From here every text is in the new language: the toast, the notice and the menu.
    ctx.answer(ctx.t("settings-language-changed-toast"))
    notice = ctx.t("settings-language-changed", name=language_name(ctx, code))
    text, rows = await menu.main_menu_rows(ctx)
    ctx.show(f"{notice}\n\n{text}", rows)
