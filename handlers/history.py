"""A card's reveal history: when its details were shown and by which action ("You, via Show card
details"), and which support actions touched the card, newest first, from the audit log.

Only the card's owner reaches it (the card is looked up through the cardholder's own cards), and
only entries whose subject is that card are listed.
"""

from __future__ import annotations

from babel.dates import format_datetime

from handlers.context import Ctx, Rows
from handlers.routes import Router
from services.audit import ADMIN, AGENT, CARDHOLDER, SYSTEM, AuditRecord, actor_of

PAGE_SIZE = 8
ICONS = {CARDHOLDER: "👁", ADMIN: "🛡", AGENT: "🛡", SYSTEM: "⚙️"}
# The action that did it, as the cardholder would name it; anything else reads as a support action.
VIA = {
    "reveal": "audit-via-reveal",
    "card.freeze": "audit-via-card-freeze",
    "card.unfreeze": "audit-via-card-unfreeze",
    "card.terminate": "audit-via-card-terminate",
    "card.transactions": "audit-via-card-transactions",
}
WHO = {ADMIN: "audit-who-admin", AGENT: "audit-who-agent", SYSTEM: "audit-who-system"}


def register(router: Router) -> None:
    router.buttons["c.rh"] = reveal_history


async def reveal_history(ctx: Ctx, args: list[str]) -> None:
    card_id = args[0] if args else ""
    page = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
    card = await ctx.services.cards.view(ctx.account, card_id)  # card-not-found if not theirs
    result = await ctx.services.audit.history(
        card.id, staff=True, limit=PAGE_SIZE, offset=page * PAGE_SIZE
    )
    lines = [ctx.t("audit-history-title", last4=card.last4)]
    if not result.items:
        lines.append(ctx.t("audit-history-empty" if page == 0 else "audit-history-no-more"))
    lines.extend(_line(ctx, item) for item in result.items)
    nav = []
    if page > 0:
        nav.append(ctx.choice("btn-newer", f"c.rh:{card.id}:{page - 1}"))
    if result.has_more:
        nav.append(ctx.choice("btn-older", f"c.rh:{card.id}:{page + 1}"))
    rows: Rows = [nav] if nav else []
    rows.append([ctx.choice("btn-back-card", f"c.v:{card.id}")])
    ctx.show("\n".join(lines), rows)


def _line(ctx: Ctx, item: AuditRecord) -> str:
    when = format_datetime(item.at, "d MMM yyyy HH:mm", locale=ctx.account.language)
    if item.role == CARDHOLDER and item.actor == actor_of(ctx.account.telegram_id):
        who = ctx.t("audit-who-you")
    else:
        who = ctx.t(WHO.get(item.role, "audit-who-other"))
    via_key = VIA.get(item.action)
    via = ctx.t(via_key) if via_key else ctx.t("audit-via-other", action=item.action)
    line = ctx.t("audit-history-line", icon=ICONS.get(item.role, "•"), when=when, who=who, via=via)
    if not item.intact:
        line = f"{line} {ctx.t('audit-history-unverified')}"
    return line
