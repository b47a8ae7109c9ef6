"""KYC onboarding in the chat: one question at a time, resumable, with a summary to confirm."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from babel.dates import format_date

from handlers import menu
from handlers.context import Choice, Ctx, Rows
from handlers.events import Kind
from handlers.routes import Router
from services import kyc_rules
from services.errors import ServiceError

FIELDS = kyc_rules.FIELDS
QUICK_COUNTRIES = ("NG", "GH", "KE", "CM", "CI", "SN")


def register(router: Router) -> None:
    router.buttons["k.go"] = lambda ctx, _args: begin(ctx)
    router.buttons["k.back"] = lambda ctx, _args: back(ctx)
    router.buttons["k.ans"] = answer_button
    router.buttons["k.edit"] = edit
    router.buttons["k.sum"] = lambda ctx, _args: summary(ctx)
    router.buttons["k.submit"] = lambda ctx, _args: submit(ctx)
    router.buttons["k.status"] = lambda ctx, _args: status(ctx)
    router.buttons["k.fix"] = lambda ctx, _args: fix(ctx)
    router.inputs["kyc"] = on_input


def menu_rows(ctx: Ctx, status: str) -> Rows:
    if status == "pending":
        return [[ctx.choice("btn-kyc-status", "k.status")]]
    if status == "rejected":
        return [[ctx.choice("btn-kyc-fix", "k.fix")]]
    key = "btn-kyc-continue" if status == "draft" else "btn-kyc-start"
    return [[ctx.choice(key, "k.go")]]


async def begin(ctx: Ctx) -> None:
    status = (await ctx.services.onboarding.state(ctx.account)).status
    if status in ("pending", "approved"):
        await menu.show_menu(ctx)
        return
    await resume(ctx)


async def resume(ctx: Ctx) -> None:
    """Ask the question they stopped at, or the first unanswered one, or show the summary."""
    current = ctx.state.partition(":")[2]
    if current in FIELDS or current == "summary":
        field = current
    else:
        field = await ctx.services.onboarding.next_missing(ctx.account) or "summary"
    if field == "summary":
        await summary(ctx)
    else:
        await ask(ctx, field, editing=bool(ctx.account.data.get("editing")))


async def ask(ctx: Ctx, field: str, *, editing: bool = False, problem: str = "") -> None:
    answers = await ctx.services.onboarding.answers(ctx.account)
    ctx.set_state(f"kyc:{field}", editing=True if editing else None)
    step = FIELDS.index(field) + 1
    lines = [problem] if problem else []
    lines.append(ctx.t("kyc-step", step=step, total=len(FIELDS)))
    lines.append(ctx.t(f"kyc-ask-{field}", **_ask_args(ctx, field, answers)))
    rows: Rows = []
    if field == "country":
        quick = [Choice(kyc_rules.country_name(code), f"k.ans:{code}") for code in QUICK_COUNTRIES]
        rows.extend([quick[i : i + 2] for i in range(0, len(quick), 2)])
    if field == "id_type":
        for id_type in kyc_rules.id_types_for(answers.get("country", "")):
            rows.append([ctx.choice(f"id-type-{id_type.code}", f"k.ans:{id_type.code}")])
    rows.append([ctx.choice("btn-back", "k.back"), ctx.choice("btn-cancel", "x")])
    text = "\n\n".join(lines)
    if problem or ctx.incoming.kind is not Kind.BUTTON:
        ctx.send(text, rows)
    else:
        ctx.show(text, rows)
    if field == "phone":
        ctx.ask_contact(ctx.t("kyc-phone-share-hint"), ctx.t("btn-share-phone"))


def _ask_args(ctx: Ctx, field: str, answers: dict[str, Any]) -> dict[str, Any]:
    if field == "id_number":
        try:
            id_type = kyc_rules.id_type(answers.get("country", ""), answers.get("id_type", ""))
        except ServiceError:
            return {"kind": "", "example": ""}
        return {"kind": ctx.t(f"id-type-{id_type.code}"), "example": id_type.example}
    if field == "phone":
        return {"country": kyc_rules.country_name(answers.get("country", ""))}
    return {}


async def on_input(ctx: Ctx) -> None:
    field = ctx.state.partition(":")[2]
    if field == "summary":
        await summary(ctx, problem=ctx.t("kyc-use-buttons"))
        return
    if field not in FIELDS:
        await menu.show_menu(ctx)
        return
    incoming = ctx.incoming
    raw: str | bytes | None
    if incoming.kind is Kind.PHOTO:
        raw = incoming.photo
    elif incoming.kind is Kind.CONTACT:
        if field != "phone":
            raw = None
        elif incoming.contact_user_id not in (None, incoming.user_id):
            await ask(ctx, field, editing=_editing(ctx), problem=ctx.t("kyc-phone-not-own"))
            return
        else:
            raw = kyc_rules.contact_number(incoming.contact_phone)
    elif incoming.kind is Kind.TEXT:
        raw = incoming.text
    else:
        raw = None
    await _store(ctx, field, raw)


async def answer_button(ctx: Ctx, args: list[str]) -> None:
    field = ctx.state.partition(":")[2]
    if field not in ("country", "id_type") or not args:
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    await _store(ctx, field, args[0])


async def _store(ctx: Ctx, field: str, raw: str | bytes | None) -> None:
    editing = _editing(ctx)
    try:
        if raw is None:
            expected = (
                "kyc-photo-expected" if field in kyc_rules.PHOTO_FIELDS else "kyc-text-expected"
            )
            raise ServiceError(expected)
        await ctx.services.onboarding.answer(ctx.account, field, raw)
    except ServiceError as exc:
        if exc.code == "kyc-locked":
            raise
        await ask(ctx, field, editing=editing, problem=ctx.t(exc.code, **exc.args_for_text))
        return
    if field == "country" and editing:
        # a new country may need a new ID type: walk on through the ID questions
        missing = await ctx.services.onboarding.next_missing(ctx.account)
        if missing:
            await ask(ctx, missing, editing=True)
            return
    if field == "id_type" and editing:
        missing = await ctx.services.onboarding.next_missing(ctx.account)
        if missing:
            await ask(ctx, missing, editing=True)
            return
    following = None if editing else await ctx.services.onboarding.next_missing(ctx.account)
    if following:
        await ask(ctx, following)
    else:
        await summary(ctx)


def _editing(ctx: Ctx) -> bool:
    return bool(ctx.account.data.get("editing"))


async def back(ctx: Ctx) -> None:
    field = ctx.state.partition(":")[2]
    if _editing(ctx) or field not in FIELDS:
        await summary(ctx)
        return
    index = FIELDS.index(field)
    if index == 0:
        await menu.show_menu(ctx)
    else:
        await ask(ctx, FIELDS[index - 1])


async def summary(ctx: Ctx, problem: str = "") -> None:
    answers = await ctx.services.onboarding.answers(ctx.account)
    missing = await ctx.services.onboarding.next_missing(ctx.account)
    if missing:
        await ask(ctx, missing)
        return
    ctx.set_state("kyc:summary")
    lines = [problem] if problem else []
    lines.append(ctx.t("kyc-summary-title"))
    for field in FIELDS:
        lines.append(f"{ctx.t(f'kyc-field-{field}')}: <b>{_shown(ctx, field, answers)}</b>")
    lines.append(ctx.t("kyc-summary-footer"))
    rows: Rows = [
        [ctx.choice("btn-kyc-submit", "k.submit")],
        [ctx.choice("btn-kyc-edit", "k.edit"), ctx.choice("btn-cancel", "x")],
    ]
    if problem:
        ctx.send("\n".join(lines), rows)
    else:
        ctx.show("\n".join(lines), rows)


def _shown(ctx: Ctx, field: str, answers: dict[str, Any]) -> str:
    value: str = answers[field] if field not in kyc_rules.PHOTO_FIELDS else ""
    if field in kyc_rules.PHOTO_FIELDS:
        return ctx.t("kyc-photo-received")
    if field == "country":
        return html.escape(kyc_rules.country_name(value))
    if field == "id_type":
        return ctx.t(f"id-type-{value}")
    if field == "birth_date":
        return format_date(date.fromisoformat(value), "long", locale=ctx.account.language)
    if field == "id_number":
        return "•" * max(len(value) - 4, 0) + html.escape(value[-4:])
    return html.escape(str(value))


async def edit(ctx: Ctx, args: list[str]) -> None:
    if args and args[0] in FIELDS:
        if ctx.account.kyc_status in ("pending", "approved"):
            raise ServiceError("kyc-locked")
        await ask(ctx, args[0], editing=True)
        return
    choices = [ctx.choice(f"kyc-field-{field}", f"k.edit:{field}") for field in FIELDS]
    rows: Rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    rows.append([ctx.choice("btn-back", "k.sum")])
    ctx.show(ctx.t("kyc-edit-which"), rows)


async def submit(ctx: Ctx) -> None:
    if ctx.state != "kyc:summary":
        ctx.answer(ctx.t("button-stale"), alert=True)
        return
    ctx.answer(ctx.t("kyc-submitting"))
    result = await ctx.services.onboarding.submit(ctx.account)
    ctx.clear_state()
    await _status_screen(ctx, result.status, result.reason)


async def status(ctx: Ctx) -> None:
    result = await ctx.services.onboarding.state(ctx.account)
    if result.status == "pending":
        ctx.answer(ctx.t("kyc-still-pending"))
    await _status_screen(ctx, result.status, result.reason)


async def _status_screen(ctx: Ctx, status: str, reason: str | None) -> None:
    if status == "approved":
        rows = [[ctx.choice("btn-first-card", "c.new")], [ctx.choice("btn-menu", "m")]]
        ctx.show(ctx.t("kyc-approved"), rows)
    elif status == "rejected":
        reason_key = f"kyc-reason-{reason}"
        reason_text = ctx.t(reason_key) if ctx.texts.has(reason_key) else ctx.t("kyc-reason-other")
        rows = [[ctx.choice("btn-kyc-fix", "k.fix")], [ctx.choice("btn-menu", "m")]]
        ctx.show(ctx.t("kyc-rejected", reason=reason_text), rows)
    elif status == "pending":
        rows = [[ctx.choice("btn-kyc-status", "k.status")], [ctx.choice("btn-menu", "m")]]
        ctx.show(ctx.t("kyc-pending"), rows)
    else:
        await resume(ctx)


async def fix(ctx: Ctx) -> None:
    await ctx.services.onboarding.reopen(ctx.account)
    await summary(ctx)
