"""A strict local fake of the Nuvion cards API (seed 004, docs.nuvion.co/api-reference/cards).

It serves, on 127.0.0.1 (random port), what the seed documents:

    POST   /disposable-cards            POST /virtual-cards
    GET    /cards                       GET  /card-details/{id}
    GET    /card-transactions/{id}      PATCH /card-details/{id}/freeze | /unfreeze
    DELETE /card-details/{id}           PATCH /cards/{id}/account

and refuses what the real API refuses, in its documented shapes:

- 401 ``{error:{code:"unauthorized"}}`` without ``Authorization: Bearer <key>``; 403
  ``{error:{code:"forbidden"}}`` for a write with a read-only key (the auth page's shape);
- 400 ``{status:"400", message, type:"error_…", validations:[{field, message}]}`` for a missing or
  unknown field, a wrong type or unit (a float or a string where an integer of cents is due, an
  ``account_id`` that is not 26 characters, an expiry that is not "MM"/"YY"…);
- 404 for an unknown account or card, 403 (standard shape) for a card of another entity, 409 for
  a state change that cannot happen (freezing a blocked card, unfreezing an active or deleted
  one, reassigning to the same account), 422 when the entity's KYC is incomplete;
- 429 with ``retry_after``, ``limit_type``, ``current_count``, ``limit``; 500/503 on demand.

State lives in memory; every call is recorded (``calls``). Tests inject faults with
``fail_next`` (a 5xx before or after applying), ``rate_limit_next``, ``drop_after_applying_next``
(the change lands, the connection drops: the client cannot tell) and ``hang_after_applying_next``
(the change lands, no answer comes until the fake closes: the client times out). Card activity is
simulated with ``charge`` and ``refund``; ``flag_fraud`` and ``add_foreign_card`` set up the rarer
states.

Where the docs are silent the fake makes the same guesses as the adapter and says so (``guess``);
where it is stricter than the real API is known to be, it says so too (``strict``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.providers.luhn import luhn_check_digit

API_KEY = "nv_test_" + "k" * 40
READ_ONLY_KEY = "nv_test_" + "r" * 40
ACCOUNT_ID = "01K747KD7QW8KQS2GRD8MQBT55"
ENTITY_ID = "01K3HJAK85YJP13WJ41P3CWAVM"
OTHER_ENTITY_ID = "01K3HJAK85YJP13WJ41P3CWXXX"
VERSIONS = ("2026-02-06", "2026-01-01")

CARD_FIELDS = {
    "/disposable-cards": {
        "account_id",
        "card_name",
        "cardholder",
        "currency",
        "amount",
        "expiration_month",
        "expiration_year",
        "metadata",
    },
    "/virtual-cards": {
        "account_id",
        "card_name",
        "currency",
        "amount",
        "cardholder",
        "individual_controls",
        "individual_mcc_controls",
        "mcc_group_controls",
        "metadata",
    },
}
CARDHOLDER_FIELDS = {"first_name", "last_name", "email", "phone_number"}
CONTROL_AMOUNTS = {"daily_amount_limit", "transaction_amount_limit"}
CONTROL_COUNTS = {"cycle_transaction_count", "daily_transaction_count"}
CONTROL_FIELDS = {*CONTROL_AMOUNTS, *CONTROL_COUNTS, "billing_cycle", "billing_cycle_day"}
BILLING_CYCLES = {"Daily", "Weekly", "Monthly"}  # guess: the docs show Weekly and Monthly
WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CARDS_MAX_LIMIT = 100  # the card list: "Between 1 and 100"
TRANSACTIONS_MAX_LIMIT = 20  # the pagination guide: "max 20" (the transactions page names none)


class Reply(Exception):
    """An HTTP answer raised from inside a handler."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def error(status: int, error_type: str, message: str, **extra: Any) -> Reply:
    return Reply(status, {"status": str(status), "message": message, "type": error_type, **extra})


def invalid(validations: list[dict[str, str]]) -> Reply:
    return error(400, "error_validation_failed", "Validation failed", validations=validations)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    kind: str  # status | rate_limit | drop | hang
    method: str | None
    path: str | None  # a prefix of the request path
    status: int = 500
    after: bool = False  # status faults: answer the error after the change has been applied
    retry_after: int = 2

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass
class FakeCard:
    id: str
    entity_id: str
    account_id: str
    type: str  # disposable virtual
    name: str
    cardholder: dict[str, str]
    currency: str
    amount: int  # loaded at creation, cents
    number: str
    cvv: str
    expiration_month: str
    expiration_year: str
    controls: dict[str, Any]
    metadata: dict[str, str]
    created: int
    updated: int
    status: str = "active"  # active blocked fraud
    deleted: int | None = None
    used: int = 0  # completed debits minus credits, cents
    payments: list[dict[str, Any]] = field(default_factory=list)


class FakeNuvion:
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        account_id: str = ACCOUNT_ID,
        account_balance: int = 1_000_000,
        kyc_complete: bool = True,
        echo_metadata: bool = True,  # guess: card objects echo the metadata they were given
    ) -> None:
        self.api_key = api_key
        self.accounts: dict[str, dict[str, Any]] = {
            account_id: {"currency": "USD", "available": account_balance, "entity": ENTITY_ID},
            "01K747KD7QW8KQS2GRD8MQBT99": {"currency": "USD", "available": 0, "entity": ENTITY_ID},
        }
        self.account_id = account_id
        self.kyc_complete = kyc_complete
        self.echo_metadata = echo_metadata
        self.cards: dict[str, FakeCard] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._ms = itertools.count(1_760_434_049_154, 1_000)
        self._rng = random.Random(4)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeNuvion:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeNuvion:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- test controls --------------------------------------------------------------------------
    def fail_next(
        self,
        status: int = 500,
        *,
        method: str | None = None,
        path: str | None = None,
        after: bool = False,
        times: int = 1,
    ) -> None:
        """The next matching call(s) answer ``status``; with ``after`` the change lands first."""
        self.faults.extend(Fault("status", method, path, status, after) for _ in range(times))

    def rate_limit_next(
        self,
        retry_after: int = 2,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        self.faults.extend(
            Fault("rate_limit", method, path, 429, retry_after=retry_after) for _ in range(times)
        )

    def drop_after_applying_next(self, *, method: str, path: str) -> None:
        self.faults.append(Fault("drop", method, path))

    def hang_after_applying_next(self, *, method: str, path: str) -> None:
        self.faults.append(Fault("hang", method, path))

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path)]

    @property
    def available(self) -> int:
        return int(self.accounts[self.account_id]["available"])

    def add_foreign_card(self) -> str:
        """A card of another entity: visible to nobody here (403)."""
        card = self._new_card(OTHER_ENTITY_ID, self.account_id, "virtual", "Theirs", 1_000)
        return card.id

    def flag_fraud(self, card_id: str) -> None:
        self.cards[card_id].status = "fraud"

    def charge(self, card_id: str, amount: int, merchant: str = "Acme Corp") -> dict[str, Any]:
        """A purchase at a merchant: completed, or failed with a reason. A disposable card is
        blocked after its first successful charge."""
        card = self.cards[card_id]
        reason = None
        limit = card.controls.get("transaction_amount_limit")
        if card.deleted or card.status != "active":
            reason = "card_blocked"
        elif limit and amount > limit:
            reason = "transaction_amount_limit_exceeded"
        elif amount > card.amount - card.used:
            reason = "insufficient_funds"
        payment = self._payment(card, amount, "debit", merchant, reason)
        if reason is None:
            card.used += amount
            if card.type == "disposable":
                card.status = "blocked"
                card.updated = next(self._ms)
        return payment

    def refund(self, card_id: str, amount: int, merchant: str = "Acme Corp") -> dict[str, Any]:
        card = self.cards[card_id]
        card.used -= amount
        return self._payment(card, amount, "credit", merchant, None)

    # -- HTTP -----------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        self.calls.append(call)
        fault = next((f for f in self.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            self.faults.remove(fault)
        try:
            self._authenticate(request)
            if fault is not None and fault.kind == "rate_limit":
                raise error(
                    429,
                    "error_rate_limit_exceeded",
                    "Too many requests. Retry later.",
                    retry_after=fault.retry_after,
                    limit_type="requests_per_minute",
                    current_count=121,
                    limit=120,
                )
            if fault is not None and fault.kind == "status" and not fault.after:
                raise self._server_error(fault.status)
            if raw and request.content_type != "application/json":
                raise invalid([{"field": "body", "message": "Content-Type must be JSON"}])
            if raw and not isinstance(body, dict):
                raise invalid([{"field": "body", "message": "must be a JSON object"}])
            status, payload = self._route(request.method, request.path, call.query, body)
            if fault is not None and fault.kind == "status":  # applied, then failed to answer
                raise self._server_error(fault.status)
        except Reply as reply:
            status, payload = reply.status, reply.body
        call.status = status
        if fault is not None and fault.kind == "drop":
            assert request.transport is not None
            request.transport.close()  # the change landed; the answer never leaves
            return web.Response(status=status)
        if fault is not None and fault.kind == "hang":
            await self._closing.wait()
        return web.json_response(payload, status=status)

    @staticmethod
    def _server_error(status: int) -> Reply:
        if status == 503:
            return error(503, "error_service_unavailable", "Service temporarily unavailable")
        return error(status, "error_internal_server", "Internal server error")

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or token not in (self.api_key, READ_ONLY_KEY):
            raise Reply(
                401, {"error": {"code": "unauthorized", "message": "Invalid or missing API key"}}
            )
        if token == READ_ONLY_KEY and request.method != "GET":
            raise Reply(
                403,
                {"error": {"code": "forbidden", "message": "This key may only read resources"}},
            )
        version = request.headers.get("X-API-Version")
        if version not in VERSIONS:
            # strict: the real API floats to the latest version without the header; the adapter
            # must pin it, so the fake refuses a call that does not.
            raise invalid([{"field": "X-API-Version", "message": f"one of {', '.join(VERSIONS)}"}])

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if method == "POST" and path in CARD_FIELDS:
            self._no_query(query)
            return 200, {"status": "success", "data": self._create(path, body)}
        if method == "GET" and parts == ["cards"]:
            return 200, {"data": self._list_cards(query)}
        if len(parts) == 2 and parts[0] == "card-details":
            card = self._owned(parts[1])
            if method == "GET":
                self._no_query(query)
                return 200, {"data": self._details(card)}
            if method == "DELETE":
                self._no_body(body)
                return 200, {"data": self._delete(card)}
        if len(parts) == 3 and parts[0] == "card-details" and method == "PATCH":
            card = self._owned(parts[1])
            self._no_body(body)
            if parts[2] == "freeze":
                return 200, {"data": self._freeze(card)}
            if parts[2] == "unfreeze":
                return 200, {"data": self._unfreeze(card)}
        if len(parts) == 2 and parts[0] == "card-transactions" and method == "GET":
            card = self._owned(parts[1])
            return 200, {"data": self._transactions(card, query)}
        if len(parts) == 3 and parts[0] == "cards" and parts[2] == "account" and method == "PATCH":
            return 200, {"data": self._reassign(self._owned(parts[1]), body)}
        raise error(404, "error_route_not_found", f"No route {method} {path}")

    # -- validation -------------------------------------------------------------------------------
    @staticmethod
    def _no_query(query: dict[str, str]) -> None:
        if query:
            raise invalid([{"field": k, "message": "unknown query parameter"} for k in query])

    @staticmethod
    def _no_body(body: Any) -> None:
        if body not in (None, {}):
            raise invalid([{"field": "body", "message": "this call takes no body"}])

    @staticmethod
    def _int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def _validate_card(self, path: str, body: dict[str, Any]) -> list[dict[str, str]]:
        problems: list[dict[str, str]] = []

        def bad(name: str, message: str) -> None:
            problems.append({"field": name, "message": message})

        for name in sorted(set(body) - CARD_FIELDS[path]):
            bad(name, "unknown field")  # strict: unknown fields are refused
        required = ["account_id", "card_name", "cardholder", "currency", "amount"]
        if path == "/disposable-cards":
            required += ["expiration_month", "expiration_year"]
        for name in required:
            if name not in body:
                bad(name, "is required")
        account_id = body.get("account_id")
        if "account_id" in body and (not isinstance(account_id, str) or len(account_id) != 26):
            bad("account_id", "must be 26 characters")
        display = body.get("card_name")
        if "card_name" in body and (not isinstance(display, str) or not display.strip()):
            bad("card_name", "must be a non-empty string")
        currency = body.get("currency")
        if "currency" in body and (
            not isinstance(currency, str) or len(currency) != 3 or not currency.isupper()
        ):
            bad("currency", "must be an ISO 4217 code, e.g. USD")
        amount: Any = body.get("amount")
        if "amount" in body and not self._int(amount):
            bad("amount", "must be an integer in the smallest currency unit")
        elif "amount" in body and amount <= 0:
            bad("amount", "must be greater than 0")  # guess: a card is always loaded
        holder = body.get("cardholder")
        if "cardholder" in body:
            if not isinstance(holder, dict):
                bad("cardholder", "must be an object")
            else:
                for key in sorted(set(holder) - CARDHOLDER_FIELDS):
                    bad(f"cardholder.{key}", "unknown field")
                for key in ("first_name", "last_name", "phone_number"):
                    if not isinstance(holder.get(key), str) or not holder[key].strip():
                        bad(f"cardholder.{key}", "is required")
                phone = holder.get("phone_number")
                if isinstance(phone, str) and not E164.fullmatch(phone):
                    bad("cardholder.phone_number", "must be E.164, e.g. +12125550198")
                # guess: email is optional; when given it must look like one
                if "email" in holder and (
                    not isinstance(holder["email"], str) or not EMAIL.fullmatch(holder["email"])
                ):
                    bad("cardholder.email", "must be an email address")
        if path == "/disposable-cards":
            month, year = body.get("expiration_month"), body.get("expiration_year")
            if "expiration_month" in body and not (
                isinstance(month, str) and re.fullmatch(r"0[1-9]|1[0-2]", month)
            ):
                bad("expiration_month", 'must be "MM"')
            if "expiration_year" in body and not (
                isinstance(year, str) and re.fullmatch(r"[0-9]{2}", year)
            ):
                bad("expiration_year", 'must be "YY"')
            if not problems and isinstance(month, str) and isinstance(year, str):
                now = datetime.now(UTC)
                if (2000 + int(year), int(month)) < (now.year, now.month):
                    bad("expiration_year", "the expiry is in the past")
        controls = body.get("individual_controls")
        if "individual_controls" in body:
            if not isinstance(controls, dict):
                bad("individual_controls", "must be an object")
            else:
                for key, value in controls.items():
                    where = f"individual_controls.{key}"
                    if key not in CONTROL_FIELDS:
                        bad(where, "unknown field")
                    elif key in CONTROL_AMOUNTS | CONTROL_COUNTS and (
                        not self._int(value) or value <= 0
                    ):
                        bad(where, "must be a positive integer")
                    elif key == "billing_cycle" and value not in BILLING_CYCLES:
                        bad(where, f"one of {sorted(BILLING_CYCLES)}")
                    elif key == "billing_cycle_day" and value not in WEEKDAYS:
                        bad(where, "a day of the week")
        for key in ("individual_mcc_controls", "mcc_group_controls"):
            if key in body and not isinstance(body[key], list):
                bad(key, "must be an array")
        metadata = body.get("metadata")
        if "metadata" in body and not (
            isinstance(metadata, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        ):
            bad("metadata", "must be an object of strings")  # guess: string values
        return problems

    # -- operations -------------------------------------------------------------------------------
    def _create(self, path: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid([{"field": "body", "message": "is required"}])
        problems = self._validate_card(path, body)
        if problems:
            raise invalid(problems)
        account = self.accounts.get(body["account_id"])
        if account is None:
            raise error(404, "error_accounts_not_found", "Account not found")
        if not self.kyc_complete:
            raise error(422, "error_entities_kyc_incomplete", "KYC incomplete")
        if body["currency"] != account["currency"]:
            raise invalid([{"field": "currency", "message": "not supported for this account"}])
        if body["amount"] > account["available"]:
            # guess: the docs list no error for this; a 400 in the standard shape
            raise error(400, "error_accounts_insufficient_funds", "Insufficient account balance")
        account["available"] -= body["amount"]
        kind = "disposable" if path == "/disposable-cards" else "virtual"
        card = self._new_card(
            ENTITY_ID,
            body["account_id"],
            kind,
            body["card_name"],
            body["amount"],
            cardholder=body["cardholder"],
            controls=dict(body.get("individual_controls") or {}),
            metadata=dict(body.get("metadata") or {}),
            expiry=(body.get("expiration_month"), body.get("expiration_year")),
        )
        data: dict[str, Any] = {
            "id": card.id,
            "name": card.name,
            "status": card.status,
            "number": card.number,
            "expiration_month": card.expiration_month,
            "expiration_year": card.expiration_year,
            "cvv": card.cvv,
            "individual_controls": self._limits(card),
            "individual_mcc_controls": [],
            "mcc_group_controls": [],
        }
        if kind == "virtual":
            data["created"] = card.created
        if self.echo_metadata:
            data["metadata"] = dict(card.metadata)
        return data

    def _new_card(
        self,
        entity: str,
        account_id: str,
        kind: str,
        name: str,
        amount: int,
        *,
        cardholder: dict[str, str] | None = None,
        controls: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        expiry: tuple[str | None, str | None] = (None, None),
    ) -> FakeCard:
        partial = "411111" + "".join(self._rng.choice(string.digits) for _ in range(9))
        now = next(self._ms)
        card = FakeCard(
            id="crd_"
            + "".join(self._rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(22)),
            entity_id=entity,
            account_id=account_id,
            type=kind,
            name=name,
            cardholder=cardholder or {"first_name": "Alex", "last_name": "Johnson"},
            currency="USD",
            amount=amount,
            number=partial + luhn_check_digit(partial),
            cvv="".join(self._rng.choice(string.digits) for _ in range(3)),
            expiration_month=expiry[0] or "12",
            expiration_year=expiry[1] or "29",
            controls=controls or {},
            metadata=metadata or {},
            created=now,
            updated=now,
        )
        self.cards[card.id] = card
        return card

    def _owned(self, card_id: str) -> FakeCard:
        card = self.cards.get(card_id)
        if card is None:
            raise error(404, "error_cards_not_found", "Card not found")
        if card.entity_id != ENTITY_ID:
            raise error(403, "error_cards_forbidden", "The card does not belong to this entity")
        return card

    def _limits(self, card: FakeCard) -> dict[str, Any]:
        if card.type == "disposable":
            return {}  # "Empty object for disposable cards"
        # the create response shows cycle_transaction_count: 0 when it was not asked for
        return {"cycle_transaction_count": 0, **card.controls}

    def _details(self, card: FakeCard) -> dict[str, Any]:
        controls = self._limits(card)
        if card.type == "virtual":
            completed = [p for p in card.payments if p["status"] == "completed"]
            debits = [p for p in completed if p["type"] == "debit"]
            daily_limit = card.controls.get("daily_amount_limit")
            daily_count = card.controls.get("daily_transaction_count")
            cycle_count = card.controls.get("cycle_transaction_count")
            controls.update(
                amount_used=card.used,
                amount_hold=0,
                amount_balance=card.amount - card.used,
                daily_transaction_count_used=len(debits),
                daily_transaction_count_hold=0,
                daily_transaction_count_balance=max((daily_count or 0) - len(debits), 0),
                daily_amount_limit_used=card.used,
                daily_amount_limit_hold=0,
                daily_amount_limit_balance=max((daily_limit or 0) - card.used, 0),
                cycle_transaction_count_used=len(debits),
                cycle_transaction_count_hold=0,
                cycle_transaction_count_balance=max((cycle_count or 0) - len(debits), 0),
            )
        data: dict[str, Any] = {
            "id": card.id,
            "name": card.name,
            "status": card.status,
            "type": card.type,
            "first_name": card.cardholder.get("first_name"),
            "last_name": card.cardholder.get("last_name"),
            "number": card.number,
            "expiration_month": card.expiration_month,
            "expiration_year": card.expiration_year,
            "cvv": card.cvv,
            "individual_controls": controls,
            "individual_mcc_controls": [],
            "mcc_group_controls": [],
            "billing": {
                "address_line_1": "350 Fifth Avenue",
                "address_line_2": "Suite 4100",
                "city": "New York",
                "state": "NY",
                "postal_code": "10001",
            },
            "shipping": None,
            "created": card.created,
            "updated": card.updated,
        }
        if card.deleted is not None:
            data["deleted"] = card.deleted  # guess: a deleted card is still served, blocked
        if self.echo_metadata:
            data["metadata"] = dict(card.metadata)
        return data

    def _freeze(self, card: FakeCard) -> dict[str, Any]:
        if card.deleted is not None:
            raise error(409, "error_cards_deleted", "The card has been deleted")
        if card.status != "active":
            raise error(409, "error_cards_already_blocked", "The card is already blocked")
        card.status, card.updated = "blocked", next(self._ms)
        return {"status": card.status, "updated": card.updated}

    def _unfreeze(self, card: FakeCard) -> dict[str, Any]:
        if card.deleted is not None:
            raise error(409, "error_cards_deleted", "A deleted card cannot be reactivated")
        if card.status == "active":
            raise error(409, "error_cards_not_blocked", "The card is not frozen")
        if card.status == "fraud":
            raise error(409, "error_cards_fraud", "The card is blocked for fraud")
        if card.type == "disposable" and card.used:
            raise error(409, "error_cards_disposable_used", "A used disposable card stays blocked")
        card.status, card.updated = "active", next(self._ms)
        return {"status": card.status, "updated": card.updated}

    def _delete(self, card: FakeCard) -> dict[str, Any]:
        if card.deleted is not None:
            raise error(404, "error_cards_not_found", "Card not found")  # removed from listings
        card.status, card.deleted = "blocked", next(self._ms)
        return {"status": card.status, "deleted": card.deleted}

    def _reassign(self, card: FakeCard, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) != {"account_id"}:
            raise invalid([{"field": "account_id", "message": "is required (and alone)"}])
        target = body["account_id"]
        if not isinstance(target, str) or len(target) != 26:
            raise invalid([{"field": "account_id", "message": "must be 26 characters"}])
        if target not in self.accounts:
            raise error(404, "error_accounts_not_found", "Account not found")
        if target == card.account_id:
            raise error(409, "error_cards_already_assigned", "Already assigned to this account")
        card.account_id = target
        return {"card_id": card.id, "account_id": target}

    # -- lists ------------------------------------------------------------------------------------
    def _limit(self, query: dict[str, str], maximum: int) -> int:
        raw = query.get("limit", "20")
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise invalid([{"field": "limit", "message": f"between 1 and {maximum}"}])
        return int(raw)

    @staticmethod
    def _cursor(kind: str, scope: str, offset: int) -> str:
        return base64.urlsafe_b64encode(f"{kind}|{scope}|{offset}".encode()).decode()

    @staticmethod
    def _offset(cursor: str, kind: str, scope: str) -> int:
        try:
            got_kind, got_scope, offset = base64.urlsafe_b64decode(cursor).decode().split("|")
            if (got_kind, got_scope) != (kind, scope):
                raise ValueError(cursor)
            return int(offset)
        except ValueError:
            raise invalid([{"field": "cursor", "message": "invalid cursor"}]) from None

    def _list_cards(self, query: dict[str, str]) -> dict[str, Any]:
        unknown = set(query) - {"account_id", "limit", "next_cursor", "prev_cursor"}
        if unknown:
            raise invalid([{"field": k, "message": "unknown query parameter"} for k in unknown])
        limit = self._limit(query, CARDS_MAX_LIMIT)
        account = query.get("account_id")
        scope = account or "*"
        cards = sorted(
            (
                c
                for c in self.cards.values()
                if c.entity_id == ENTITY_ID
                and c.deleted is None  # soft-deleted cards are excluded
                and (account is None or c.account_id == account)
            ),
            key=lambda c: (-c.created, c.id),
        )
        offset = 0
        if "next_cursor" in query:
            offset = self._offset(query["next_cursor"], "cards", scope)
        elif "prev_cursor" in query:
            offset = max(self._offset(query["prev_cursor"], "cards", scope), 0)
        window = cards[offset : offset + limit]
        has_next = offset + limit < len(cards)
        return {
            "cards": [
                {"id": c.id, "name": c.name, "status": c.status, "created": c.created}
                for c in window
            ],
            "pagination": {
                "has_next": has_next,
                "has_previous": offset > 0,
                "next_cursor": self._cursor("cards", scope, offset + limit) if has_next else None,
                "prev_cursor": self._cursor("cards", scope, max(offset - limit, 0))
                if offset
                else None,
            },
        }

    def _transactions(self, card: FakeCard, query: dict[str, str]) -> dict[str, Any]:
        unknown = set(query) - {"limit", "next_cursor"}
        if unknown:
            raise invalid([{"field": k, "message": "unknown query parameter"} for k in unknown])
        limit = self._limit(query, TRANSACTIONS_MAX_LIMIT)
        offset = self._offset(query["next_cursor"], "txn", card.id) if "next_cursor" in query else 0
        payments = sorted(card.payments, key=lambda p: (-p["created"], p["id"]))
        window = payments[offset : offset + limit]
        has_next = offset + limit < len(payments)
        return {
            "payments": window,
            "pagination": {
                "order": "desc",
                "has_next": has_next,
                "has_previous": offset > 0,
                "limit": limit,
                "next_cursor": self._cursor("txn", card.id, offset + limit) if has_next else None,
                "previous_cursor": self._cursor("txn", card.id, max(offset - limit, 0))
                if offset
                else None,
            },
        }

    def _payment(
        self, card: FakeCard, amount: int, kind: str, merchant: str, reason: str | None
    ) -> dict[str, Any]:
        now = next(self._ms)
        number = len(card.payments) + 1
        payment = {
            "id": f"txn_{card.id[4:12]}{number:06d}",
            "amount": amount,
            "currency": card.currency,
            "unique_reference": f"TXN-{card.id[4:10]}-{number:04d}",
            "account_id": card.account_id,
            "entity_id": card.entity_id,
            "counterparty_id": "cpt_01HXYZ7890EFGH",
            "status": "failed" if reason else "completed",
            "status_reason": reason,
            "narration": "Online purchase" if kind == "debit" else "Refund",
            "type": kind,
            "payment_type": "card",
            "applicable_fee": 0,
            "initiator": {
                "type": "card",
                "id": "usr_01HXYZ1111AAAA",
                "name": f"{card.cardholder.get('first_name')} {card.cardholder.get('last_name')}",
                "card_id": card.id,
            },
            "recipient": {
                "name": merchant,
                "address": {
                    "city": "San Francisco",
                    "state": "CA",
                    "postal_code": "94105",
                    "country": "US",
                },
            },
            "meta": {"provider_code": "00" if reason is None else "51"},
            "created": now,
            "updated": now + 1005,
        }
        card.payments.append(payment)
        return payment
