"""A strict local fake of Bitnob's v1 virtual-cards API (seed 001, shared/providers/bitnob.md).

It serves ``/api/v1/virtualcards/*`` on 127.0.0.1 (random port) with the documented request and
answer shapes, and refuses what the real API refuses — in Bitnob's error shape
``{statusCode, message[, error]}`` (NestJS-style: validation messages come as a list):

- a missing or wrong ``Authorization: Bearer <secret key>`` (401), an unknown path (404);
- a body that is not a JSON object, a field the endpoint does not take ("property x should not
  exist"), a missing required field, a wrong type or unit: card creation's ``amount`` must be a
  string of whole dollars ("25"), top-up and withdrawal ``amount`` a positive int32 of cents, the
  mock-transaction ``amount`` a string, ``isAirlinePaymentEnabled`` a boolean, ``country`` a
  country *name* (not a code), ``dateOfBirth`` YYYY-MM-DD;
- paging other than ``order`` ASC/DESC, ``page`` ≥ 1 and ``take`` 1–100;
- unknown card users and cards (404), cards for users who have not passed KYC, Nigerians
  without a BVN, a reused ``reference``, money beyond the card's balance or the business wallet,
  and every invalid state transition (frozen, not frozen, terminated, not created yet).

Behaviour: a registered card user is under review (``kycPassed: null``) until first read, then
passed (failed when the last name is "Reject" or the ID number is all zeros). A created card
answers ``createdStatus: "pending"`` (as documented) and is created right after, with its number,
CVV and initial balance (``auto_create=False`` keeps it pending until ``complete_creation``).
Top-up and withdrawal answer ``status: "pending"`` and apply at once (``hold_money=True`` keeps
them pending until ``settle``). Transaction rows carry ``amount`` in dollars and ``centAmount``
in cents as strings; ``quirky_amounts=True`` copies the documented sample where ``amount`` equals
``centAmount``; a withdrawal is ``type: "credit"``, ``method: "withdrawal"``, as in the docs.

Every call is recorded (``calls``). ``fail_next`` injects faults: refuse with 500/503 or 429
(``retry_after`` in the body and/or a ``Retry-After`` header) or HTTP 200 ``status: false``
without acting; or act and then answer 500, drop the connection, or never answer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from services.providers.luhn import luhn_check_digit

API_KEY = "sk.sandbox.fake-bitnob-7d3c2a19e4"
PREFIX = "/api/v1"
INT32_MAX = 2**31 - 1
ID_TYPES = {"BVN", "NIN", "vNIN", "PASSPORT", "NATIONAL_ID", "DRIVERS_LICENSE", "PVC", "VOTERS_ID"}
ID_TYPES |= {"ECOWAS_ID"}
BINS = {"visa": "453211", "mastercard": "532643"}
START = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)

Handler = Callable[["web.Request", dict[str, str], Any], Any]


class ApiError(Exception):
    def __init__(self, status: int, message: str | list[str], error: str | None = None) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.error = error


def bad_request(*messages: str) -> ApiError:
    return ApiError(400, list(messages), "Bad Request")


@dataclass
class Call:
    method: str
    path: str  # without the /api/v1 prefix
    query: dict[str, str]
    body: Any
    authorization: str | None


@dataclass
class Fault:
    kind: str  # 500 503 429 status-false | 500-after drop-after hang-after
    method: str | None
    path: str | None
    retry_after: float | None
    header: bool
    message: str


@dataclass
class FakeUser:
    id: str
    fields: dict[str, Any]
    created_at: datetime
    kyc_passed: bool | None = None
    reviewed: bool = False


@dataclass
class FakeCard:
    id: str
    user: FakeUser
    brand: str
    card_type: str
    reference: str
    initial_cents: int
    name: str
    created_at: datetime
    created_status: str = "pending"
    status: str = "active"
    balance: int = 0
    number: str | None = None
    cvv: str | None = None
    expiry: datetime | None = None
    airline: bool = True


@dataclass
class FakeTxn:
    id: str
    card_id: str
    cents: int
    type: str
    method: str
    status: str
    reference: str
    created_at: datetime
    narrative: str | None = None


@dataclass
class FakeBitnob:
    api_key: str = API_KEY
    wallet_cents: int = 100_000_000  # the business's USD wallet that funds cards
    auto_kyc: bool = True
    auto_create: bool = True
    hold_money: bool = False
    quirky_amounts: bool = False
    hide_secrets: bool = False  # production-like: no cardNumber/cvv2 in card objects
    calls: list[Call] = field(default_factory=list)
    users: dict[str, FakeUser] = field(default_factory=dict)
    cards: dict[str, FakeCard] = field(default_factory=dict)
    txns: list[FakeTxn] = field(default_factory=list)
    references: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    airline_path: str = "/virtualcards/airline-payment"

    def __post_init__(self) -> None:
        self._ticks = itertools.count(1)
        self._digits = itertools.count(10_000_001)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(r"/virtualcards/registercarduser"), self._register),
            ("GET", re.compile(r"/virtualcards/users"), self._list_users),
            ("GET", re.compile(r"/virtualcards/users/(?P<id>[^/]+)"), self._get_user),
            ("PUT", re.compile(r"/virtualcards/users/(?P<id>[^/]+)"), self._update_user),
            ("POST", re.compile(r"/virtualcards/create"), self._create),
            ("GET", re.compile(r"/virtualcards/cards"), self._list_cards),
            (
                "GET",
                re.compile(r"/virtualcards/cards/(?P<id>[^/]+)/transactions"),
                self._card_transactions,
            ),
            ("GET", re.compile(r"/virtualcards/cards/(?P<id>[^/]+)"), self._get_card),
            ("POST", re.compile(r"/virtualcards/topup"), self._topup),
            ("POST", re.compile(r"/virtualcards/withdraw"), self._withdraw),
            ("POST", re.compile(r"/virtualcards/freeze"), self._freeze),
            ("POST", re.compile(r"/virtualcards/unfreeze"), self._unfreeze),
            ("POST", re.compile(r"/virtualcards/terminate"), self._terminate),
            ("POST", re.compile(r"/virtualcards/mock-transaction"), self._mock),
            ("POST", re.compile(re.escape(self.airline_path)), self._airline),
        ]

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    async def start(self) -> FakeBitnob:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._release.set()  # let hanging handlers finish
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBitnob:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- test controls --------------------------------------------------------------------------
    def fail_next(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        header: bool = False,
        message: str = "Request could not be completed",
    ) -> None:
        """Fault the next call matching ``method`` and ``path`` (a substring)."""
        assert kind in {
            "500",
            "503",
            "429",
            "status-false",
            "500-after",
            "drop-after",
            "hang-after",
        }
        self.faults.append(Fault(kind, method, path, retry_after, header, message))

    def complete_creation(self, card_id: str, ok: bool = True) -> None:
        card = self.cards[card_id]
        assert card.created_status == "pending"
        if ok:
            self._bring_to_life(card)
        else:
            card.created_status = "failed"
            self.wallet_cents += card.initial_cents

    def settle(self, reference: str, ok: bool = True) -> None:
        txn = next(t for t in self.txns if t.reference == reference)
        assert txn.status == "pending"
        card = self.cards[txn.card_id]
        if not ok:
            txn.status = "failed"
            if txn.method == "topup":
                self.wallet_cents += txn.cents
            return
        txn.status = "success"
        if txn.method == "topup":
            card.balance += txn.cents
        else:
            card.balance -= txn.cents
            self.wallet_cents += txn.cents

    def decide_kyc(self, user_id: str, passed: bool) -> None:
        user = self.users[user_id]
        user.kyc_passed, user.reviewed = passed, True

    def add_card(self, user_id: str, reference: str, cents: int = 0) -> FakeCard:
        """A card made directly (for paging tests): created, funded, no calls recorded."""
        card = self._new_card(self.users[user_id], "visa", "virtual", reference, cents)
        self.references.add(reference)
        self._bring_to_life(card)
        return card

    def charge(self, card_id: str, cents: int, narrative: str = "Card purchase") -> FakeTxn:
        """A purchase at a merchant, as the card network would settle it on the card."""
        card = self.cards[card_id]
        assert card.status == "active" and card.created_status == "success"
        assert cents <= card.balance
        card.balance -= cents
        reference = f"CARD_{uuid.uuid4().hex[:12]}"
        return self._txn(card, cents, "debit", "card", reference, "success", narrative)

    def posts(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == path]

    def gets(self, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == "GET" and c.path.startswith(path_prefix)]

    def card_by_reference(self, reference: str) -> FakeCard | None:
        return next((c for c in self.cards.values() if c.reference == reference), None)

    # -- dispatch -------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        body_error: ApiError | None = None
        if request.method in ("POST", "PUT"):
            if request.content_type != "application/json":
                body_error = bad_request("Content-Type must be application/json")
            else:
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body_error = bad_request("Unexpected token in JSON body")
                if body_error is None and not isinstance(body, dict):
                    body_error = bad_request("request body must be an object")
        path = request.path.removeprefix(PREFIX) if request.path.startswith(PREFIX) else None
        self.calls.append(
            Call(
                request.method,
                path if path is not None else request.path,
                dict(request.query),
                body,
                request.headers.get("Authorization"),
            )
        )
        match = self._route(request.method, path) if path is not None else None
        if match is None:
            return _error(ApiError(404, f"Cannot {request.method} {request.path}", "Not Found"))
        handler, params = match
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(ApiError(401, "Unauthorized"))
        fault = self._take_fault(request.method, path or "")
        if fault is not None and not fault.kind.endswith("-after"):
            return self._refuse(fault)
        if body_error is not None:
            return _error(body_error)
        try:
            self._check_query(request, path or "")
            message, data = handler(request, params, body)
        except ApiError as exc:
            return _error(exc)
        if fault is not None:  # it acted; now the answer goes wrong
            if fault.kind == "500-after":
                return _error(ApiError(500, "Internal server error"))
            if fault.kind == "drop-after":
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=200)
            await self._release.wait()  # hang-after: the client times out
        answer: dict[str, Any] = {"status": True, "message": message}
        if data is not _NO_DATA:
            answer["data"] = data
        return web.json_response(answer)

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for verb, pattern, handler in self._routes:
            found = pattern.fullmatch(path)
            if found and verb == method:
                return handler, found.groupdict()
        return None

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if (fault.method is None or fault.method == method) and (
                fault.path is None or fault.path in path
            ):
                self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _refuse(fault: Fault) -> web.Response:
        if fault.kind == "status-false":
            return web.json_response({"status": False, "message": fault.message})
        if fault.kind == "429":
            body: dict[str, Any] = {"statusCode": 429, "message": "Too many requests"}
            headers = {}
            if fault.retry_after is not None:
                body["retry_after"] = fault.retry_after
                if fault.header:
                    headers["Retry-After"] = str(int(fault.retry_after))
            return web.json_response(body, status=429, headers=headers)
        status = int(fault.kind)
        message = "Service temporarily unavailable" if status == 503 else "Internal server error"
        return web.json_response({"statusCode": status, "message": message}, status=status)

    @staticmethod
    def _check_query(request: web.Request, path: str) -> None:
        if request.method != "GET" or not (
            path in ("/virtualcards/users", "/virtualcards/cards") or path.endswith("/transactions")
        ):
            if request.query:
                raise bad_request(*(f"property {k} should not exist" for k in request.query))
            return
        problems = [f"property {k} should not exist" for k in request.query if k not in PAGING]
        query = request.query
        if "order" in query and query["order"] not in ("ASC", "DESC"):
            problems.append("order must be one of the following values: ASC, DESC")
        if "page" in query and not (query["page"].isdigit() and int(query["page"]) >= 1):
            problems.append("page must not be less than 1")
        if "take" in query and not (query["take"].isdigit() and 1 <= int(query["take"]) <= 100):
            problems.append("take must not be less than 1 or greater than 100")
        if problems:
            raise bad_request(*problems)

    # -- card users -----------------------------------------------------------------------------
    def _register(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        fields = _check_registration(body)
        reference = fields["customerReference"]
        if any(u.fields["customerReference"] == reference for u in self.users.values()):
            raise bad_request("card user with this customerReference already exists")
        user = FakeUser(str(uuid.uuid4()), fields, self._now())
        self.users[user.id] = user
        return "successfully registered card user", self._user_json(user)

    def _update_user(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        user = self._user(params["id"])
        extra: dict[str, Check] = {"cardId": _string}
        user.fields = _check_registration(body, extra)
        user.kyc_passed, user.reviewed = None, False  # reviewed again
        return "successfully updated card user", self._user_json(user)

    def _list_users(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        users = list(self.users.values())
        for user in users:
            self._review(user)
        rows, meta = _paged(users, request.query, key=lambda u: u.created_at)
        return "successfully fetched card users", {
            "users": [self._user_json(u) for u in rows],
            "meta": meta,
        }

    def _get_user(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        user = self._user(params["id"])
        self._review(user)
        return "successfully fetched card user", self._user_json(user)

    def _user(self, user_id: str) -> FakeUser:
        if user_id not in self.users:
            raise ApiError(404, "card user not found", "Not Found")
        return self.users[user_id]

    def _review(self, user: FakeUser) -> None:
        if user.reviewed or not self.auto_kyc:
            return
        fields = user.fields
        rejected = fields["lastName"].strip().lower() == "reject" or set(fields["idNumber"]) <= {
            "0"
        }
        user.kyc_passed, user.reviewed = not rejected, True

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        f = user.fields
        return {
            "id": user.id,
            "createdAt": _iso(user.created_at),
            "updatedAt": _iso(user.created_at),
            "customerReference": f["customerReference"],
            "firstName": f["firstName"],
            "lastName": f["lastName"],
            "idNumber": f["idNumber"],
            "idType": f["idType"],
            "phoneNumber": f["phoneNumber"],
            "userPhoto": f"https://files.sandbox.bitnob.test/users/{user.id}/photo.jpg",
            "customerId": None,
            "line1": f["line1"],
            "city": f["city"],
            "state": f["state"],
            "zipCode": f["zipCode"],
            "country": f["country"],
            "bvn": f.get("bvn"),
            "houseNumber": f["houseName"],  # the answer names it houseNumber
            "idImage": f"https://files.sandbox.bitnob.test/users/{user.id}/id.jpg",
            "kycPassed": user.kyc_passed,
        }

    # -- cards ----------------------------------------------------------------------------------
    def _create(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        _check_fields(
            body,
            required={
                "customerReference": _string,
                "cardBrand": _string,
                "cardType": _string,
                "reference": _string,
                "amount": _dollars,
            },
            optional={"firstName": _string, "lastName": _string},
        )
        brand = body["cardBrand"].lower()
        if brand not in BINS:
            raise bad_request("cardBrand must be one of the following values: visa, mastercard")
        if body["cardType"] not in ("virtual", "giftcard"):
            raise bad_request("cardType must be one of the following values: virtual, giftcard")
        if body["cardType"] == "giftcard" and brand != "visa":
            raise bad_request("giftcard is only available for visa cards")
        user = next(
            (
                u
                for u in self.users.values()
                if u.fields["customerReference"] == body["customerReference"]
            ),
            None,
        )
        if user is None:
            raise ApiError(404, "card user not found", "Not Found")
        if user.kyc_passed is not True:
            raise bad_request("card user has not passed KYC verification")
        self._fresh_reference(body["reference"])
        cents = int(body["amount"]) * 100
        if cents > self.wallet_cents:
            raise bad_request("insufficient balance in your USD wallet")
        self.wallet_cents -= cents
        self.references.add(body["reference"])
        card = self._new_card(user, brand, body["cardType"], body["reference"], cents)
        name = f"{body.get('firstName', user.fields['firstName'])} {body.get('lastName', '')}"
        card.name = name.strip()
        answer = {
            "id": card.id,
            "createdAt": _iso(card.created_at),
            "updatedAt": _iso(card.created_at),
            "cardType": "virtual",
            "cardBrand": brand,
            "cardUserId": user.id,
            "reference": card.reference,
            "createdStatus": "pending",
            "customerId": None,
        }
        if self.auto_create:
            self._bring_to_life(card)
        return "card creation in progress", answer

    def _new_card(
        self, user: FakeUser, brand: str, card_type: str, reference: str, cents: int
    ) -> FakeCard:
        card = FakeCard(
            id=str(uuid.uuid4()),
            user=user,
            brand=brand,
            card_type=card_type,
            reference=reference,
            initial_cents=cents,
            name=f"{user.fields['firstName']} {user.fields['lastName']}",
            created_at=self._now(),
        )
        self.cards[card.id] = card
        return card

    def _bring_to_life(self, card: FakeCard) -> None:
        partial = BINS[card.brand] + f"{next(self._digits):09d}"
        card.number = partial + luhn_check_digit(partial)
        card.cvv = f"{int(card.number[-6:-3]) % 900 + 100}"
        card.expiry = card.created_at.replace(year=card.created_at.year + 3)
        card.created_status = "success"
        card.balance = card.initial_cents
        if card.initial_cents:
            self._txn(card, card.initial_cents, "credit", "topup", card.reference, "success")

    def _list_cards(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        rows, meta = _paged(list(self.cards.values()), request.query, key=lambda c: c.created_at)
        return "successfully fetched cards", {
            "cards": [self._card_row(c) for c in rows],
            "meta": meta,
        }

    def _get_card(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        return "successfully fetched virtual card", self._card_json(self._card(params["id"]))

    def _card(self, card_id: str) -> FakeCard:
        if card_id not in self.cards:
            raise ApiError(404, "card not found", "Not Found")
        return self.cards[card_id]

    def _card_row(self, card: FakeCard) -> dict[str, Any]:
        """A card in the list: the documented list fields (no number, no balance)."""
        return {
            "id": card.id,
            "createdAt": _iso(card.created_at),
            "updatedAt": _iso(card.created_at),
            "last4": card.number[-4:] if card.number else None,
            "cardName": card.name,
            "cardType": "virtual",
            "cardBrand": card.brand,
            "expiry": _iso(card.expiry) if card.expiry else None,
            "valid": card.expiry.strftime("%m/%Y") if card.expiry else None,
            "status": card.status,
            "reference": card.reference,
            "createdStatus": card.created_status,
            "customerId": None,
        }

    def _card_json(self, card: FakeCard) -> dict[str, Any]:
        secret = not self.hide_secrets
        f = card.user.fields
        return {
            **self._card_row(card),
            "balance": card.balance,
            "cardNumber": card.number if secret else None,
            "cvv2": card.cvv if secret else None,
            "cardUserId": card.user.id,
            "customerReference": f["customerReference"],
            "city": f["city"],
            "street": f["line1"],
            "country": f["country"],
            "zipCode": f["zipCode"],
            "countryCode": "NG" if f["country"] == "Nigeria" else "US",
        }

    def _live(self, card: FakeCard) -> None:
        if card.created_status == "pending":
            raise bad_request("card is not active yet")
        if card.created_status == "failed":
            raise bad_request("card creation failed")
        if card.status == "terminated":
            raise bad_request("card has been terminated")

    # -- money ----------------------------------------------------------------------------------
    def _topup(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        card, cents = self._money_call(body)
        if card.status == "frozen":
            raise bad_request("card is frozen")
        if cents > self.wallet_cents:
            raise bad_request("insufficient balance in your USD wallet")
        self.wallet_cents -= cents
        txn = self._txn(card, cents, "credit", "topup", body["reference"], "pending")
        if not self.hold_money:
            txn.status = "success"
            card.balance += cents
        return "top up in progress", self._money_json(txn)

    def _withdraw(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        card, cents = self._money_call(body)
        if card.status == "frozen":
            raise bad_request("card is frozen")
        if cents > card.balance:
            raise bad_request("insufficient card balance")
        # a withdrawal is recorded as type "credit" with method "withdrawal", as documented
        txn = self._txn(card, cents, "credit", "withdrawal", body["reference"], "pending")
        if not self.hold_money:
            txn.status = "success"
            card.balance -= cents
            self.wallet_cents += cents
        return "withdrawal in progress", self._money_json(txn)

    def _money_call(self, body: Any) -> tuple[FakeCard, int]:
        _check_fields(body, required={"amount": _cents, "cardId": _string, "reference": _string})
        card = self._card(body["cardId"])
        self._live(card)
        self._fresh_reference(body["reference"])
        self.references.add(body["reference"])
        return card, body["amount"]

    def _fresh_reference(self, reference: str) -> None:
        if reference in self.references:
            raise bad_request("reference already exists")

    def _money_json(self, txn: FakeTxn) -> dict[str, Any]:
        return {
            "id": txn.id,
            "createdAt": _iso(txn.created_at),
            "updatedAt": _iso(txn.created_at),
            "amount": txn.cents / 100,  # number, dollars
            "centAmount": txn.cents,  # number, cents
            "type": txn.type,
            "method": txn.method,
            "status": "pending",
            "currency": "usd",
            "reference": txn.reference,
            "cardId": txn.card_id,
        }

    def _txn(
        self,
        card: FakeCard,
        cents: int,
        kind: str,
        method: str,
        reference: str,
        status: str,
        narrative: str | None = None,
    ) -> FakeTxn:
        txn = FakeTxn(
            str(uuid.uuid4()),
            card.id,
            cents,
            kind,
            method,
            status,
            reference,
            self._now(),
            narrative,
        )
        self.txns.append(txn)
        return txn

    def _card_transactions(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        card = self._card(params["id"])
        rows, meta = _paged(
            [t for t in self.txns if t.card_id == card.id],
            request.query,
            key=lambda t: t.created_at,
        )
        return "successfully fetched virtual card", {
            "cardTransactions": [self._txn_json(t) for t in rows],
            "meta": meta,
        }

    def _txn_json(self, txn: FakeTxn) -> dict[str, Any]:
        dollars = f"{txn.cents / 100:g}"
        return {
            "id": txn.id,
            "createdAt": _iso(txn.created_at),
            "updatedAt": _iso(txn.created_at),
            "amount": str(txn.cents) if self.quirky_amounts else dollars,  # string
            "centAmount": str(txn.cents),  # string
            "type": txn.type,
            "method": txn.method,
            "narrative": txn.narrative,
            "status": txn.status,
            "currency": "usd",
            "reference": txn.reference,
            "cardId": txn.card_id,
        }

    # -- card state -----------------------------------------------------------------------------
    def _freeze(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        card = self._state_call(body)
        if card.status == "frozen":
            raise bad_request("card is already frozen")
        card.status = "frozen"
        return "card frozen successfully", self._card_json(card)

    def _unfreeze(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        card = self._state_call(body)
        if card.status != "frozen":
            raise bad_request("card is not frozen")
        card.status = "active"
        return "card unfrozen successfully", self._card_json(card)

    def _terminate(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        _check_fields(body, required={"cardId": _string})
        card = self._card(body["cardId"])
        if card.status == "terminated":
            raise bad_request("card has already been terminated")
        self._live(card)
        card.status = "terminated"  # the answer still shows the balance at termination
        return "card terminated successfully", self._card_json(card)

    def _state_call(self, body: Any) -> FakeCard:
        _check_fields(body, required={"cardId": _string})
        card = self._card(body["cardId"])
        self._live(card)
        return card

    def _airline(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        _check_fields(body, required={"cardId": _string, "isAirlinePaymentEnabled": _boolean})
        card = self._card(body["cardId"])
        self._live(card)
        card.airline = body["isAirlinePaymentEnabled"]
        state = "enabled" if card.airline else "disabled"
        return f"airline payments {state} successfully", _NO_DATA

    def _mock(self, request: web.Request, params: dict[str, str], body: Any) -> Any:
        _check_fields(
            body,
            required={"cardId": _string, "amount": _digit_string},
            optional={"type": _string},
        )
        kind = body.get("type", "deduct")
        if kind not in ("deduct", "credit"):
            raise bad_request("type must be one of the following values: deduct, credit")
        card = self._card(body["cardId"])
        if card.created_status != "success":
            raise bad_request("card is not active yet")
        cents = int(body["amount"])
        reference = f"MOCK_{uuid.uuid4().hex[:12]}"
        if kind == "credit":
            self._txn(card, cents, "credit", "reversal", reference, "success", "Mock refund")
            card.balance += cents
        elif card.status != "active":
            self._txn(card, cents, "debit", "card", reference, "failed", f"Declined: {card.status}")
        elif cents > card.balance:
            self._txn(card, cents, "debit", "card", reference, "failed", "Declined: insufficient")
        else:
            self._txn(card, cents, "debit", "card", reference, "success", "Mock purchase")
            card.balance -= cents
        return "successfully mocked card transaction", _NO_DATA

    def _now(self) -> datetime:
        return START + timedelta(seconds=next(self._ticks))


_NO_DATA: Any = object()
PAGING = {"order", "page", "take"}


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"statusCode": exc.status, "message": exc.message}
    if exc.error:
        body["error"] = exc.error
    return web.json_response(body, status=exc.status)


def _paged(
    items: list[Any], query: Any, key: Callable[[Any], datetime]
) -> tuple[list[Any], dict[str, Any]]:
    order = query.get("order", "ASC")
    page = int(query.get("page", "1"))
    take = int(query.get("take", "10"))
    ordered = sorted(items, key=key, reverse=order == "DESC")
    rows = ordered[(page - 1) * take : page * take]
    page_count = max((len(ordered) + take - 1) // take, 1)
    return rows, {
        "page": page,
        "take": take,
        "itemCount": len(ordered),
        "pageCount": page_count,
        "hasPreviousPage": page > 1,
        "hasNextPage": page < page_count,
    }


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- field checks: each returns a problem or None ------------------------------------------------
Check = Callable[[str, Any], str | None]


def _string(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{name} must be a string"
    return None if value.strip() else f"{name} should not be empty"


def _boolean(name: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"{name} must be a boolean value"


def _cents(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} must be an integer number"
    if value <= 0:
        return f"{name} must be a positive number"
    return None if value <= INT32_MAX else f"{name} must not be greater than {INT32_MAX}"


def _dollars(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{name} must be a string"
    return None if re.fullmatch(r"\d+", value) else f"{name} must be a whole number of dollars"


def _digit_string(name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{name} must be a string"
    return None if re.fullmatch(r"[1-9]\d*", value) else f"{name} must be a numeric string"


def _check_fields(
    body: Any, required: dict[str, Check], optional: dict[str, Check] | None = None
) -> None:
    optional = optional or {}
    problems = [f"property {k} should not exist" for k in body if k not in {**required, **optional}]
    for name, check in required.items():
        if name not in body or body[name] is None:
            problems.append(f"{name} should not be empty")
        else:
            problem = check(name, body[name])
            if problem:
                problems.append(problem)
    for name, check in optional.items():
        if name in body:
            problem = check(name, body[name])
            if problem:
                problems.append(problem)
    if problems:
        raise bad_request(*problems)


def _image(name: str, value: Any) -> str | None:
    """A URL or base64 image data."""
    problem = _string(name, value)
    if problem:
        return problem
    if value.startswith(("https://", "http://")):
        return None
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return f"{name} must be a URL or base64-encoded image"
    return None


def _iso_date(name: str, value: Any) -> str | None:
    problem = _string(name, value)
    if problem:
        return problem
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"{name} must be a valid date in YYYY-MM-DD format"
    return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else f"{name} must be YYYY-MM-DD"


def _country_name(name: str, value: Any) -> str | None:
    problem = _string(name, value)
    if problem:
        return problem
    if re.fullmatch(r"[A-Za-z]{2,3}", value) and value.isupper():
        return f"{name} must be the name of a country, not a code"
    return None


REGISTRATION: dict[str, Check] = {
    "customerReference": _string,
    "idNumber": _string,
    "idType": _string,
    "firstName": _string,
    "lastName": _string,
    "country": _country_name,
    "phoneNumber": _string,
    "city": _string,
    "state": _string,
    "zipCode": _string,
    "line1": _string,
    "houseName": _string,
    "userPhoto": _image,
    "idImage": _image,
}


def _check_registration(body: Any, extra: dict[str, Check] | None = None) -> dict[str, Any]:
    _check_fields(
        body,
        required=REGISTRATION,
        optional={"bvn": _string, "dateOfBirth": _iso_date, **(extra or {})},
    )
    problems = []
    if body["idType"] not in ID_TYPES:
        problems.append(
            f"idType must be one of the following values: {', '.join(sorted(ID_TYPES))}"
        )
    if body["country"] == "Nigeria" and not body.get("bvn"):
        problems.append("bvn is required for Nigerian card users")
    if "bvn" in body and not re.fullmatch(r"\d{11}", body["bvn"]):
        problems.append("bvn must be 11 digits")
    if body["country"] == "Ghana" and not body.get("dateOfBirth"):
        problems.append("dateOfBirth is required for Ghanaian card users")
    if not body["phoneNumber"].startswith("+"):
        problems.append("phoneNumber must be in international format")
    if problems:
        raise bad_request(*problems)
    return {k: v for k, v in body.items() if k != "cardId"}
