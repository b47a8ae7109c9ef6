"""A strict local fake of Cartevo's API (seed 002 and ``shared/providers/cartevo.md``).

An aiohttp server on 127.0.0.1 (random port) under ``/api/v1`` that keeps its state in memory,
records every call, and refuses what Cartevo would refuse:

- no or a wrong ``Authorization: Bearer <token>`` (tokens come from ``POST /auth/token`` with
  the right ``client_id``/``client_key`` and expire; ``expire_tokens()`` revokes them);
- a JSON body that is not JSON, an unknown or missing field, an amount that is not a JSON number
  in dollars with at most two decimals, below the minimum (1 on fund/withdraw) or over the card
  cap; a customer that is not multipart with its document as a file, a country given as a code;
- unknown customers and cards, KYC not approved, an empty company wallet, and the state rules
  (fund only ACTIVE, withdraw ACTIVE or FROZEN, freeze ACTIVE, unfreeze FROZEN, terminate once);
- unknown query parameters, page < 0 on card transactions (0-indexed) and < 1 elsewhere.

Answers use the documented envelope ``{success, statusCode, message, data}`` and error shape
``{success:false, statusCode, message, error}``; ``/auth/token`` answers un-enveloped.

Faults (``fail_next``) hit matching calls once each: ``500`` / ``429`` / ``401`` / ``502-html`` /
``soft-fail`` (HTTP 200 with success:false) / ``drop`` refuse without acting; ``500-after``,
``drop-after`` and ``hang-after`` act and then answer 500, drop the connection, or never answer.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from services.providers.luhn import luhn_check_digit

API = "/api/v1"
CLIENT_ID = "client_fake7q2x9"
CLIENT_KEY = "key_fake_4b8d1e7a9c"
CARD_CAP = Decimal("10000")
ID_DOCUMENT_TYPES = ("NIN", "PASSPORT", "VOTERS_CARD", "DRIVERS_LICENSE")
BINS = {"VISA": "453275", "MASTERCARD": "533758"}
CUSTOMER_TEXT = {
    "first_name": (3, 255),
    "last_name": (3, 255),
    "email": (3, 255),
    "country": (2, 255),
    "street": (2, 255),
    "city": (2, 255),
    "state": (2, 255),
    "postal_code": (3, 255),
    "country_iso_code": (1, 255),
    "country_phone_code": (1, 255),
    "phone_number": (3, 255),
    "identification_number": (1, 255),
    "id_document_type": (1, 255),
    "date_of_birth": (1, 255),
}
FRENCH = {
    "Insufficient balance": "Solde insuffisant",
    "Customer KYC not approved": "KYC du client non approuvé",
    "Card not found": "Carte introuvable",
}


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Call:
    method: str
    path: str  # below /api/v1, e.g. /cards/<id>/fund
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    status: int = 0  # what the fake answered (0: dropped or hung)


CALL = web.RequestKey("call", Call)


@dataclass
class Fault:
    kind: str
    method: str | None
    path: str | None
    retry_after: float | None = None
    header: bool = False
    message: str | None = None
    skip: int = 0  # let this many matching calls through first


@dataclass
class Customer:
    id: str
    fields: dict[str, str]
    kyc_status: str = "PENDING"
    document: bytes = b""
    created_at: str = ""


@dataclass
class Card:
    id: str
    customer_id: str
    brand: str
    status: str
    balance: Decimal
    pan: str
    cvv: str
    expiry_month: int
    expiry_year: int  # four digits
    name_on_card: str
    created_at: str


@dataclass
class Txn:
    id: str
    card_id: str
    type: str
    amount: Decimal
    status: str
    description: str
    created_at: str
    balance_after: Decimal


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _num(value: Decimal) -> Any:
    """Dollars as a JSON number (written by the custom encoder below)."""
    return value


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def _reply(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, cls=_Encoder),
        content_type="application/json",
        headers=headers,
    )


def _error_name(status: int) -> str:
    return {
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        409: "Conflict",
        422: "Unprocessable Entity",
        429: "Too Many Requests",
    }.get(status, "Internal Server Error")


class CartevoFake:
    def __init__(
        self,
        *,
        wallet: Decimal = Decimal("1000"),
        issuance_fee: Decimal = Decimal("1"),
        token_lifetime: int = 3600,
        create_shape: str = "example",  # example: data.card; schema: top-level card
        new_card_status: str = "ACTIVE",  # or PENDING (active on the next read)
        kyc_outcome: str | None = "APPROVED",  # decided on the first read; None: stays PENDING
        french: bool = False,
    ) -> None:
        self.wallet = wallet
        self.issuance_fee = issuance_fee
        self.token_lifetime = token_lifetime
        self.create_shape = create_shape
        self.new_card_status = new_card_status
        self.kyc_outcome = kyc_outcome
        self.french = french
        self.reveal_honoured = True  # False: reveal=true still answers tokens
        self.customers: dict[str, Customer] = {}
        self.cards: dict[str, Card] = {}
        self.txns: list[Txn] = []
        self.tokens: dict[str, float] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.reveals = 0
        self.token_requests = 0
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle --
    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]] = [
            ("POST", "/auth/token", self._token),
            ("POST", "/customers", self._create_customer),
            ("GET", "/customers", self._list_customers),
            ("GET", "/customers/{id}", self._get_customer),
            ("GET", "/customers/{id}/cards", self._customer_cards),
            ("POST", "/cards", self._create_card),
            ("GET", "/cards/{id}", self._get_card),
            ("POST", "/cards/{id}/fund", self._fund),
            ("POST", "/cards/{id}/withdraw", self._withdraw),
            ("PUT", "/cards/{id}/freeze", self._freeze),
            ("PUT", "/cards/{id}/unfreeze", self._unfreeze),
            ("POST", "/cards/{id}/terminate", self._terminate),
            ("GET", "/cards/{id}/transactions", self._transactions),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}{API}"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> CartevoFake:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- test controls --
    def fail_next(
        self,
        kind: str,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int = 1,
        retry_after: float | None = None,
        header: bool = False,
        message: str | None = None,
        skip: int = 0,
    ) -> None:
        """Make the next ``times`` matching calls fail (``path`` is a glob below /api/v1),
        after letting ``skip`` matching calls through."""
        for n in range(times):
            first = skip if n == 0 else 0
            self.faults.append(Fault(kind, method, path, retry_after, header, message, first))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def decide_kyc(self, customer_id: str, status: str) -> None:
        self.customers[customer_id].kyc_status = status

    def add_customer(self, *, kyc_status: str = "APPROVED", email: str | None = None) -> str:
        cid = str(uuid.uuid4())
        self.customers[cid] = Customer(
            cid,
            {"email": email or f"{cid}@example.com", "first_name": "Ada", "last_name": "Okafor"},
            kyc_status,
            created_at=_now(),
        )
        return cid

    def add_card(
        self,
        customer_id: str,
        *,
        brand: str = "VISA",
        balance: Decimal = Decimal("0"),
        status: str = "ACTIVE",
    ) -> str:
        card = self._new_card(customer_id, brand, balance, status, "ADA OKAFOR")
        return card.id

    def add_purchase(
        self, card_id: str, amount: Decimal, merchant: str, *, status: str = "SUCCESS"
    ) -> str:
        card = self.cards[card_id]
        if status == "SUCCESS":
            card.balance -= amount
        return self._txn(card, "SETTLEMENT", amount, status, merchant).id

    def add_transaction(
        self, card_id: str, kind: str, amount: Decimal, status: str, text: str = ""
    ) -> str:
        """A transaction as the upstream issuer reports it, without touching the balance."""
        return self._txn(self.cards[card_id], kind, amount, status, text).id

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fnmatch.fnmatch(c.path, pattern)]

    def customer_by_email(self, email: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.fields["email"] == email), None)

    # -- the pipeline: record, faults, auth, handler --
    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        path = request.path.removeprefix(API) if request.path.startswith(API) else request.path
        call = Call(
            request.method,
            path,
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.calls.append(call)
        request[CALL] = call
        fault = self._take_fault(request.method, path)
        if fault is not None and not fault.kind.endswith("-after"):
            refused = self._fault_answer(request, fault)
            call.status = refused.status
            return refused
        response: web.StreamResponse
        try:
            if path != "/auth/token":
                self._authorise(request)
            response = await handler(request)
        except Refusal as exc:
            response = self._refuse(exc.status, exc.message)
        if fault is not None and response.status < 400:  # carried out; now the answer goes wrong
            if fault.kind == "500-after":
                response = self._refuse(500, fault.message or "Internal server error")
            elif fault.kind == "drop-after":
                self._drop(request)
            elif fault.kind == "hang-after":
                await self._release.wait()
        call.status = response.status
        return response

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if (fault.method is None or fault.method == method) and (
                fault.path is None or fnmatch.fnmatch(path, fault.path)
            ):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                self.faults.remove(fault)
                return fault
        return None

    def _fault_answer(self, request: web.Request, fault: Fault) -> web.Response:
        if fault.kind == "500":
            return self._refuse(500, fault.message or "Issuance temporarily unavailable")
        if fault.kind == "429":
            body: dict[str, Any] = {
                "success": False,
                "statusCode": 429,
                "message": "Too many requests",
                "error": "Too Many Requests",
            }
            headers = {}
            if fault.header and fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            elif fault.retry_after is not None:
                body["retry_after"] = fault.retry_after
            return _reply(429, body, headers)
        if fault.kind == "401":
            return self._refuse(401, "Unauthorized")
        if fault.kind == "502-html":
            return web.Response(
                status=502,
                text="<html><body>502 Bad Gateway</body></html>",
                content_type="text/html",
            )
        if fault.kind == "soft-fail":
            return _reply(
                200,
                {
                    "success": False,
                    "statusCode": 400,
                    "message": fault.message or "Operation failed",
                    "error": "Bad Request",
                },
            )
        if fault.kind == "drop":
            self._drop(request)
        raise AssertionError(f"unknown fault {fault.kind}")

    @staticmethod
    def _drop(request: web.Request) -> None:
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError  # the client sees the connection go, with no answer

    def _refuse(self, status: int, message: str) -> web.Response:
        if self.french:
            message = FRENCH.get(message, message)
        return _reply(
            status,
            {
                "success": False,
                "statusCode": status,
                "message": message,
                "error": _error_name(status),
            },
        )

    def _authorise(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expires = self.tokens.get(token)
        if scheme != "Bearer" or expires is None or time.monotonic() >= expires:
            raise Refusal(401, "Unauthorized")

    @staticmethod
    def _ok(
        data: Any, status: int = 200, message: str = "Data retrieved successfully", **extra: Any
    ) -> web.Response:
        return _reply(
            status,
            {"success": True, "statusCode": status, "message": message, "data": data, **extra},
        )

    # -- request checks --
    @staticmethod
    def _query(request: web.Request, allowed: set[str]) -> dict[str, str]:
        unknown = set(request.query) - allowed
        if unknown:
            raise Refusal(400, f"query parameter {sorted(unknown)[0]} is not allowed")
        for name in ("reveal", "includeRaw", "sync", "lock", "freezeOnFailure", "enroll"):
            if name in request.query and request.query[name] not in ("true", "false"):
                raise Refusal(400, f"{name} must be a boolean value")
        return dict(request.query)

    @staticmethod
    def _int(query: dict[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
        raw = query.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"-?\d+", raw):
            raise Refusal(400, f"{name} must be an integer number")
        value = int(raw)
        if value < minimum:
            raise Refusal(400, f"{name} must not be less than {minimum}")
        if value > maximum:
            raise Refusal(400, f"{name} must not be greater than {maximum}")
        return value

    async def _json(
        self, request: web.Request, allowed: set[str], required: set[str]
    ) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise Refusal(400, "Content-Type must be application/json")
        try:
            body = json.loads(await request.text(), parse_float=Decimal)
        except ValueError as exc:
            raise Refusal(400, "Unexpected token in JSON") from exc
        request[CALL].json = body
        if not isinstance(body, dict):
            raise Refusal(400, "body must be an object")
        for name in body:
            if name not in allowed:
                raise Refusal(400, f"property {name} should not exist")
        for name in required:
            if body.get(name) in (None, ""):
                raise Refusal(400, f"{name} should not be empty")
        return body

    @staticmethod
    def _amount(value: Any, minimum: Decimal) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise Refusal(400, "amount must be a number conforming to the specified constraints")
        amount = Decimal(value)
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise Refusal(400, "amount must have at most 2 decimal places")
        if amount < minimum:
            raise Refusal(400, f"Amount must be at least {minimum}")
        return amount

    async def _no_body(self, request: web.Request) -> None:
        if (await request.read()).strip():
            raise Refusal(400, "This endpoint takes no body")

    def _customer(self, customer_id: str) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise Refusal(404, "Customer not found")
        return customer

    def _card(self, card_id: str) -> Card:
        card = self.cards.get(card_id)
        if card is None:
            raise Refusal(404, "Card not found")
        return card

    # -- auth --
    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        body = await self._json(request, {"client_id", "client_key"}, {"client_id", "client_key"})
        if body["client_id"] != CLIENT_ID or body["client_key"] != CLIENT_KEY:
            raise Refusal(401, "Invalid client credentials")
        token = "eyJ" + secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        # Auth endpoints answer raw, without the envelope.
        return _reply(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        )

    # -- customers --
    async def _create_customer(self, request: web.Request) -> web.Response:
        self._query(request, {"enroll"})
        if request.content_type != "multipart/form-data":
            raise Refusal(400, "Content-Type must be multipart/form-data")
        form = await request.post()
        call: Call = request[CALL]
        fields: dict[str, str] = {}
        for name, value in form.items():
            if isinstance(value, FileField):
                if name not in ("id_document_front", "id_document_back"):
                    raise Refusal(400, f"Unexpected file field {name}")
                content = value.file.read()
                call.files[name] = (value.filename, value.content_type, content)
            elif name in CUSTOMER_TEXT:
                fields[name] = str(value)
            else:
                raise Refusal(400, f"property {name} should not exist")
        call.form = dict(fields)
        for name, (low, high) in CUSTOMER_TEXT.items():
            value = fields.get(name, "")
            if not value:
                raise Refusal(400, f"{name} should not be empty")
            if not low <= len(value) <= high:
                raise Refusal(400, f"{name} must be between {low} and {high} characters")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", fields["email"]):
            raise Refusal(400, "email must be an email")
        if len(fields["country"]) <= 3 or fields["country"].isupper():
            raise Refusal(400, "country must be the full country name")
        if not re.fullmatch(r"[A-Z]{2}", fields["country_iso_code"]):
            raise Refusal(400, "country_iso_code must be an ISO 3166-1 alpha-2 code")
        if not re.fullmatch(r"\+\d{1,4}", fields["country_phone_code"]):
            raise Refusal(400, "country_phone_code must look like +234")
        if not re.fullmatch(r"\d{6,14}", fields["phone_number"]):
            raise Refusal(400, "phone_number must be the local number, digits only")
        if fields["id_document_type"] not in ID_DOCUMENT_TYPES:
            raise Refusal(400, f"id_document_type must be one of {', '.join(ID_DOCUMENT_TYPES)}")
        try:
            date.fromisoformat(fields["date_of_birth"])
        except ValueError as exc:
            raise Refusal(400, "date_of_birth must be a valid ISO 8601 date string") from exc
        front = call.files.get("id_document_front")
        if front is None:
            raise Refusal(400, "id_document_front is required")
        if not front[2] or not (front[1].startswith("image/") or front[1] == "application/pdf"):
            raise Refusal(400, "id_document_front must be an image or a PDF file")
        if self.customer_by_email(fields["email"]) is not None:
            raise Refusal(409, "Customer with this email already exists")
        cid = str(uuid.uuid4())
        customer = Customer(cid, fields, "PENDING", front[2], _now())
        self.customers[cid] = customer
        return self._ok(self._customer_view(customer), 201, "Customer created successfully")

    async def _list_customers(self, request: web.Request) -> web.Response:
        query = self._query(request, {"page", "limit"})
        page = self._int(query, "page", 1, 1, 10_000)  # 1-indexed here
        limit = self._int(query, "limit", 20, 1, 100)
        everyone = list(self.customers.values())
        chunk = everyone[(page - 1) * limit : page * limit]
        total = len(everyone)
        return self._ok(
            [self._customer_view(c) for c in chunk],
            meta={
                "page": page,
                "limit": limit,
                "total": total,
                "totalPages": max(1, -(-total // limit)),
            },
        )

    async def _get_customer(self, request: web.Request) -> web.Response:
        self._query(request, set())
        customer = self._customer(request.match_info["id"])
        if customer.kyc_status == "PENDING" and self.kyc_outcome is not None:
            rejected = customer.fields.get("last_name", "").lower() == "reject"
            customer.kyc_status = "REJECTED" if rejected else self.kyc_outcome
        return self._ok(self._customer_view(customer))

    async def _customer_cards(self, request: web.Request) -> web.Response:
        self._query(request, set())
        customer = self._customer(request.match_info["id"])
        cards = [c for c in self.cards.values() if c.customer_id == customer.id]
        return self._ok([self._card_view(c, created=True) for c in cards])

    @staticmethod
    def _customer_view(customer: Customer) -> dict[str, Any]:
        fields = customer.fields
        return {
            "id": customer.id,
            "first_name": fields.get("first_name"),
            "last_name": fields.get("last_name"),
            "email": fields.get("email"),
            "country": fields.get("country"),
            "phone_country_code": fields.get("country_phone_code"),
            "phone_number": fields.get("phone_number"),
            "type": fields.get("id_document_type"),
            "kyc_status": customer.kyc_status,
            "is_active": True,
            "created_at": customer.created_at,
            "updated_at": customer.created_at,
        }

    # -- cards --
    async def _create_card(self, request: web.Request) -> web.Response:
        self._query(request, set())
        body = await self._json(
            request, {"customer_id", "brand", "name_on_card", "amount"}, {"customer_id", "brand"}
        )
        customer_id = body["customer_id"]
        if not isinstance(customer_id, str) or not re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", customer_id
        ):
            raise Refusal(400, "customer_id must be a UUID")
        brand = body["brand"]
        if not isinstance(brand, str) or brand.upper() not in BINS:
            raise Refusal(400, "Invalid brand")
        name = body.get("name_on_card")
        if name is not None and (not isinstance(name, str) or len(name) > 50):
            raise Refusal(400, "name_on_card must be shorter than or equal to 50 characters")
        amount = self._amount(body["amount"], Decimal(0)) if "amount" in body else Decimal(0)
        if amount > CARD_CAP:
            raise Refusal(400, "amount must not be greater than 10000")
        customer = self._customer(customer_id)
        if customer.kyc_status != "APPROVED":
            raise Refusal(400, "Customer KYC not approved")
        if self.wallet < self.issuance_fee + amount:
            raise Refusal(400, "Insufficient balance")
        self.wallet -= self.issuance_fee + amount
        holder = f"{customer.fields.get('first_name', '')} {customer.fields.get('last_name', '')}"
        card = self._new_card(
            customer.id, brand.upper(), amount, self.new_card_status, name or holder.upper()
        )
        if amount:
            self._txn(card, "FUND", amount, "SUCCESS", "Card funding")
        view = self._card_view(card, created=True)
        auto = [] if name else ["name_on_card"]
        if self.create_shape == "schema":
            return _reply(
                201,
                {
                    "status": "success",
                    "message": "Card created successfully!",
                    "card": view,
                    "autoFilledFields": auto,
                },
            )
        return self._ok(
            {"card": view, "auto_filled_fields": auto}, 201, "Card created successfully"
        )

    def _new_card(
        self, customer_id: str, brand: str, balance: Decimal, status: str, name: str
    ) -> Card:
        partial = BINS[brand] + "".join(secrets.choice("0123456789") for _ in range(9))
        today = date.today()
        card = Card(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            brand=brand,
            status=status,
            balance=balance,
            pan=partial + luhn_check_digit(partial),
            cvv="".join(secrets.choice("0123456789") for _ in range(3)),
            expiry_month=today.month,
            expiry_year=today.year + 3,
            name_on_card=name,
            created_at=_now(),
        )
        self.cards[card.id] = card
        return card

    def _card_view(self, card: Card, *, created: bool = False, reveal: bool = False) -> Any:
        common = {
            "id": card.id,
            "status": card.status,
            "balance": _num(card.balance),
            "currency": "USD",
            "is_virtual": True,
            "is_physical": False,
            "expiry_month": card.expiry_month,
            "created_at": card.created_at,
        }
        if created:  # the create answer: brand, first 6 + last 4, four-digit year
            return {
                **common,
                "customer_id": card.customer_id,
                "brand": card.brand,
                "masked_pan": f"{card.pan[:6]}{'*' * (len(card.pan) - 10)}{card.pan[-4:]}",
                "expiry_year": card.expiry_year,
            }
        token = "tkFake_" + secrets.token_urlsafe(16)
        return {
            **common,
            "number": card.pan if reveal else token,
            "masked_pan": f"**** **** **** {card.pan[-4:]}",
            "cvv": card.cvv if reveal else "tkFake_" + secrets.token_urlsafe(8),
            "expiry_year": card.expiry_year % 100,  # get card shows 28, not 2028
        }

    async def _get_card(self, request: web.Request) -> web.Response:
        query = self._query(request, {"reveal", "includeRaw", "sync"})
        card = self._card(request.match_info["id"])
        if card.status == "PENDING":  # the upstream issuer finished in the meantime
            card.status = "ACTIVE"
        reveal = query.get("reveal") == "true"
        self.reveals += reveal
        return self._ok(self._card_view(card, reveal=reveal and self.reveal_honoured))

    async def _move(self, request: web.Request, kind: str) -> web.Response:
        self._query(request, set())
        card = self._card(request.match_info["id"])
        body = await self._json(request, {"amount"}, {"amount"})
        amount = self._amount(body["amount"], Decimal(1))
        if card.status == "TERMINATED":
            raise Refusal(400, "Card terminated")
        before = card.balance
        if kind == "fund":
            if card.status != "ACTIVE":
                raise Refusal(400, "Card is not active")
            if self.wallet < amount:
                raise Refusal(400, "Insufficient wallet balance")
            if card.balance + amount > CARD_CAP:
                raise Refusal(400, "Card balance cannot exceed 10000 USD")
            self.wallet -= amount
            card.balance += amount
            txn = self._txn(card, "FUND", amount, "SUCCESS", "Card funding")
            message = "Card funded successfully"
        else:
            if card.status not in ("ACTIVE", "FROZEN"):
                raise Refusal(400, "Card is not active")
            if card.balance < amount:
                raise Refusal(400, "Insufficient card balance")
            self.wallet += amount
            card.balance -= amount
            txn = self._txn(card, "WITHDRAWAL", amount, "SUCCESS", "Card withdrawal")
            message = "Card withdrawal successful"
        return self._ok(
            {
                "transaction_id": txn.id,
                "card_id": card.id,
                "amount": _num(amount),
                "currency": "USD",
                "fee_amount": 0,
                "card_balance_before": _num(before),
                "card_balance_after": _num(card.balance),
            },
            message=message,
        )

    async def _fund(self, request: web.Request) -> web.Response:
        return await self._move(request, "fund")

    async def _withdraw(self, request: web.Request) -> web.Response:
        return await self._move(request, "withdraw")

    async def _freeze(self, request: web.Request) -> web.Response:
        self._query(request, {"lock"})
        card = self._card(request.match_info["id"])
        await self._no_body(request)
        if card.status == "FROZEN":
            raise Refusal(400, "Card already frozen")
        if card.status == "TERMINATED":
            raise Refusal(400, "Card terminated")
        if card.status != "ACTIVE":
            raise Refusal(400, "Card is not active")
        card.status = "FROZEN"
        return self._ok(
            {"card_id": card.id, "card_status": "FROZEN"}, message="Card frozen successfully"
        )

    async def _unfreeze(self, request: web.Request) -> web.Response:
        self._query(request, set())
        card = self._card(request.match_info["id"])
        await self._no_body(request)
        if card.status == "TERMINATED":
            raise Refusal(400, "Card terminated")
        if card.status != "FROZEN":
            raise Refusal(400, "Card is not frozen")
        card.status = "ACTIVE"
        return self._ok(
            {"card_id": card.id, "card_status": "ACTIVE"}, message="Card unfrozen successfully"
        )

    async def _terminate(self, request: web.Request) -> web.Response:
        self._query(request, {"freezeOnFailure"})
        card = self._card(request.match_info["id"])
        await self._no_body(request)
        if card.status == "TERMINATED":
            raise Refusal(400, "Card already terminated")
        before = card.balance
        if before:
            self.wallet += before
            card.balance = Decimal(0)
            self._txn(card, "TERMINATION", before, "SUCCESS", "Card termination refund")
        card.status = "TERMINATED"
        return self._ok(
            {
                "card_id": card.id,
                "card_status": "TERMINATED",
                "refund_processed": True,
                "balance_before_termination": _num(before),
            },
            201,
            "Card terminated successfully",
        )

    async def _transactions(self, request: web.Request) -> web.Response:
        query = self._query(
            request,
            {"page", "limit", "fromDate", "toDate", "type", "status", "includeRaw", "sync"},
        )
        card = self._card(request.match_info["id"])
        page = self._int(query, "page", 0, 0, 10_000)  # 0-indexed here, unlike the rest
        limit = self._int(query, "limit", 50, 1, 100)
        rows = [t for t in reversed(self.txns) if t.card_id == card.id]  # newest first
        if "type" in query:
            rows = [t for t in rows if t.type == query["type"]]
        if "status" in query:
            rows = [t for t in rows if t.status == query["status"]]
        chunk = rows[page * limit : (page + 1) * limit]
        total = len(rows)
        return self._ok(
            [self._txn_view(t, card) for t in chunk],
            pagination={
                "page": page,
                "limit": limit,
                "total": total,
                "totalPages": max(1, -(-total // limit)),
            },
        )

    def _txn(self, card: Card, kind: str, amount: Decimal, status: str, text: str) -> Txn:
        txn = Txn(
            id=str(uuid.uuid4()),
            card_id=card.id,
            type=kind,
            amount=amount,
            status=status,
            description=text,
            created_at=_now(),
            balance_after=card.balance,
        )
        self.txns.append(txn)
        return txn

    def _txn_view(self, txn: Txn, card: Card) -> dict[str, Any]:
        return {
            "id": txn.id,
            "category": "CARD",
            "type": txn.type,
            "amount": _num(txn.amount),
            "status": txn.status,
            "description": txn.description,
            "created_at": txn.created_at,
            "card_balance_after": _num(txn.balance_after),
            "card": self._card_view(card),
        }

    async def _unknown(self, request: web.Request) -> web.Response:
        return self._refuse(404, f"Cannot {request.method} {request.path}")
