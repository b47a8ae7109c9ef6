"""Alerts in the cardholder's words, with the button that fixes the problem, handed to the
outbound queue. Alert buttons carry screen 0: they stay valid whatever the chat shows since."""

from __future__ import annotations

from typing import Any, Protocol

from handlers.context import SEP
from handlers.events import Button, Keyboard
from handlers.texts import Texts
from services.alerts import Alert
from services.money import Money
from services.users import UserService

# Routes an alert button may carry (each checks ownership and state itself when pressed).
ALERT_ROUTES = frozenset({"c.v", "c.top", "c.unf", "c.lim", "c.new", "k.fix", "k.status", "w"})


class Queue(Protocol):
    async def enqueue(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard | None = None,
        dedupe_key: str | None = None,
    ) -> bool: ...


def _button(texts: Texts, language: str, key: str, route: str) -> Button:
    return Button(texts.get(language, key, html_args=False), f"0{SEP}{route}")


def render(texts: Texts, language: str, alert: Alert) -> tuple[str, Keyboard]:
    args: dict[str, Any] = {
        name: value.format(language) if isinstance(value, Money) else value
        for name, value in alert.args.items()
        if value is not None
    }
    if "kind" in args:  # an operation's kind, in words
        args["kind"] = texts.get(language, f"op-kind-{args['kind']}")
    card = alert.card_id
    kind = alert.kind
    row: list[Button] = []
    if kind == "decline":
        reason = str(alert.args.get("reason"))
        reason_key = f"decline-{reason}"
        why = texts.get(language, reason_key) if texts.has(reason_key) else reason
        text = texts.get(language, "alert-decline", **args, why=why)
        fixes = {
            "insufficient_funds": ("btn-topup", f"c.top:{card}"),
            "card_frozen": ("btn-unfreeze", f"c.unf:{card}"),
            "over_daily_limit": ("btn-limits", f"c.lim:{card}"),
            "over_transaction_limit": ("btn-limits", f"c.lim:{card}"),
        }
        fix = fixes.get(reason)
        if fix:
            row.append(_button(texts, language, *fix))
        strikes = alert.args.get("strikes_left")
        if reason == "insufficient_funds" and strikes in (1, 2):
            text += "\n\n" + texts.get(language, "alert-decline-strikes", strikes=strikes)
    else:
        text = texts.get(language, f"alert-{kind}", **args)
    follow_up = {
        "low-balance": ("btn-topup", f"c.top:{card}"),
        "kyc-approved": ("btn-first-card", "c.new"),
        "kyc-rejected": ("btn-kyc-fix", "k.fix"),
        "card-terminated": ("btn-new-card", "c.new"),
    }.get(kind)
    if follow_up:
        row.append(_button(texts, language, *follow_up))
    if card and kind not in ("low-balance",):
        row.append(_button(texts, language, "btn-view-card", f"c.v:{card}"))
    return text, [row] if row else []


class AlertPublisher:
    """The AlertSink the services publish to: render, then queue for sending."""

    def __init__(self, texts: Texts, users: UserService, queue: Queue) -> None:
        self.texts = texts
        self.users = users
        self.queue = queue

    async def publish(self, alert: Alert) -> None:
        chat_id, language = await self.users.contact(alert.user_id)
        text, keyboard = render(self.texts, language, alert)
        await self.queue.enqueue(chat_id, text, keyboard or None, dedupe_key=f"alert:{alert.key}")
