"""A strict local fake of the Numero card API (seed 000), for contract tests.

It serves the documented card and cardholder endpoints under ``/numeroaccount/api/v1`` on
127.0.0.1 (random port) and answers the way the docs say Numero does:

- every answer is HTTP 200, success or failure in the body, in either documented envelope
  (``envelope="classic"``: ``{status, message, code, version, reference, data, error}``;
  ``envelope="canonical"``: ``{data, error: {message, param}, meta: {request_id, pagination}}``);
- auth is the ``X-Numero-Api-Key`` header only (``x-api-key`` of the older page is refused);
- amounts are US dollars as JSON numbers: strings, booleans, more than two decimals, zero or
  negative amounts are refused, and money comes out of / goes back to the business's USD card
  wallet (fund-first), so a cents figure sent as dollars runs into the wallet's balance;
- request bodies are checked field by field: unknown field names and missing required ones are
  refused, as are bad dates, countries, capabilities and product codes;
- card states follow the documented lifecycle (Pending → Active ⇄ Frozen, Terminated final;
  three consecutive insufficient-balance declines terminate a card), and invalid transitions
  are refused with an error;
- issuing without the card entitlement returns ``approval_required``.

Shapes the docs leave open follow the adapter's documented guesses (products, reveal, card
list paging, cardholder status values), so a change to a guess shows up here too.

State lives in memory. Every call is recorded (``calls``). Tests inject faults with
``fail_next(...)``: an HTTP 5xx or 429 (with ``retry_after``), the same in-body, a dropped
connection or a hang — before or after the fake has applied the call. Test inputs: a
cardholder whose last name is ``Reject`` is rejected; ``spend``/``refund``/``terminate`` play the
card network and Watchtower.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from services.providers.luhn import luhn_check_digit

PREFIX = "/numeroaccount/api/v1"
DEFAULT_KEY = "test_key_numero_0123456789abcdef"
CAPABILITIES = ("USD", "APPLE_PAY", "GOOGLE_PAY")
ID_TYPE = re.compile(r"[A-Z][A-Z_]{1,30}")
COUNTRY = re.compile(r"[A-Z]{2}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISSUE_FIELDS = {"productCode", "capability", "initialBalance", "label", "brand"}
CARDHOLDER_FIELDS = {
    "firstName",
    "lastName",
    "email",
    "phone",
    "dateOfBirth",
    "address1",
    "city",
    "state",
    "zipcode",
    "country",
    "idType",
    "idNumber",
    "bvn",
    "idDocumentFrontUrl",
}


@dataclass(frozen=True)
class FakeProduct:
    code: str
    name: str
    capabilities: tuple[str, ...]
    brand: str = "visa"
    available: bool = True


DEFAULT_PRODUCTS = (
    FakeProduct("USD_VIRTUAL", "USD Virtual Card", ("USD",)),
    FakeProduct("USD_APPLE_PAY", "USD Apple Pay Card", ("APPLE_PAY",)),
    FakeProduct("USD_GOOGLE_PAY", "USD Google Pay Card", ("GOOGLE_PAY",)),
)


class ApiError(Exception):
    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


@dataclass
class Call:
    method: str
    path: str  # relative to the base URL, e.g. /business/card/NCRD…/topup
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    outcome: str = ""


@dataclass
class Fault:
    kind: str  # http (status), envelope (in-body code), drop (connection closed), hang
    status: int = 500
    apply: bool = False  # carry the call out first, then fail
    method: str | None = None
    path: str | None = None  # a regular expression searched in the relative path
    retry_after: float | None = None
    times: int = 1
    skip: int = 0  # let this many matching calls through first

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass
class FakeTransaction:
    reference: str
    type: str
    amount: Decimal
    status: str
    description: str
    merchant_name: str | None
    occurred_at: datetime

    def view(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "type": self.type,
            "amount": self.amount,
            "currency": "USD",
            "status": self.status,
            "description": self.description,
            "merchantName": self.merchant_name,
            "merchantId": None
            if self.merchant_name is None
            else "MID" + re.sub(r"[^A-Z0-9]", "", self.merchant_name.upper())[:8],
            "network": "visa",
            "country": "US",
            "occurredAt": self.occurred_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass
class FakeCardholder:
    customer_id: str
    fields: dict[str, Any]
    status: str
    created_at: datetime
    decide_at: datetime
    outcome: str = "Active"

    def view(self, active_cards: int) -> dict[str, Any]:
        return {
            "customerId": self.customer_id,
            "firstName": self.fields["firstName"],
            "lastName": self.fields["lastName"],
            "email": self.fields.get("email"),
            "phone": self.fields.get("phone"),
            "country": self.fields.get("country"),
            "status": self.status,
            "activeCardCount": active_cards,
            "createdAt": self.created_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass
class FakeCard:
    reference: str
    customer_id: str
    product: str
    capability: str
    label: str | None
    brand: str
    pan: str
    cvv: str
    expiry_month: int
    expiry_year: int
    status: str
    issued_at: datetime
    activate_at: datetime
    balance: Decimal = Decimal("0.00")
    daily_limit: Decimal | None = None
    per_transaction_limit: Decimal | None = None
    declines_in_a_row: int = 0
    transactions: list[FakeTransaction] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "cardReference": self.reference,
            "customerId": self.customer_id,
            "label": self.label,
            "brand": self.brand,
            "firstSix": self.pan[:6],
            "lastFour": self.pan[-4:],
            "expiryMonth": f"{self.expiry_month:02d}",
            "expiryYear": str(self.expiry_year),
            "currency": "USD",
            "balance": self.balance,
            "status": self.status,
            "isPhysical": False,
            "dailyLimit": self.daily_limit,
            "perTransactionLimit": self.per_transaction_limit,
            "issuedAt": self.issued_at.isoformat().replace("+00:00", "Z"),
            "capabilities": [self.capability],
        }


def _dumps(payload: Any) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):  # a JSON number (exact for two-decimal dollar values)
            return float(value)
        raise TypeError(type(value).__name__)

    return json.dumps(payload, default=default)


class NumeroFake:
    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        *,
        envelope: str = "classic",
        clock: Callable[[], datetime] | None = None,
        kyc_delay: float = 0.0,
        card_activation_delay: float = 0.0,
        wallet: Decimal | str = "1000.00",
        entitled: bool = True,
        products: tuple[FakeProduct, ...] = DEFAULT_PRODUCTS,
    ) -> None:
        if envelope not in ("classic", "canonical"):
            raise ValueError(envelope)
        self.api_key = api_key
        self.envelope = envelope
        self.clock = clock or (lambda: datetime.now(UTC))
        self.kyc_delay = timedelta(seconds=kyc_delay)
        self.card_activation_delay = timedelta(seconds=card_activation_delay)
        self.wallet = Decimal(wallet)
        self.entitled = entitled
        self.products = {p.code: p for p in products}
        self.cardholders: dict[str, FakeCardholder] = {}
        self.cards: dict[str, FakeCard] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random(117)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --
    async def start(self) -> str:
        app = web.Application(client_max_size=1024**2)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> NumeroFake:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    # -- test controls --
    def fail_next(
        self,
        kind: str = "http",
        *,
        status: int = 500,
        apply: bool = False,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Fail the next matching call(s): kind ``http`` (HTTP ``status``), ``envelope`` (HTTP
        200 with ``code`` = status in the body), ``drop`` (connection closed without an
        answer) or ``hang`` (no answer until the fake closes). ``apply=True`` carries the call
        out first: the provider acted, the client cannot tell. ``skip`` lets that many matching
        calls through before the first failure."""
        if kind not in ("http", "envelope", "drop", "hang"):
            raise ValueError(kind)
        self.faults.append(Fault(kind, status, apply, method, path, retry_after, times, skip))

    def release(self) -> None:
        """Let hung calls finish."""
        self._release.set()

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(path, c.path)]

    def card(self, reference: str) -> FakeCard:
        return self._card(reference)

    def approve(self, customer_id: str) -> None:
        self.cardholders[customer_id].status = "Active"

    def reject(self, customer_id: str) -> None:
        self.cardholders[customer_id].status = "Rejected"

    def terminate(self, reference: str) -> None:
        """Watchtower (or the dashboard) terminates a card; there is no API call for it."""
        self._card(reference).status = "Terminated"

    def activate(self, reference: str) -> None:
        card = self._card(reference)
        if card.status == "Pending":
            card.status = "Active"

    def spend(
        self, reference: str, amount: Decimal | str, merchant: str = "Netflix"
    ) -> FakeTransaction:
        """A purchase settles on the card (or is declined), as the network reports it."""
        card = self._card(reference)
        value = Decimal(amount)
        reason = None
        if card.status != "Active":
            reason = f"Card {card.status.lower()}"
        elif card.per_transaction_limit is not None and value > card.per_transaction_limit:
            reason = "Over per-transaction limit"
        elif value > card.balance:
            reason = "Insufficient balance"
        if reason is None:
            card.balance -= value
            card.declines_in_a_row = 0
            return self._record(card, "Settlement", value, "Successful", merchant, merchant)
        txn = self._record(card, "Decline", value, "Declined", reason, merchant)
        if reason == "Insufficient balance":
            card.declines_in_a_row += 1
            if card.declines_in_a_row >= 3:  # [seed] three in a row auto-terminate the card
                card.status = "Terminated"
        return txn

    def refund(self, reference: str, amount: Decimal | str, merchant: str) -> FakeTransaction:
        card = self._card(reference)
        value = Decimal(amount)
        card.balance += value
        return self._record(card, "Refund", value, "Successful", f"Refund {merchant}", merchant)

    # -- dispatch --
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"].rstrip("/")
        raw = await request.read()
        try:
            body: Any = json.loads(raw, parse_float=Decimal) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        call = Call(
            request.method,
            path,
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        self.calls.append(call)
        fault = self._take_fault(request.method, path)
        if fault is not None and not fault.apply:
            return await self._fault(fault, call, request)
        if request.headers.get("X-Numero-Api-Key") != self.api_key:
            response = self._failure(ApiError("401", "Invalid or missing API key"), call)
        else:
            response = await self._route(request, path, raw, call)
        if fault is not None:  # applied: now fail as asked
            return await self._fault(fault, call, request)
        return response

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _fault(self, fault: Fault, call: Call, request: web.Request) -> web.StreamResponse:
        call.outcome = f"fault:{fault.kind}:{fault.status}" + (":applied" if fault.apply else "")
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if fault.kind == "hang":
            await self._release.wait()
            return web.Response(status=504)
        message = "Too many requests" if fault.status == 429 else "Service temporarily unavailable"
        payload = self._error_payload(ApiError(str(fault.status), message))
        if fault.retry_after is not None:
            payload["retry_after"] = fault.retry_after
        status = fault.status if fault.kind == "http" else 200
        return web.Response(status=status, text=_dumps(payload), content_type="application/json")

    async def _route(self, request: web.Request, path: str, raw: bytes, call: Call) -> web.Response:
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/business/card/products", self._products),
            ("POST", r"/business/card/issue", self._issue_direct),
            ("GET", r"/business/card", self._list_cards),
            ("GET", r"/business/card/(?P<ref>[^/]+)", self._get_card),
            ("POST", r"/business/card/(?P<ref>[^/]+)/topup", self._topup),
            ("POST", r"/business/card/(?P<ref>[^/]+)/withdraw", self._withdraw),
            ("POST", r"/business/card/(?P<ref>[^/]+)/freeze", self._freeze),
            ("POST", r"/business/card/(?P<ref>[^/]+)/unfreeze", self._unfreeze),
            ("POST", r"/business/card/(?P<ref>[^/]+)/limits", self._limits),
            ("POST", r"/business/card/(?P<ref>[^/]+)/reveal", self._reveal),
            ("GET", r"/business/card/(?P<ref>[^/]+)/transactions", self._card_statement),
            ("POST", r"/business/cardholders", self._create_cardholder),
            ("GET", r"/business/cardholders", self._list_cardholders),
            ("GET", r"/business/cardholders/(?P<cid>[^/]+)", self._get_cardholder),
            ("GET", r"/business/cardholders/(?P<cid>[^/]+)/cards", self._cardholder_cards),
            ("POST", r"/business/cardholders/(?P<cid>[^/]+)/cards", self._issue_to_cardholder),
            (
                "GET",
                r"/business/cardholders/(?P<cid>[^/]+)/transactions",
                self._cardholder_statement,
            ),
        ]
        allowed = []
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match is None:
                continue
            allowed.append(method)
            if method != request.method:
                continue
            try:
                if method == "POST":
                    body = self._parse_body(request, raw)
                    result = handler(body, request.query, **match.groupdict())
                else:
                    if raw:
                        raise ApiError("400", "A GET request takes no body")
                    result = handler(request.query, **match.groupdict())
            except ApiError as exc:
                return self._failure(exc, call)
            data, pagination = result if isinstance(result, tuple) else (result, None)
            call.outcome = "ok"
            return self._success(data, pagination)
        if allowed:
            call.outcome = "405"
            return web.Response(status=405, headers={"Allow": ", ".join(sorted(set(allowed)))})
        return self._failure(ApiError("404", f"Route {request.method} {path} not found"), call, 404)

    # -- envelopes --
    def _reference(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    def _success(self, data: Any, pagination: dict[str, Any] | None = None) -> web.Response:
        reference = self._reference("NREF")
        if self.envelope == "classic":
            payload: dict[str, Any] = {
                "status": True,
                "message": "Successful",
                "code": "200",
                "version": "v1",
                "reference": reference,
                "data": data,
                "error": None,
            }
        else:
            meta: dict[str, Any] = {"request_id": reference}
            if pagination is not None:
                meta["pagination"] = pagination
            payload = {"data": data, "error": None, "meta": meta}
        return web.Response(text=_dumps(payload), content_type="application/json")

    def _error_payload(self, error: ApiError) -> dict[str, Any]:
        reference = self._reference("NREF")
        if self.envelope == "classic":
            return {
                "status": False,
                "message": "Unsuccessful",
                "code": error.code,
                "version": "v1",
                "reference": reference,
                "data": None,
                "error": {"message": error.message},
            }
        return {
            "data": None,
            "error": {"message": error.message, "param": error.param},
            "meta": {"request_id": reference},
        }

    def _failure(self, error: ApiError, call: Call, http_status: int = 200) -> web.Response:
        call.outcome = f"{error.code}: {error.message}"
        # [doc: errors-and-responses] every endpoint answers HTTP 200; the body says it failed
        return web.Response(
            status=http_status,
            text=_dumps(self._error_payload(error)),
            content_type="application/json",
        )

    # -- request checks --
    @staticmethod
    def _parse_body(request: web.Request, raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        if request.content_type != "application/json":
            raise ApiError("400", "Content-Type must be application/json")
        try:
            body = json.loads(raw, parse_float=Decimal)
        except ValueError as exc:
            raise ApiError("400", "Malformed JSON body") from exc
        if not isinstance(body, dict):
            raise ApiError("400", "The body must be a JSON object")
        return body

    @staticmethod
    def _fields(
        body: dict[str, Any], allowed: set[str], required: frozenset[str] | set[str] = frozenset()
    ) -> None:
        for name in body:
            if name not in allowed:
                raise ApiError("400", f"Unknown field '{name}'", name)
        for name in required:
            if body.get(name) in (None, ""):
                raise ApiError("400", f"'{name}' is required", name)

    @staticmethod
    def _dollars(body: dict[str, Any], name: str, *, allow_zero: bool = False) -> Decimal | None:
        """A USD amount: a JSON number in dollars, at most two decimals."""
        if name not in body or body[name] is None:
            return None
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise ApiError("400", f"'{name}' must be a number (USD)", name)
        amount = Decimal(value)
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise ApiError("400", f"'{name}' must have at most 2 decimal places", name)
        if amount < 0 or (amount == 0 and not allow_zero):
            raise ApiError("400", f"'{name}' must be greater than 0", name)
        return amount.quantize(Decimal("0.01"))

    @staticmethod
    def _text(body: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> None:
        if name not in body or body[name] is None:
            return
        value = body[name]
        if not isinstance(value, str) or not value.strip():
            raise ApiError("400", f"'{name}' must be a non-empty string", name)
        if pattern is not None and not pattern.fullmatch(value):
            raise ApiError("400", f"'{name}' is not valid", name)

    @staticmethod
    def _no_body(body: dict[str, Any]) -> None:
        if body:
            raise ApiError("400", f"Unknown field '{next(iter(body))}'", next(iter(body)))

    @staticmethod
    def _no_query(query: Any) -> None:
        for name in query:
            raise ApiError("400", f"Unknown query parameter '{name}'", name)

    @staticmethod
    def _page(query: Any, allowed: set[str]) -> tuple[int, int]:
        for name in query:
            if name not in allowed:
                raise ApiError("400", f"Unknown query parameter '{name}'", name)
        try:
            number = int(query.get("pageNumber", "1"))
            size = int(query.get("pageSize", "50"))
        except ValueError as exc:
            raise ApiError("400", "pageNumber and pageSize must be integers") from exc
        if number < 1:
            raise ApiError("400", "pageNumber must be at least 1", "pageNumber")
        if not 1 <= size <= 200:
            raise ApiError("400", "pageSize must be between 1 and 200", "pageSize")
        return number, size

    @staticmethod
    def _paged(items: list[Any], number: int, size: int) -> tuple[list[Any], dict[str, Any]]:
        chunk = items[(number - 1) * size : number * size]
        return chunk, {
            "page": number,
            "page_size": size,
            "total": len(items),
            "has_more": number * size < len(items),
        }

    # -- state --
    def _now(self) -> datetime:
        return self.clock()

    def _holder(self, customer_id: str) -> FakeCardholder:
        holder = self.cardholders.get(customer_id)
        if holder is None:
            raise ApiError("404", "Cardholder not found")
        if holder.status == "Pending" and self._now() >= holder.decide_at:
            holder.status = holder.outcome
        return holder

    def _card(self, reference: str) -> FakeCard:
        card = self.cards.get(reference)
        if card is None:
            raise ApiError("404", "Card not found")
        if card.status == "Pending" and self._now() >= card.activate_at:
            card.status = "Active"
        return card

    def _record(
        self,
        card: FakeCard,
        kind: str,
        amount: Decimal,
        status: str,
        description: str,
        merchant: str | None,
    ) -> FakeTransaction:
        txn = FakeTransaction(
            self._reference("NTXN"), kind, amount, status, description, merchant, self._now()
        )
        card.transactions.insert(0, txn)  # newest first
        return txn

    def _active_cards(self, customer_id: str) -> int:
        return sum(
            1 for c in self.cards.values() if c.customer_id == customer_id and c.status == "Active"
        )

    @staticmethod
    def _require_state(card: FakeCard, *allowed: str) -> None:
        if card.status in allowed:
            return
        raise ApiError(
            "400",
            {
                "Pending": "Card is pending activation",
                "Frozen": "Card is frozen",
                "Terminated": "Card is terminated",
                "Active": "Card is active",
            }[card.status],
        )

    # -- products --
    def _products(self, query: Any) -> Any:
        self._no_query(query)
        return {
            "entitlement": {"status": "approved" if self.entitled else "pending"},
            "products": [
                {
                    "productCode": p.code,
                    "name": p.name,
                    "brand": p.brand,
                    "currency": "USD",
                    "capabilities": list(p.capabilities),
                    "available": p.available,
                }
                for p in self.products.values()
            ],
        }

    # -- cardholders --
    def _create_cardholder(self, body: dict[str, Any], query: Any) -> Any:
        self._fields(body, CARDHOLDER_FIELDS, {"firstName", "lastName"})
        holder = self._new_cardholder(body)
        return holder.view(0)

    def _new_cardholder(self, body: dict[str, Any]) -> FakeCardholder:
        for name in CARDHOLDER_FIELDS - {"dateOfBirth", "country", "idType", "bvn"}:
            self._text(body, name)
        self._text(body, "dateOfBirth", DAY)
        self._text(body, "country", COUNTRY)
        self._text(body, "idType", ID_TYPE)
        self._text(body, "bvn", re.compile(r"\d{11}"))
        if body.get("dateOfBirth"):
            try:
                born = date.fromisoformat(body["dateOfBirth"])
            except ValueError as exc:
                raise ApiError("400", "'dateOfBirth' is not a date", "dateOfBirth") from exc
            if born >= self._now().date():
                raise ApiError("400", "'dateOfBirth' must be in the past", "dateOfBirth")
        if body.get("idNumber") and not body.get("idType"):
            raise ApiError("400", "'idType' is required with 'idNumber'", "idType")
        now = self._now()
        outcome = "Rejected" if str(body["lastName"]).strip().lower() == "reject" else "Active"
        holder = FakeCardholder(
            customer_id=self._reference("NCUS"),
            fields=dict(body),
            status="Pending" if self.kyc_delay else outcome,
            created_at=now,
            decide_at=now + self.kyc_delay,
            outcome=outcome,
        )
        self.cardholders[holder.customer_id] = holder
        return holder

    def _list_cardholders(self, query: Any) -> Any:
        number, size = self._page(query, {"pageNumber", "pageSize"})
        views = [self._holder(cid).view(self._active_cards(cid)) for cid in list(self.cardholders)]
        return self._paged(views, number, size)

    def _get_cardholder(self, query: Any, cid: str) -> Any:
        self._no_query(query)
        return self._holder(cid).view(self._active_cards(cid))

    def _cardholder_cards(self, query: Any, cid: str) -> Any:
        self._no_query(query)
        self._holder(cid)
        return [self._card(c.reference).view() for c in self.cards.values() if c.customer_id == cid]

    def _cardholder_statement(self, query: Any, cid: str) -> Any:
        number, size = self._page(query, {"pageNumber", "pageSize"})
        self._holder(cid)
        rows = [t for c in self.cards.values() if c.customer_id == cid for t in c.transactions]
        rows.sort(key=lambda t: t.occurred_at, reverse=True)
        chunk, pagination = self._paged([t.view() for t in rows], number, size)
        # [doc: cardholders-transactions] the example reuses `cardReference` for the customer
        return {"cardReference": cid, "transactions": chunk}, pagination

    # -- issuing --
    def _issue_direct(self, body: dict[str, Any], query: Any) -> Any:
        self._fields(
            body, CARDHOLDER_FIELDS | ISSUE_FIELDS, {"productCode", "firstName", "lastName"}
        )
        if not self.entitled:
            raise ApiError("403", "approval_required")
        holder_fields = {k: v for k, v in body.items() if k in CARDHOLDER_FIELDS}
        issue_fields = {k: v for k, v in body.items() if k in ISSUE_FIELDS}
        self._check_issue(issue_fields)
        holder = self._new_cardholder(holder_fields)
        return self._mint(holder, issue_fields)

    def _issue_to_cardholder(self, body: dict[str, Any], query: Any, cid: str) -> Any:
        self._fields(body, ISSUE_FIELDS, {"productCode"})
        if not self.entitled:
            raise ApiError("403", "approval_required")
        holder = self._holder(cid)
        self._check_issue(body)
        return self._mint(holder, body)

    def _check_issue(self, body: dict[str, Any]) -> None:
        for name in ("productCode", "capability", "label", "brand"):
            self._text(body, name)
        product = self.products.get(body["productCode"])
        if product is None or not product.available:
            raise ApiError("400", f"Unknown productCode '{body['productCode']}'", "productCode")
        capability = body.get("capability") or "USD"
        if capability not in CAPABILITIES:
            raise ApiError("400", "'capability' must be USD, APPLE_PAY or GOOGLE_PAY", "capability")
        if capability not in product.capabilities:
            raise ApiError(
                "400",
                f"Capability {capability} is not available on product {product.code}",
                "capability",
            )
        if body.get("brand") is not None and body["brand"] != product.brand:
            raise ApiError("400", f"'brand' {body['brand']} is not offered by {product.code}")
        self._dollars(body, "initialBalance", allow_zero=True)

    def _mint(self, holder: FakeCardholder, body: dict[str, Any]) -> Any:
        if holder.status != "Active":
            raise ApiError("400", f"Cardholder KYC is not approved ({holder.status})")
        initial = self._dollars(body, "initialBalance", allow_zero=True) or Decimal("0.00")
        if initial > self.wallet:
            raise ApiError("400", "Insufficient balance in USD card wallet")
        product = self.products[body["productCode"]]
        partial = "4" + "".join(str(self._random.randrange(10)) for _ in range(14))
        pan = partial + luhn_check_digit(partial)
        now = self._now()
        card = FakeCard(
            reference=self._reference("NCRD"),
            customer_id=holder.customer_id,
            product=product.code,
            capability=body.get("capability") or "USD",
            label=body.get("label"),
            brand=product.brand,
            pan=pan,
            cvv=f"{self._random.randrange(1000):03d}",
            expiry_month=now.month,
            expiry_year=now.year + 3,
            status="Pending" if self.card_activation_delay else "Active",
            issued_at=now,
            activate_at=now + self.card_activation_delay,
            balance=initial,
        )
        self.wallet -= initial
        self.cards[card.reference] = card
        return card.view()

    # -- cards --
    def _list_cards(self, query: Any) -> Any:
        number, size = self._page(query, {"pageNumber", "pageSize"})
        views = [self._card(ref).view() for ref in list(self.cards)]
        return self._paged(views, number, size)

    def _get_card(self, query: Any, ref: str) -> Any:
        self._no_query(query)
        return self._card(ref).view()

    def _topup(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._fields(body, {"amount"}, {"amount"})
        amount = self._dollars(body, "amount")
        assert amount is not None
        card = self._card(ref)
        self._require_state(card, "Active")
        if amount > self.wallet:
            raise ApiError("400", "Insufficient balance in USD card wallet")
        self.wallet -= amount
        card.balance += amount
        return self._movement(card, amount)

    def _withdraw(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._fields(body, {"amount"}, {"amount"})
        amount = self._dollars(body, "amount")
        assert amount is not None
        card = self._card(ref)
        self._require_state(card, "Active")
        if amount > card.balance:
            raise ApiError("400", "Insufficient card balance")
        card.balance -= amount
        self.wallet += amount
        return self._movement(card, amount)

    def _movement(self, card: FakeCard, amount: Decimal) -> Any:
        # Not a card view: the adapter has to read the card again (the docs don't show it).
        return {
            "cardReference": card.reference,
            "amount": amount,
            "currency": "USD",
            "balance": card.balance,
            "transactionReference": self._reference("NWTX"),
        }

    def _freeze(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._no_body(body)
        card = self._card(ref)
        if card.status == "Frozen":
            raise ApiError("400", "Card is already frozen")
        self._require_state(card, "Active")
        card.status = "Frozen"
        return card.view()

    def _unfreeze(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._no_body(body)
        card = self._card(ref)
        if card.status == "Active":
            raise ApiError("400", "Card is not frozen")
        self._require_state(card, "Frozen")
        card.status = "Active"
        return card.view()

    def _limits(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._fields(body, {"dailyLimit", "perTransactionLimit"})
        if not body:
            raise ApiError("400", "'dailyLimit' or 'perTransactionLimit' is required")
        daily = self._dollars(body, "dailyLimit")
        per_txn = self._dollars(body, "perTransactionLimit")
        card = self._card(ref)
        self._require_state(card, "Active", "Frozen", "Pending")
        new_daily = daily if "dailyLimit" in body else card.daily_limit
        new_per = per_txn if "perTransactionLimit" in body else card.per_transaction_limit
        if new_daily is not None and new_per is not None and new_per > new_daily:
            raise ApiError("400", "'perTransactionLimit' cannot exceed 'dailyLimit'")
        card.daily_limit, card.per_transaction_limit = new_daily, new_per
        return card.view()

    def _reveal(self, body: dict[str, Any], query: Any, ref: str) -> Any:
        self._no_body(body)
        card = self._card(ref)
        self._require_state(card, "Active", "Frozen")
        return {
            "cardReference": card.reference,
            "pan": card.pan,
            "cvv": card.cvv,
            "expiryMonth": f"{card.expiry_month:02d}",
            "expiryYear": str(card.expiry_year),
        }

    def _card_statement(self, query: Any, ref: str) -> Any:
        number, size = self._page(query, {"pageNumber", "pageSize"})
        card = self._card(ref)
        chunk, pagination = self._paged([t.view() for t in card.transactions], number, size)
        return {"cardReference": card.reference, "transactions": chunk}, pagination
