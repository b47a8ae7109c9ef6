"""One update's context: who is talking, their account, and the replies being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from handlers.events import (
    Action,
    Button,
    ContactButton,
    Edit,
    Incoming,
    Kind,
    Send,
)
from handlers.texts import Markup, Texts
from services.container import Services
from services.errors import ServiceError
from services.money import Money
from services.users import Account

log = structlog.get_logger(__name__)

# A button's data is "<screen seq>|<route>"; the route names the handler and its arguments.
SEP = "|"
# The one question that shows a reply keyboard (Telegram's share-contact button).
CONTACT_STATE = "kyc:phone"


@dataclass(frozen=True)
class Choice:
    """A button before it is placed on a screen: a text id (or text) and a route."""

    label: str
    route: str


Rows = list[list[Choice]]


@dataclass
class Ctx:
    incoming: Incoming
    account: Account
    services: Services
    texts: Texts
    actions: list[Action] = field(default_factory=list)
    toast: str = ""
    alert: bool = False
    drop_reply_keyboard: bool = False  # the phone step's share-contact keyboard is showing
    _edited: bool = False

    # -- texts --
    def t(self, key: str, **args: Any) -> str:
        return self.texts.get(self.account.language, key, **args)

    def money(self, amount: Money) -> str:
        return amount.format(self.account.language)

    def error_text(self, exc: ServiceError) -> str:
        """Why a rule said no, in the person's words (issuer refusals as "That didn't go
        through: …")."""
        args = {
            k: self.money(v) if isinstance(v, Money) else v for k, v in exc.args_for_text.items()
        }
        if exc.code.startswith("provider-"):
            reason = self.t(exc.code) if self.texts.has(exc.code) else self.t("provider-failed")
            return self.t("failed", reason=Markup(reason))
        if not self.texts.has(exc.code):
            log.error("text.missing", code=exc.code)
            return self.t("error-unexpected")
        return self.t(exc.code, **args)

    def choice(self, key: str, route: str, **args: Any) -> Choice:
        label = self.texts.get(self.account.language, key, html_args=False, **args)
        return Choice(label, route)

    # -- state --
    @property
    def state(self) -> str:
        return self.account.state

    def set_state(self, state: str, **data: Any) -> None:
        if self.account.state == CONTACT_STATE and state != CONTACT_STATE:
            # leaving the phone question, by any path: take its share-contact keyboard away
            self.drop_reply_keyboard = True
        self.account.state = state
        self.account.data = {k: v for k, v in data.items() if v is not None}

    def clear_state(self) -> None:
        self.set_state("")

    # -- replies --
    def _keyboard(self, rows: Rows | None) -> list[list[Button]] | None:
        if not rows:
            return None
        self.account.screen_seq += 1
        seq = self.account.screen_seq
        return [[Button(c.label, f"{seq}{SEP}{c.route}") for c in row] for row in rows]

    def show(self, text: str, rows: Rows | None = None) -> None:
        """Show a screen: edit the message whose button was pressed, else send a new one."""
        incoming = self.incoming
        can_edit = (
            incoming.kind is Kind.BUTTON
            and incoming.message_id is not None
            and not self._edited
            and not self.drop_reply_keyboard
        )
        if can_edit:
            assert incoming.message_id is not None
            self._edited = True
            self.actions.append(
                Edit(incoming.chat_id, incoming.message_id, text, self._keyboard(rows))
            )
        else:
            self.send(text, rows)

    def send(self, text: str, rows: Rows | None = None, **options: Any) -> None:
        if self.drop_reply_keyboard:
            options.setdefault("remove_reply_keyboard", True)
            self.drop_reply_keyboard = False
        self.actions.append(Send(self.incoming.chat_id, text, self._keyboard(rows), **options))

    def attach(self, action: Action) -> None:
        """A picture or a file for the chat. A screen shown after it comes below it as a new
        message, rather than as an edit of the message above it."""
        self.actions.append(action)
        self._edited = True

    def ask_contact(self, text: str, label: str) -> None:
        self.actions.append(Send(self.incoming.chat_id, text, contact_button=ContactButton(label)))

    def answer(self, text: str, alert: bool = False) -> None:
        self.toast, self.alert = text, alert
