"""Support commands in the same bot. The role is checked in services/admin.py; here a person
without one gets the ordinary unknown-command answer and nothing more."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from handlers import menu
from handlers.context import Ctx
from handlers.events import SendPhoto
from handlers.routes import Router
from services.admin import Cardholder
from services.errors import ServiceError
from services.money import AmountError, Money, parse_amount

Command = Callable[[Ctx, list[str]], Awaitable[None]]


def register(router: Router) -> None:
    commands: dict[str, Command] = {
        "staff": staff_help,
        "find": find,
        "who": who,
        "txns": txns,
        "freeze": lambda ctx, args: set_frozen(ctx, args, True),
        "unfreeze": lambda ctx, args: set_frozen(ctx, args, False),
        "kyc": kyc_queue,
        "kycdocs": kyc_documents,
        "audit": audit_log,
        "kycok": lambda ctx, args: kyc_decide(ctx, args, True),
        "kycno": lambda ctx, args: kyc_decide(ctx, args, False),
        "credit": lambda ctx, args: adjust(ctx, args, 1),
        "debit": lambda ctx, args: adjust(ctx, args, -1),
        "approve": lambda ctx, args: decide(ctx, args, True),
        "refuse": lambda ctx, args: decide(ctx, args, False),
        "agent": agent,
        "today": today,
        "broadcast": broadcast,
        "health": health,
    }
    for name, command in commands.items():
        router.commands[name] = _guarded(command)


def _guarded(command: Command) -> Callable[[Ctx], Awaitable[None]]:
    async def run(ctx: Ctx) -> None:
        if await ctx.services.staff.role_of(ctx.incoming.user_id) is None:
            await menu.unknown_command(ctx)  # no hint that staff commands exist
            return
        args = ctx.incoming.text.split()
        try:
            await command(ctx, args)
        except ServiceError as exc:
            ctx.send(ctx.error_text(exc))

    return run


def _actor(ctx: Ctx) -> int:
    return ctx.incoming.user_id


def _usage(ctx: Ctx, key: str) -> None:
    ctx.send(ctx.t("admin-usage", usage=ctx.t(f"admin-usage-{key}")))


def _cardholder(ctx: Ctx, person: Cardholder) -> str:
    cards = "\n".join(
        ctx.t(
            "admin-card-line",
            id=c.id[:8],
            last4=c.last4,
            brand=c.brand.title(),
            status=c.status,
            balance=ctx.money(c.balance),
            provider=c.provider,
        )
        for c in person.cards
    ) or ctx.t("admin-no-cards")
    return ctx.t(
        "admin-cardholder",
        id=person.user_id[:8],
        telegram=person.telegram_id,
        name=person.name,
        phone=person.phone,
        birth=person.birth_date,
        country=person.country,
        document=person.id_document,
        kyc=person.kyc_status,
        wallet=ctx.money(person.wallet),
        cards=cards,
    )


async def staff_help(ctx: Ctx, _args: list[str]) -> None:
    role = await ctx.services.staff.role_of(_actor(ctx))
    ctx.send(ctx.t("admin-help", role=str(role)))


async def find(ctx: Ctx, args: list[str]) -> None:
    if not args:
        return _usage(ctx, "find")
    people = await ctx.services.admin.find(_actor(ctx), " ".join(args))
    ctx.send("\n\n".join(_cardholder(ctx, p) for p in people))


async def who(ctx: Ctx, args: list[str]) -> None:
    if len(args) != 1:
        return _usage(ctx, "who")
    ctx.send(_cardholder(ctx, await ctx.services.admin.cardholder(_actor(ctx), args[0])))


async def txns(ctx: Ctx, args: list[str]) -> None:
    if not args or (len(args) == 2 and not args[1].isdigit()) or len(args) > 2:
        return _usage(ctx, "txns")
    page = int(args[1]) - 1 if len(args) == 2 else 0
    card, statement = await ctx.services.admin.transactions(_actor(ctx), args[0], max(page, 0))
    lines = [ctx.t("admin-txns-title", last4=card.last4, page=page + 1)]
    for item in statement.items:
        lines.append(
            ctx.t(
                "admin-txn-line",
                when=item.created_at.strftime("%Y-%m-%d %H:%M"),
                kind=item.kind,
                status=item.status,
                amount=ctx.money(item.amount),
                merchant=item.merchant or "",
            )
        )
    if not statement.items:
        lines.append(ctx.t("statement-empty"))
    ctx.send("\n".join(lines))


async def set_frozen(ctx: Ctx, args: list[str], frozen: bool) -> None:
    if len(args) < 2:
        return _usage(ctx, "freeze" if frozen else "unfreeze")
    card = await ctx.services.admin.set_frozen(_actor(ctx), args[0], frozen, " ".join(args[1:]))
    key = "admin-frozen" if frozen else "admin-unfrozen"
    ctx.send(ctx.t(key, last4=card.last4, status=card.status))


async def kyc_queue(ctx: Ctx, _args: list[str]) -> None:
    people = await ctx.services.admin.kyc_queue(_actor(ctx))
    if not people:
        ctx.send(ctx.t("admin-kyc-empty"))
        return
    ctx.send(
        ctx.t("admin-kyc-title", count=len(people))
        + "\n\n"
        + "\n\n".join(_cardholder(ctx, p) for p in people)
    )


async def kyc_documents(ctx: Ctx, args: list[str]) -> None:
    """The ID photo and selfie, as protected photos (they cannot be forwarded or saved)."""
    if len(args) != 1:
        return _usage(ctx, "kycdocs")
    id_photo, selfie = await ctx.services.admin.kyc_documents(_actor(ctx), args[0])
    for key, image in (("admin-kyc-id-photo", id_photo), ("admin-kyc-selfie", selfie)):
        ctx.attach(SendPhoto(ctx.incoming.chat_id, image, ctx.t(key), protect_content=True))


async def audit_log(ctx: Ctx, args: list[str]) -> None:
    if len(args) > 1 or (args and not args[0].isdigit()):
        return _usage(ctx, "audit")
    entries = await ctx.services.admin.audit_tail(_actor(ctx), int(args[0]) if args else 20)
    lines = [ctx.t("admin-audit-title")]
    for entry in entries:
        lines.append(
            ctx.t(
                "admin-audit-line",
                seq=entry.seq,
                when=entry.at.strftime("%Y-%m-%d %H:%M"),
                actor=entry.actor,
                role=entry.role,
                action=entry.action,
                subject=(entry.subject or "")[:12],
                mark="" if entry.intact else " ⚠️",
            )
        )
    ctx.send("\n".join(lines))


async def kyc_decide(ctx: Ctx, args: list[str], approve: bool) -> None:
    if not args or (not approve and len(args) < 2):
        return _usage(ctx, "kycok" if approve else "kycno")
    status = await ctx.services.admin.kyc_decide(_actor(ctx), args[0], approve, " ".join(args[1:]))
    ctx.send(ctx.t("admin-kyc-decided", status=status))


async def adjust(ctx: Ctx, args: list[str], sign: int) -> None:
    if len(args) < 3:
        return _usage(ctx, "credit" if sign > 0 else "debit")
    try:
        amount = parse_amount(args[1], ctx.services.settings.currency)
    except AmountError as exc:
        ctx.send(ctx.t(exc.code, **exc.args_for_text))
        return
    outcome, ref = await ctx.services.admin.adjust(
        _actor(ctx), args[0], Money(sign * amount.minor, amount.currency), " ".join(args[2:])
    )
    if outcome == "waiting":
        ctx.send(ctx.t("admin-adjust-waiting", amount=ctx.money(amount), id=ref))
    else:
        ctx.send(
            ctx.t(
                "admin-adjust-done",
                amount=ctx.money(amount),
                direction="credit" if sign > 0 else "debit",
            )
        )


async def decide(ctx: Ctx, args: list[str], approve: bool) -> None:
    if len(args) != 1:
        return _usage(ctx, "approve" if approve else "refuse")
    row = await ctx.services.admin.decide_approval(_actor(ctx), args[0], approve)
    ctx.send(ctx.t("admin-approval-decided", id=row.id, status=row.status))


async def agent(ctx: Ctx, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("add", "remove") or not args[1].isdigit():
        return _usage(ctx, "agent")
    staff = ctx.services.staff
    telegram_id = int(args[1])
    if args[0] == "add":
        changed = await staff.add_agent(_actor(ctx), telegram_id)
    else:
        changed = await staff.remove_agent(_actor(ctx), telegram_id)
    await ctx.services.admin.audit.record(
        f"tg:{_actor(ctx)}", "admin", f"agent.{args[0]}", f"tg:{telegram_id}", {}
    )
    ctx.send(ctx.t(f"admin-agent-{args[0]}{'' if changed else '-unchanged'}", id=telegram_id))


async def today(ctx: Ctx, _args: list[str]) -> None:
    figures = await ctx.services.admin.figures_today(_actor(ctx))
    ctx.send(
        ctx.t(
            "admin-today",
            signups=figures.signups,
            kyc=figures.kyc_decisions,
            cards=figures.cards_issued,
            volume=ctx.money(figures.volume),
        )
    )


async def broadcast(ctx: Ctx, _args: list[str]) -> None:
    message = ctx.incoming.text.strip()
    if not message:
        return _usage(ctx, "broadcast")
    # The admin's own words go out as plain text: escape them for Telegram HTML.
    count = await ctx.services.admin.broadcast(_actor(ctx), html.escape(message, quote=False))
    ctx.send(ctx.t("admin-broadcast-queued", count=count))


async def health(ctx: Ctx, _args: list[str]) -> None:
    report = await ctx.services.admin.health(_actor(ctx))
    lines = [ctx.t("admin-health-title")]
    lines += [
        f"• {html.escape(name)}: <b>{html.escape(state)}</b>" for name, state in report.items()
    ]
    ctx.send("\n".join(lines))
