"""A strict local fake of EgaCard's card-program API (seed 003), for contract tests.

It serves the documented surface (SimpleJWT token pair and refresh, programs, managed cards, fund,
authorize, disputes; trailing slashes; Bearer user JWT) and the adapter's guessed completion of it
in Django REST Framework style (card list/detail, withdraw/freeze/unfreeze/terminate actions, a
card's transactions with page/page_size pagination, dollar amounts as decimal strings, DRF error
bodies, Django's HTML 5xx and 404 pages, 301 for a path without its slash, 429 with
Retry-After). It is stricter than DRF where that catches adapter mistakes: unknown body fields,
numbers where decimal strings are expected, and a missing JSON content type are refused.

Tests inject faults (``fail_next``, ``drop_next``, ``hang_next``), optionally after carrying the
call out (the provider acted, the answer is lost), and read ``calls`` to see what was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
WALLET_ID = "wal_7f3a"
MAX_CARD_BALANCE = Decimal("10000.00")
PROGRAMS: list[dict[str, Any]] = [
    {
        "code": "EGA-USD-VISA",
        "name": "USD Virtual Visa",
        "network": "visa",
        "currency": "USD",
        "form_factor": "virtual",
        "status": "active",
    },
    {
        "code": "EGA-USD-MC",
        "name": "USD Virtual Mastercard",
        "network": "mastercard",
        "currency": "USD",
        "form_factor": "virtual",
        "status": "active",
    },
    {
        "code": "EGA-NGN-VERVE",
        "name": "Naira Verve",
        "network": "verve",
        "currency": "NGN",
        "form_factor": "virtual",
        "status": "active",
    },
]
BINS = {"visa": "400000", "mastercard": "520000"}
# the documented card lifecycle [seed]
STATUSES = (
    "pending",
    "active",
    "frozen",
    "blocked",
    "expired",
    "terminated",
    "failed",
    "under_review",
)
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _required(name: str) -> ApiError:
    return ApiError(400, {name: ["This field is required."]})


def _refusal(detail: str, code: str, status: int = 400) -> ApiError:
    return ApiError(status, {"detail": detail, "code": code})


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
    mode: str  # status drop hang expire
    status: int = 500
    path: str | None = None  # matches calls whose path contains this
    method: str | None = None
    apply: bool = False  # carry the call out first: the provider acted, the answer is lost
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in path
        )


@dataclass
class FakeCard:
    reference: str
    program: str
    network: str
    currency: str
    status: str
    last4: str
    metadata: dict[str, Any]
    created_at: datetime
    balance: Decimal = Decimal("0.00")
    held: Decimal = Decimal("0.00")

    @property
    def available(self) -> Decimal:
        return self.balance - self.held

    def json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "program": self.program,
            "network": self.network,
            "currency": self.currency,
            "status": self.status,
            "balance": _money(self.balance),
            "available_balance": _money(self.available),
            "masked_pan": f"{BINS.get(self.network, '999999')}******{self.last4}",
            "last4": self.last4,
            "metadata": self.metadata,
            "created_at": _iso(self.created_at),
        }


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


class FakeCardProgram:
    """The fake API and its state. ``await start()`` gives its base URL."""

    def __init__(
        self,
        *,
        envelope: bool = False,
        refusals_as_200: bool = False,
        honour_idempotency: bool = True,
        activate_on_read: bool = True,
        wallet_balance: str = "1000.00",
        verified: bool = True,
        country_active: bool = True,
    ) -> None:
        self.envelope = envelope  # wrap answers in {status, message, data}
        self.refusals_as_200 = refusals_as_200  # with envelope: refusals as HTTP 200 status:false
        self.honour_idempotency = honour_idempotency  # reject a repeated idempotency key
        self.activate_on_read = activate_on_read  # the partner has activated it by the next read
        self.wallet = Decimal(wallet_balance)
        self.verified = verified
        self.country_active = country_active
        self.programs = [dict(p) for p in PROGRAMS]
        self.cards: dict[str, FakeCard] = {}
        self.transactions: dict[str, list[dict[str, Any]]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.idempotency_keys: set[str] = set()
        self.fail_issuance = False
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle --
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- test controls --
    def fail_next(
        self,
        status: int = 500,
        *,
        path: str | None = None,
        method: str | None = None,
        apply: bool = False,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self.faults.append(Fault("status", status, path, method, apply, retry_after))

    def drop_next(self, *, path: str | None = None, method: str | None = None, apply: bool = True):
        """Close the connection without an answer (after carrying the call out, by default)."""
        self.faults.append(Fault("drop", 0, path, method, apply))

    def hang_next(self, *, path: str | None = None, method: str | None = None, apply: bool = True):
        """Never answer (until the fake closes): the client's read timeout fires."""
        self.faults.append(Fault("hang", 0, path, method, apply))

    def expire_tokens_at_next(self, *, path: str, method: str | None = None) -> None:
        """Let every access token lapse just as the next matching call arrives (it gets 401)."""
        self.faults.append(Fault("expire", 0, path, method))

    def issue_tokens(self) -> tuple[str, str]:
        """A pre-issued access/refresh pair, as a deployment would paste in."""
        return self._new_tokens()

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def add_card(
        self,
        *,
        status: str = "active",
        balance: str = "0.00",
        network: str = "visa",
        metadata: dict[str, Any] | None = None,
    ) -> str:
        card = self._new_card(
            self.programs[0 if network == "visa" else 1], metadata or {}, status=status
        )
        card.balance = Decimal(balance)
        return card.reference

    def set_status(self, reference: str, status: str) -> None:
        assert status in STATUSES, status
        self.cards[reference].status = status

    def posts(self, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and fragment in c.path]

    def gets(self, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == "GET" and fragment in c.path]

    def card_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/cards/")]

    # -- HTTP --
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        headers = {name.lower(): value for name, value in request.headers.items()}
        call = Call(request.method, request.path, dict(request.query), headers, body)
        self.calls.append(call)
        fault = next((f for f in self.faults if f.matches(request.method, request.path)), None)
        if fault is not None and fault.mode == "expire":
            self.faults.remove(fault)
            self.access_tokens.clear()
            fault = None
        if fault is not None:
            self.faults.remove(fault)
            if fault.apply:
                self._handle(request, raw, body)
            return await self._fault(request, fault, call)
        response = self._handle(request, raw, body)
        call.status = response.status
        return response

    async def _fault(self, request: web.Request, fault: Fault, call: Call) -> web.StreamResponse:
        if fault.mode == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        if fault.mode == "hang":
            await self._release.wait()
            return web.Response(status=504)
        call.status = fault.status
        if fault.status == 429:
            wait = fault.retry_after if fault.retry_after is not None else 1
            return web.json_response(
                {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        return web.Response(  # Django's own error page, not JSON
            status=fault.status,
            text=f"<!doctype html><h1>Server Error ({fault.status})</h1>",
            content_type="text/html",
        )

    def _handle(self, request: web.Request, raw: bytes, body: Any) -> web.Response:
        path, method = request.path, request.method
        if not path.endswith("/"):  # Django's APPEND_SLASH
            return web.Response(status=301, headers={"Location": path + "/"})
        route = self._route(path)
        if route is None:
            return web.Response(status=404, text="<h1>Not Found</h1>", content_type="text/html")
        methods, handler, args = route
        try:
            if method not in methods:
                raise ApiError(405, {"detail": f'Method "{method}" not allowed.'})
            if not path.startswith("/api/v1/token/"):
                self._authenticate(request)  # DRF authenticates before it reads the body
            if method == "POST":
                body = self._json_body(request, raw, body)
            status, data = handler(request, body, *args)
        except ApiError as exc:
            return self._render_error(exc)
        return self._render(status, data)

    def _route(
        self, path: str
    ) -> tuple[set[str], Callable[..., tuple[int, Any]], tuple[str, ...]] | None:
        fixed: dict[str, tuple[set[str], Callable[..., tuple[int, Any]]]] = {
            "/api/v1/token/": ({"POST"}, self._token),
            "/api/v1/token/refresh/": ({"POST"}, self._token_refresh),
            "/cards/api/v1/programs/": ({"GET"}, self._programs),
            "/cards/api/v1/managed-cards/": ({"GET", "POST"}, self._cards),
            "/cards/api/v1/disputes/": ({"POST"}, self._dispute),
        }
        if path in fixed:
            methods, handler = fixed[path]
            return methods, handler, ()
        match = re.fullmatch(r"/cards/api/v1/managed-cards/([^/]+)/(?:([a-z_]+)/)?", path)
        if match is None:
            return None
        reference, action = match.group(1), match.group(2) or ""
        actions: dict[str, tuple[set[str], Callable[..., tuple[int, Any]]]] = {
            "": ({"GET"}, self._card),
            "fund": ({"POST"}, self._fund),
            "withdraw": ({"POST"}, self._withdraw),
            "authorize": ({"POST"}, self._authorize),
            "freeze": ({"POST"}, self._freeze),
            "unfreeze": ({"POST"}, self._unfreeze),
            "terminate": ({"POST"}, self._terminate),
            "transactions": ({"GET"}, self._transactions),
        }
        if action not in actions:
            return None
        methods, handler = actions[action]
        return methods, handler, (reference,)

    def _json_body(self, request: web.Request, raw: bytes, body: Any) -> dict[str, Any]:
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise ApiError(415, {"detail": f'Unsupported media type "{content_type}" in request.'})
        if raw and not isinstance(body, (dict, list)):
            raise ApiError(400, {"detail": "JSON parse error - Expecting value"})
        if not isinstance(body, dict):
            raise ApiError(
                400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
            )
        return body

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization")
        if header is None:
            raise ApiError(401, {"detail": "Authentication credentials were not provided."})
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or token not in self.access_tokens:
            raise ApiError(
                401,
                {
                    "detail": "Given token not valid for any token type",
                    "code": "token_not_valid",
                    "messages": [
                        {
                            "token_class": "AccessToken",
                            "token_type": "access",
                            "message": "Token is invalid or expired",
                        }
                    ],
                },
            )

    def _render(self, status: int, data: Any) -> web.Response:
        if self.envelope:
            data = {"status": True, "message": "Request successful", "data": data}
        return web.json_response(data, status=status)

    def _render_error(self, exc: ApiError) -> web.Response:
        headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else None
        if not self.envelope:
            return web.json_response(exc.body, status=exc.status, headers=headers)
        message = exc.body.get("detail") if isinstance(exc.body, dict) else None
        body = {"status": False, "message": message or "Validation failed", "errors": exc.body}
        if isinstance(exc.body, dict) and "code" in exc.body:
            body["code"] = exc.body["code"]
        business = exc.status == 400 and isinstance(exc.body, dict) and "code" in exc.body
        status = 200 if self.refusals_as_200 and business else exc.status
        return web.json_response(body, status=status, headers=headers)

    # -- validation --
    @staticmethod
    def _fields(body: dict[str, Any], allowed: set[str], required: set[str]) -> None:
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ApiError(400, {name: ["Unknown field."] for name in unknown})
        missing = sorted(required - set(body))
        if missing:
            raise ApiError(400, {name: ["This field is required."] for name in missing})

    @staticmethod
    def _amount(value: Any) -> Decimal:
        if not isinstance(value, str):
            raise ApiError(
                400, {"amount": ['Amounts are decimal strings in dollars, e.g. "25.00".']}
            )
        if not _AMOUNT.fullmatch(value):
            raise ApiError(400, {"amount": ["A valid number is required."]})
        amount = Decimal(value)
        if amount != amount.quantize(Decimal("0.01")):
            raise ApiError(
                400, {"amount": ["Ensure that there are no more than 2 decimal places."]}
            )
        if amount < Decimal("0.01"):
            raise ApiError(400, {"amount": ["Ensure this value is greater than or equal to 0.01."]})
        return amount

    def _currency(self, body: dict[str, Any], expected: str) -> None:
        if body.get("currency") != expected:
            raise ApiError(400, {"currency": [f'"{body.get("currency")}" is not a valid choice.']})

    def _card_or_404(self, reference: str) -> FakeCard:
        card = self.cards.get(reference)
        if card is None:
            raise ApiError(404, {"detail": "Not found."})
        return card

    @staticmethod
    def _require_active(card: FakeCard) -> None:
        if card.status == "active":
            return
        if card.status in ("pending", "under_review"):
            detail = "Card is not active." if card.status == "pending" else "Card is under review."
            code = "card_not_active" if card.status == "pending" else "card_under_review"
            raise _refusal(detail, code)
        raise _refusal(f"Card is {card.status}.", f"card_{card.status}")

    def _idempotency(self, request: web.Request) -> str | None:
        key = request.headers.get("X-EGACARD-IDEMPOTENCY-KEY")
        if key and self.honour_idempotency and key in self.idempotency_keys:
            raise ApiError(
                409, {"detail": "Duplicate idempotency key.", "code": "duplicate_idempotency_key"}
            )
        return key

    def _remember(self, key: str | None) -> None:
        if key:
            self.idempotency_keys.add(key)

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    # -- auth --
    def _new_tokens(self) -> tuple[str, str]:
        access, refresh = f"eyJ.a.{secrets.token_urlsafe(12)}", f"eyJ.r.{secrets.token_urlsafe(12)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def _token(self, _request: web.Request, body: dict[str, Any]) -> tuple[int, Any]:
        self._fields(body, {"email", "password"}, {"email", "password"})
        if body["email"] != EMAIL or body["password"] != PASSWORD:
            raise ApiError(401, {"detail": "No active account found with the given credentials"})
        access, refresh = self._new_tokens()
        return 200, {"access": access, "refresh": refresh}

    def _token_refresh(self, _request: web.Request, body: dict[str, Any]) -> tuple[int, Any]:
        self._fields(body, {"refresh"}, {"refresh"})
        if body["refresh"] not in self.refresh_tokens:
            raise ApiError(
                401, {"detail": "Token is invalid or expired", "code": "token_not_valid"}
            )
        self.refresh_tokens.discard(body["refresh"])  # rotated: the old one is blacklisted
        access, refresh = self._new_tokens()
        return 200, {"access": access, "refresh": refresh}

    # -- programs and cards --
    def _programs(self, _request: web.Request, _body: Any) -> tuple[int, Any]:
        return 200, [p for p in self.programs if p["status"] == "active"]

    def _new_card(
        self, program: dict[str, Any], metadata: dict[str, Any], status: str = "pending"
    ) -> FakeCard:
        reference = f"MC{secrets.token_hex(6).upper()}"
        card = FakeCard(
            reference=reference,
            program=program["code"],
            network=program["network"],
            currency=program["currency"],
            status=status,
            last4=f"{secrets.randbelow(10_000):04d}",
            metadata=metadata,
            created_at=self._tick(),
        )
        self.cards[reference] = card
        self.transactions[reference] = []
        return card

    def _cards(self, request: web.Request, body: Any) -> tuple[int, Any]:
        if request.method == "GET":
            cards = sorted(self.cards.values(), key=lambda c: c.created_at, reverse=True)
            for card in cards:
                self._read(card)
            return 200, self._paginate(request, [c.json() for c in cards])
        self._fields(body, {"program", "currency", "metadata", "wallet"}, {"program", "currency"})
        program = next(
            (p for p in self.programs if p["code"] == body["program"] and p["status"] == "active"),
            None,
        )
        if program is None:
            raise ApiError(
                400, {"program": [f"Object with code={body['program']} does not exist."]}
            )
        self._currency(body, program["currency"])
        if "metadata" in body and not isinstance(body["metadata"], dict):
            raise ApiError(400, {"metadata": ["Expected a dictionary of items."]})
        if "wallet" in body and body["wallet"] != WALLET_ID:
            raise ApiError(
                400, {"wallet": [f'Invalid pk "{body["wallet"]}" - object does not exist.']}
            )
        if not self.verified:
            raise _refusal(
                "Account verification is required for card issuing.", "verification_required", 403
            )
        if not self.country_active:
            raise _refusal(
                "Card issuing is not activated for your country.", "country_not_supported", 403
            )
        key = self._idempotency(request)
        card = self._new_card(program, body.get("metadata", {}))
        if self.fail_issuance:
            card.status = "failed"
        self._remember(key)
        return 201, card.json()

    def _read(self, card: FakeCard) -> None:
        if self.activate_on_read and card.status == "pending":
            card.status = "active"

    def _card(self, _request: web.Request, _body: Any, reference: str) -> tuple[int, Any]:
        card = self._card_or_404(reference)
        self._read(card)
        return 200, card.json()

    def _paginate(self, request: web.Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            page = int(request.query.get("page", "1"))
            size = min(int(request.query.get("page_size", "20")), 100)
        except ValueError:
            raise ApiError(404, {"detail": "Invalid page."}) from None
        if page < 1 or size < 1 or (page > 1 and (page - 1) * size >= len(items)):
            raise ApiError(404, {"detail": "Invalid page."})
        chunk = items[(page - 1) * size : page * size]
        more = page * size < len(items)
        base = f"{self.url}{request.path}?page_size={size}&page="
        return {
            "count": len(items),
            "next": f"{base}{page + 1}" if more else None,
            "previous": f"{base}{page - 1}" if page > 1 else None,
            "results": chunk,
        }

    def _txn(self, card: FakeCard, kind: str, amount: Decimal, **extra: Any) -> dict[str, Any]:
        txn = {
            "id": f"{'auth' if kind == 'authorization' else 'txn'}_{secrets.token_hex(5)}",
            "type": kind,
            "amount": _money(amount),
            "currency": card.currency,
            "status": "successful",
            "client_reference": None,
            "merchant_name": None,
            "decline_reason": None,
            "balance_after": None,
            "created_at": _iso(self._tick()),
            **extra,
        }
        txn["balance_after"] = _money(card.available)
        self.transactions[card.reference].insert(0, txn)
        return txn

    def _move_body(self, body: dict[str, Any], card: FakeCard) -> tuple[Decimal, str | None]:
        self._fields(body, {"amount", "currency", "client_reference"}, {"amount", "currency"})
        amount = self._amount(body["amount"])
        self._currency(body, card.currency)
        reference = body.get("client_reference")
        if reference is not None and not isinstance(reference, str):
            raise ApiError(400, {"client_reference": ["Not a valid string."]})
        return amount, reference

    def _fund(self, request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        amount, reference = self._move_body(body, card)
        key = self._idempotency(request)
        self._require_active(card)
        if amount > self.wallet:
            raise _refusal("Insufficient wallet balance.", "insufficient_funds")
        if card.balance + amount > MAX_CARD_BALANCE:
            raise _refusal("Card balance limit exceeded.", "balance_limit_exceeded")
        self.wallet -= amount
        card.balance += amount
        self._remember(key)
        return 201, self._txn(card, "funding", amount, client_reference=reference)

    def _withdraw(self, request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        amount, reference = self._move_body(body, card)
        key = self._idempotency(request)
        self._require_active(card)
        if amount > card.available:
            raise _refusal("Insufficient card balance.", "insufficient_funds")
        card.balance -= amount
        self.wallet += amount
        self._remember(key)
        return 201, self._txn(card, "withdrawal", amount, client_reference=reference)

    def _authorize(self, _request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        self._fields(body, {"amount", "currency", "merchant_name"}, {"amount", "currency"})
        amount = self._amount(body["amount"])
        self._currency(body, card.currency)
        merchant = body.get("merchant_name") or "Merchant"
        reason = None
        if card.status != "active":
            reason = f"card_{card.status}"
        elif amount > card.available:
            reason = "insufficient_funds"
        if reason:
            txn = self._txn(
                card,
                "authorization",
                amount,
                status="declined",
                decline_reason=reason,
                merchant_name=merchant,
            )
        else:
            card.held += amount
            txn = self._txn(
                card, "authorization", amount, status="approved", merchant_name=merchant
            )
        return 201, txn

    def _state(self, body: dict[str, Any]) -> None:
        self._fields(body, set(), set())

    def _freeze(self, _request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        self._state(body)
        self._require_active(card)
        card.status = "frozen"
        return 200, card.json()

    def _unfreeze(self, _request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        self._state(body)
        if card.status != "frozen":
            raise _refusal(f"Card is {card.status.replace('_', ' ')}.", f"card_{card.status}")
        card.status = "active"
        return 200, card.json()

    def _terminate(self, _request: web.Request, body: dict[str, Any], ref: str) -> tuple[int, Any]:
        card = self._card_or_404(ref)
        self._state(body)
        if card.status not in ("active", "frozen", "blocked"):
            raise _refusal(f"Card is {card.status.replace('_', ' ')}.", f"card_{card.status}")
        back = card.available
        card.held = Decimal("0.00")
        card.balance = Decimal("0.00")
        self.wallet += back
        if back:
            self._txn(card, "withdrawal", back, merchant_name="Card closed")
        card.status = "terminated"
        return 200, card.json()

    def _transactions(self, request: web.Request, _body: Any, ref: str) -> tuple[int, Any]:
        self._card_or_404(ref)
        return 200, self._paginate(request, self.transactions[ref])

    def _dispute(self, _request: web.Request, body: dict[str, Any]) -> tuple[int, Any]:
        self._fields(body, {"card", "authorization", "reason"}, {"card", "authorization", "reason"})
        card = self.cards.get(str(body["card"]))
        if card is None:
            raise ApiError(400, {"card": [f"Object with reference={body['card']} does not exist."]})
        txn = next(
            (t for t in self.transactions[card.reference] if t["id"] == body["authorization"]),
            None,
        )
        if txn is None:
            raise ApiError(
                400,
                {
                    "authorization": [
                        f'Invalid pk "{body["authorization"]}" - object does not exist.'
                    ]
                },
            )
        reason = body["reason"]
        if not isinstance(reason, str) or not reason.strip():
            raise ApiError(400, {"reason": ["This field may not be blank."]})
        if len(reason) > 500:
            raise ApiError(400, {"reason": ["Ensure this field has no more than 500 characters."]})
        if txn["type"] != "authorization" or txn["status"] != "approved":
            raise _refusal("Only approved authorizations can be disputed.", "not_disputable")
        if any(d["authorization"] == txn["id"] for d in self.disputes.values()):
            raise _refusal("A dispute already exists for this authorization.", "dispute_exists")
        dispute = {
            "reference": f"DSP{secrets.token_hex(4).upper()}",
            "card": card.reference,
            "authorization": txn["id"],
            "reason": reason,
            "status": "open",
            "created_at": _iso(self._tick()),
        }
        self.disputes[dispute["reference"]] = dispute
        return 201, dispute
