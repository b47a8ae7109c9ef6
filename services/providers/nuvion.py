"""Nuvion cards (seed 004): disposable and virtual USD cards funded from an entity account.

Faithful to https://docs.nuvion.co/api-reference/cards (the seed) and the fact sheet
``shared/providers/nuvion.md``:

- ``Authorization: Bearer <key>`` and a pinned ``X-API-Version``; no ``/v1`` prefix.
- Amounts are integers in the smallest currency unit (cents), timestamps Unix milliseconds.
- ``POST /disposable-cards`` (single use, blocked after its first successful charge) and
  ``POST /virtual-cards`` (with ``individual_controls``) load ``amount`` from ``account_id`` at
  creation. There is no top-up, withdraw, limits-update, product or cardholder endpoint.
- ``GET /card-details/{id}`` returns the full card, PAN and CVV included: the PAN is reduced to
  its last four digits here and never kept, logged or put in an exception; the CVV is read only
  by ``reveal``.
- Freeze / unfreeze are ``PATCH /card-details/{id}/freeze|unfreeze``; terminate is ``DELETE``.
  ``blocked`` means frozen *or* deleted: the ``deleted`` timestamp tells them apart.
- Lists use cursors (``next_cursor`` / ``prev_cursor``); this adapter keeps a small page→cursor
  map so the chat's 0-based pages work.
- Errors are ``{status:"400", message, type:"error_{domain}_{condition}", validations}``, but
  401/403 from the auth layer are ``{error:{code, message}}``; 429 carries ``retry_after``.

Every assumption the docs do not settle is a ``# guess:`` constant or function below, listed in
``docs/providers/nuvion.md``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.money import Money
from services.providers.base import (
    Capability,
    CardProvider,
    CardSecrets,
    CardStatus,
    Dispute,
    IssueRequest,
    KycApplication,
    KycResult,
    KycStatus,
    Limits,
    Product,
    ProviderCard,
    ProviderError,
    ProviderInfo,
    ProviderTransaction,
    TransactionPage,
)
from services.providers.http import ProviderHttp, RetryPolicy, Sleep
from services.settings import Settings

log = structlog.get_logger(__name__)

SANDBOX_URL = "https://api.nuvion.dev"  # keys nv_test_…; production https://api.nuvion.co
API_VERSION = "2026-02-06"  # pinned: omitting the header floats to the latest version
ACCOUNT_ID_LENGTH = 26  # the docs: account_id "must be 26 characters" (ULID-looking)

# The API's pages: the card list allows 1–100, the pagination guide says at most 20. 20 fits both.
MAX_PAGE_SIZE = 20

# guess: the query parameter names for the cursors are elided in the docs; the response calls the
# cursor to pass on `next_cursor`, so the request takes it under the same name.
NEXT_CURSOR_PARAM = "next_cursor"

# guess: the docs say Nuvion "tracks request references" and speak of an "idempotency key" but
# never name the header. We send our reference under the common name; nothing relies on it being
# honoured — an unclear issuance is always resolved by looking the card up (find_card_by_reference).
IDEMPOTENCY_HEADER = "Idempotency-Key"

# guess: how far find_card_by_reference walks GET /cards (newest first, assumed) before giving up.
LOOKUP_MAX_PAGES = 25

# guess: the expiry we choose for a disposable card (the caller must choose it, "MM"/"YY").
DISPOSABLE_VALID_MONTHS = 12

# guess: billing_cycle values. The docs show "Weekly" and "Monthly"; "Daily" is assumed.
BILLING_CYCLES = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}

# guess: Nuvion has no per-cardholder KYC API (the business's entity is verified with Nuvion, the
# cardholder's identity travels inline on each card). The customer id is local and approved at
# once; it carries no personal data, only our user reference.
LOCAL_CUSTOMER_PREFIX = "nvlocal_"

CAPABILITIES = frozenset(
    {
        Capability.ISSUE,
        Capability.INITIAL_AMOUNT,  # `amount` is loaded at creation (the only way to fund a card)
        Capability.FREEZE,
        Capability.TERMINATE,
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.LIMITS_AT_ISSUE,  # individual_controls at creation; no update endpoint
        Capability.DISPOSABLE,
    }
)


class NuvionSettings(BaseSettings):
    """``CARDBOT_NUVION_…`` settings."""

    model_config = SettingsConfigDict(env_prefix="CARDBOT_NUVION_", env_file=".env", extra="ignore")

    base_url: str = SANDBOX_URL
    api_key: SecretStr | None = None
    account_id: str | None = None  # the entity account every card is funded from
    api_version: str = API_VERSION
    timeout_seconds: float = 15.0
    card_name_prefix: str = "cardbot"

    @field_validator("account_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is not None and len(value.strip()) != ACCOUNT_ID_LENGTH:
            raise ValueError(f"a Nuvion account_id has {ACCOUNT_ID_LENGTH} characters")
        return value.strip() if value is not None else None


# -- units, kept in one place ---------------------------------------------------------------------

CURRENCY_EXPONENTS = {"USD": 2}  # our Money.minor is cents; Nuvion's unit is the smallest unit too


def to_api_amount(amount: Money) -> int:
    """Our Money → Nuvion's integer smallest currency unit (10000 = $100.00)."""
    if amount.currency not in CURRENCY_EXPONENTS:
        raise ProviderError("provider-bad-request", f"currency {amount.currency} not supported")
    value = Decimal(amount.minor)
    if value != value.to_integral_value():  # pragma: no cover - Money.minor is an int
        raise ProviderError("provider-bad-request", "fractional minor units")
    return int(value)


def from_api_amount(value: Any, currency: str = "USD") -> Money:
    """Nuvion's integer smallest unit → our Money. Anything but an integer is a bad response."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProviderError("provider-bad-response", f"amount is {type(value).__name__}")
    if isinstance(value, str) and not value.isdigit():
        raise ProviderError("provider-bad-response", "amount is not an integer string")
    return Money(int(Decimal(value)), currency or "USD")


def from_api_time(ms: Any) -> datetime:
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise ProviderError("provider-bad-response", "timestamp is not Unix milliseconds")
    return datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)


def card_name(prefix: str, reference: str) -> str:
    """The display name we give a card. It carries our reference because GET /cards lists only
    id, name, status and created: the name is how an unclear issuance is found again."""
    return f"{prefix} {reference}"


def brand_of(pan: str) -> str:
    if pan.startswith("4"):
        return "visa"
    if pan[:2] in {"51", "52", "53", "54", "55"} or "2221" <= pan[:4] <= "2720":
        return "mastercard"
    return "card"


def _masked(pan: str) -> str:
    return f"{pan[:4]} {pan[4:6]}•• •••• {pan[-4:]}"


def error_code(status: int, error_type: str, message: str) -> str:
    """Our chat code for a Nuvion error.

    guess: the docs give the pattern ``error_{domain}_{condition}`` but no catalogue of types, so
    the few conditions that deserve their own message are recognised by the words in the type
    (or message), the rest by HTTP status.
    """
    words = f"{error_type} {message}".lower()
    if "insufficient" in words:
        return "provider-insufficient-funds"
    if "kyc" in words:
        return "provider-nuvion-kyc-incomplete"  # the business's entity, not the cardholder
    if status == 404 and "account" in words:
        return "provider-nuvion-account-not-found"
    if status == 403:
        return "provider-forbidden"  # the card belongs to another entity
    if status == 409 and "deleted" in words:
        return "provider-card-terminated"
    return {
        400: "provider-bad-request",
        401: "provider-auth",
        404: "provider-not-found",
        409: "provider-conflict",
        422: "provider-bad-request",
        429: "provider-rate-limited",
    }.get(status, "provider-unavailable" if status >= 500 else "provider-bad-request")


class NuvionProvider(ProviderHttp):
    name = "nuvion"
    info = ProviderInfo(name="nuvion", capabilities=CAPABILITIES, brands=("visa",))

    def __init__(
        self,
        config: NuvionSettings,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] | None = None,
        timeout: float | None = None,
    ) -> None:
        if config.api_key is None or not config.api_key.get_secret_value():
            raise ProviderError("provider-auth", "CARDBOT_NUVION_API_KEY is not set")
        if not config.account_id:
            raise ProviderError("provider-bad-request", "CARDBOT_NUVION_ACCOUNT_ID is not set")
        super().__init__(
            config.base_url,
            timeout=config.timeout_seconds if timeout is None else timeout,
            retry=retry,
            transport=transport,
            sleep=sleep,
        )
        self.config = config
        self.account_id = config.account_id
        self._key = config.api_key
        self.clock = clock or (lambda: datetime.now(UTC))
        # (card id, page size) → {page: cursor}; page 0 needs none. Bounded, least recent out.
        self._cursors: OrderedDict[tuple[str, int], dict[int, str | None]] = OrderedDict()
        # references whose issuance ended unclear in this process: look before posting again
        self._unclear: set[str] = set()
        # card id → amount loaded at creation, for disposable cards (the API reports no balance
        # for them: their individual_controls is an empty object)
        self._loaded: dict[str, Money] = {}

    async def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._key.get_secret_value()}",
            "X-API-Version": self.config.api_version,
        }

    # -- KYC: no cardholder API ------------------------------------------------------------------
    async def submit_kyc(self, application: KycApplication) -> KycResult:
        return KycResult(f"{LOCAL_CUSTOMER_PREFIX}{application.reference}", KycStatus.APPROVED)

    async def kyc_status(self, customer_id: str) -> KycResult:
        if not customer_id.startswith(LOCAL_CUSTOMER_PREFIX):
            raise ProviderError("provider-not-found", "customer")
        return KycResult(customer_id, KycStatus.APPROVED)

    # -- cards -------------------------------------------------------------------------------------
    async def products(self) -> list[Product]:
        raise ProviderError("not-offered", "Nuvion has no product list")

    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        body = self._issue_body(request)
        path = "/disposable-cards" if request.disposable else "/virtual-cards"
        if request.reference in self._unclear:
            try:
                found = await self.find_card_by_reference(request.reference)
            except ProviderError as exc:  # cannot tell whether the card exists: do not post
                raise ProviderError(exc.code, exc.detail, definite=False) from exc
            if found is not None:
                self._unclear.discard(request.reference)
                return found
        try:
            data = await self._write(
                "POST", path, json=body, headers={IDEMPOTENCY_HEADER: request.reference}
            )
        except ProviderError as exc:
            if exc.definite:
                raise
            # The card may exist: look before anyone posts again.
            self._unclear.add(request.reference)
            try:
                found = await self.find_card_by_reference(request.reference)
            except ProviderError:
                found = None
            if found is None:
                raise
            self._unclear.discard(request.reference)
            log.info("nuvion.issue_resolved_by_lookup", card_id=found.card_id)
            return found
        card = self._card(data, fallback_balance=request.initial, disposable=request.disposable)
        if card.disposable:
            self._loaded[card.card_id] = request.initial
        return card

    def _issue_body(self, request: IssueRequest) -> dict[str, Any]:
        if request.initial.minor <= 0:
            raise ProviderError("provider-nuvion-amount-required", "a card is loaded at creation")
        amount = to_api_amount(request.initial)
        holder = request.cardholder
        if holder is None:
            raise ProviderError("provider-nuvion-cardholder-required", "no cardholder")
        cardholder: dict[str, str] = {
            "first_name": holder.first_name,
            "last_name": holder.last_name,
            "phone_number": holder.phone_e164,
        }
        if holder.email:  # guess: email is optional (the chat does not collect one)
            cardholder["email"] = holder.email
        body: dict[str, Any] = {
            "account_id": self.account_id,
            "card_name": card_name(self.config.card_name_prefix, request.reference),
            "cardholder": cardholder,
            "currency": request.initial.currency,
            "amount": amount,
            # guess: metadata values are strings and the API echoes metadata on the card object
            "metadata": {
                "reference": request.reference,
                "customer": request.customer_id,
                "amount": str(amount),
            },
        }
        limits = request.limits
        if request.disposable:
            if limits is not None and not limits.empty:
                raise ProviderError("provider-nuvion-disposable-no-limits", "disposable + limits")
            month, year = self._disposable_expiry()
            body["expiration_month"], body["expiration_year"] = f"{month:02d}", f"{year % 100:02d}"
        elif limits is not None and not limits.empty:
            body["individual_controls"] = self._controls(limits)
        return body

    def _disposable_expiry(self) -> tuple[int, int]:
        now = self.clock()
        months = now.year * 12 + (now.month - 1) + DISPOSABLE_VALID_MONTHS
        return months % 12 + 1, months // 12

    @staticmethod
    def _controls(limits: Limits) -> dict[str, Any]:
        controls: dict[str, Any] = {}
        for key, money in (
            ("daily_amount_limit", limits.daily),
            ("transaction_amount_limit", limits.per_transaction),
        ):
            if money is not None:
                if money.minor <= 0:
                    raise ProviderError("provider-bad-request", "a limit must be positive")
                controls[key] = to_api_amount(money)
        for key, count in (
            ("daily_transaction_count", limits.daily_count),
            ("cycle_transaction_count", limits.cycle_count),
        ):
            if count is not None:
                if count <= 0:
                    raise ProviderError("provider-bad-request", "a count must be positive")
                controls[key] = count
        if limits.cycle is not None or limits.cycle_count is not None:
            cycle = BILLING_CYCLES.get((limits.cycle or "monthly").lower())
            if cycle is None:
                raise ProviderError("provider-bad-request", f"billing cycle {limits.cycle}")
            controls["billing_cycle"] = cycle
        return controls

    async def find_card_by_reference(self, reference: str) -> ProviderCard | None:
        """Walk GET /cards for the card whose name carries our reference (deleted cards are not
        listed), then read it. Used after an unclear issuance instead of issuing again."""
        wanted = card_name(self.config.card_name_prefix, reference)
        cursor: str | None = None
        for _ in range(LOOKUP_MAX_PAGES):
            params: dict[str, Any] = {"account_id": self.account_id, "limit": MAX_PAGE_SIZE}
            if cursor:
                params[NEXT_CURSOR_PARAM] = cursor
            data = await self._repeatable("/cards", params=params)
            items, has_next, cursor = self._page(data, "cards")
            for item in items:
                if isinstance(item, dict) and item.get("name") == wanted and item.get("id"):
                    card_id = str(item["id"])
                    details = await self._details(card_id)
                    echoed = details.get("metadata")
                    if isinstance(echoed, dict) and echoed.get("reference") not in (
                        None,
                        reference,
                    ):
                        continue  # same name, another reference: not ours
                    return await self._view(details)
            if not has_next or not cursor:
                return None
        log.warning("nuvion.lookup_gave_up", pages=LOOKUP_MAX_PAGES)
        return None

    async def get_card(self, card_id: str) -> ProviderCard:
        return await self._view(await self._details(card_id))

    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        raise ProviderError("not-offered", "Nuvion loads cards only at creation")

    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        """Nuvion has no top-ups or withdrawals, so none of ours can be there."""
        return False

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        raise ProviderError("not-offered", "Nuvion has no withdraw endpoint")

    async def freeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(card_id, "freeze", CardStatus.FROZEN)

    async def unfreeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(card_id, "unfreeze", CardStatus.ACTIVE)

    async def terminate(self, card_id: str) -> ProviderCard:
        try:
            # Deleting twice deletes once: safe to retry.
            await self._repeatable(f"/card-details/{_q(card_id)}", method="DELETE")
        except ProviderError as exc:
            if exc.code not in (
                "provider-not-found",
                "provider-conflict",
                "provider-card-terminated",
            ):
                raise
            try:
                card = await self.get_card(card_id)  # a retried DELETE finds it already gone
            except ProviderError:
                raise exc from None
            if card.status is not CardStatus.TERMINATED:
                raise
            return card
        try:
            return await self.get_card(card_id)
        except ProviderError as exc:
            if exc.code != "provider-not-found":
                raise
            # guess: a deleted card may no longer be served; all the service needs is its state.
            return ProviderCard(card_id, "visa", "", "", CardStatus.TERMINATED, Money(0))

    async def reveal(self, card_id: str) -> CardSecrets:
        data = await self._details(card_id)
        status = await self._status(card_id, data)
        if status is CardStatus.TERMINATED:
            raise ProviderError("provider-card-terminated")
        try:
            pan, cvv = str(data["number"]), str(data["cvv"])
            month, year = int(data["expiration_month"]), int(data["expiration_year"])
        except (KeyError, TypeError, ValueError):
            raise ProviderError("provider-bad-response", "card details incomplete") from None
        if not pan.isdigit() or not cvv.isdigit() or not 1 <= month <= 12:
            raise ProviderError("provider-bad-response", "card details malformed")
        return CardSecrets(pan, cvv, month, 2000 + year if year < 100 else year)

    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage:
        page = max(page, 0)
        limit = max(1, min(size, MAX_PAGE_SIZE))
        known = self._cursor_map(card_id, limit)
        start = max(p for p in known if p <= page)
        cursor = known[start]
        for current in range(start, page + 1):
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params[NEXT_CURSOR_PARAM] = cursor
            data = await self._repeatable(f"/card-transactions/{_q(card_id)}", params=params)
            items, has_next, next_cursor = self._page(data, "payments")
            more = bool(has_next and next_cursor)
            if more:
                known[current + 1] = next_cursor
            if current < page:
                if not more:
                    return TransactionPage([], has_more=False, page=page)
                cursor = next_cursor
                continue
            return TransactionPage(
                [self._transaction(item) for item in items if isinstance(item, dict)],
                has_more=more,
                page=page,
            )
        raise AssertionError("unreachable")

    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard:
        raise ProviderError("not-offered", "Nuvion sets controls only at creation")

    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard:
        raise ProviderError("not-offered", "Nuvion has no airline toggle")

    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute:
        raise ProviderError("not-offered", "Nuvion has no dispute endpoint")

    # -- HTTP ----------------------------------------------------------------------------------
    async def _repeatable(
        self, path: str, *, params: dict[str, Any] | None = None, method: str = "GET"
    ) -> dict[str, Any]:
        """A call that is safe to repeat (reads, and state changes that land once)."""
        response = await self.request(method, path, retry=True, params=params)
        return self._data(response, write=False)

    async def _write(
        self, method: str, path: str, *, json: Any, headers: dict[str, str]
    ) -> dict[str, Any]:
        """A call that must not be repeated blindly. Only a 429 — a refusal, so nothing was
        done — is tried again, after the server's ``retry_after``."""
        attempts = self.retry.attempts
        for attempt in range(attempts):
            response = await self.request(method, path, retry=False, json=json, headers=headers)
            if response.status_code == 429 and attempt < attempts - 1:
                wait = self.retry_after(response)
                await self.sleep(wait if wait is not None else self.retry.backoff(attempt))
                continue
            return self._data(response, write=True)
        raise AssertionError("unreachable")

    def _data(self, response: httpx.Response, *, write: bool) -> dict[str, Any]:
        """The ``data`` object of a success; a typed error otherwise. Never echoes the body (a
        card-details body holds the PAN)."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if 200 <= status < 300:
            # Created on the provider's side whatever the body says: a bad body after a write
            # leaves the outcome to be looked up.
            if not isinstance(body, dict):
                raise ProviderError(
                    "provider-bad-response", f"HTTP {status}, not a JSON object", definite=not write
                )
            marker = body.get("status")
            # guess: create answers {status:"success", data}, others bare {data}; an error-shaped
            # body under 2xx (status other than "success") is treated as the error it describes.
            if marker in (None, "success") and isinstance(body.get("data"), dict):
                data: dict[str, Any] = body["data"]
                return data
            if marker in (None, "success"):
                raise ProviderError(
                    "provider-bad-response", f"HTTP {status} without data", definite=not write
                )
            status = int(marker) if str(marker).isdigit() else 400
        raise self._error(status, body, write=write)

    @staticmethod
    def _error(status: int, body: Any, *, write: bool) -> ProviderError:
        body = body if isinstance(body, dict) else {}
        auth = body.get("error")
        if status in (401, 403) and isinstance(auth, dict):
            # the auth layer's shape: {error: {code: unauthorized|forbidden, message}}
            return ProviderError("provider-auth", f"HTTP {status} {auth.get('code', '')}".strip())
        error_type = str(body.get("type") or "")
        message = str(body.get("message") or "")[:200]
        code = error_code(status, error_type, message)
        detail = f"HTTP {status} {error_type}".strip()
        return ProviderError(code, detail, definite=status < 500 or not write)

    # -- mapping -------------------------------------------------------------------------------
    async def _details(self, card_id: str) -> dict[str, Any]:
        return await self._repeatable(f"/card-details/{_q(card_id)}")

    async def _view(self, data: dict[str, Any]) -> ProviderCard:
        card_id = str(data.get("id") or "")
        status = await self._status(card_id, data)
        return self._card(data, status=status)

    def _card(
        self,
        data: dict[str, Any],
        *,
        status: CardStatus | None = None,
        fallback_balance: Money | None = None,
        disposable: bool | None = None,
    ) -> ProviderCard:
        card_id = data.get("id")
        if not isinstance(card_id, str) or not card_id:
            raise ProviderError("provider-bad-response", "card without id", definite=False)
        pan = str(data.get("number") or "")
        last4 = pan[-4:] if pan[-4:].isdigit() else ""
        is_disposable = data.get("type") == "disposable" if disposable is None else disposable
        status = status or self._plain_status(data)
        controls = data.get("individual_controls")
        controls = controls if isinstance(controls, dict) else {}
        balance = self._balance(card_id, data, controls, status, is_disposable, fallback_balance)
        return ProviderCard(
            card_id=card_id,
            brand=brand_of(pan) if pan else "visa",
            last4=last4,
            masked_pan=_masked(pan) if len(pan) >= 10 else "",
            status=status,
            balance=balance,
            disposable=is_disposable,
            limits=None if is_disposable else self._limits(controls),
        )

    def _balance(
        self,
        card_id: str,
        data: dict[str, Any],
        controls: dict[str, Any],
        status: CardStatus,
        disposable: bool,
        fallback: Money | None,
    ) -> Money:
        """guess: the card object has no balance field. A virtual card reports the remaining
        spendable amount as individual_controls.amount_balance; a disposable card (empty
        controls) holds what was loaded until its single charge, then nothing — the loaded
        amount is read back from our metadata when echoed, else from this process's memory. A
        terminated card holds nothing."""
        currency = str(data.get("currency") or "USD")
        if status is CardStatus.TERMINATED:  # deleted or used up: nothing left to spend
            return Money(0, currency)
        if "amount_balance" in controls:
            return from_api_amount(controls["amount_balance"], currency)
        if fallback is not None:
            return fallback
        metadata = data.get("metadata")
        if isinstance(metadata, dict) and str(metadata.get("amount", "")).isdigit():
            return from_api_amount(str(metadata["amount"]), currency)
        return self._loaded.get(card_id, Money(0, currency))

    @staticmethod
    def _limits(controls: dict[str, Any]) -> Limits:
        def money(key: str) -> Money | None:
            value = controls.get(key)
            # guess: 0 means "no limit" (the create response echoes cycle_transaction_count: 0
            # for a control that was not asked for)
            return None if value in (None, 0) else from_api_amount(value)

        def count(key: str) -> int | None:
            value = controls.get(key)
            return (
                value if isinstance(value, int) and not isinstance(value, bool) and value else None
            )

        cycle = controls.get("billing_cycle")
        return Limits(
            daily=money("daily_amount_limit"),
            per_transaction=money("transaction_amount_limit"),
            daily_count=count("daily_transaction_count"),
            cycle=cycle.lower() if isinstance(cycle, str) and cycle else None,
            cycle_count=count("cycle_transaction_count"),
        )

    @staticmethod
    def _plain_status(data: dict[str, Any]) -> CardStatus:
        """Nuvion's status → ours, from the card object alone."""
        if data.get("deleted"):
            return CardStatus.TERMINATED  # soft-deleted: blocked for good
        raw = data.get("status")
        if raw == "active":
            return CardStatus.ACTIVE
        if raw in ("blocked", "fraud"):
            # guess: `fraud` is a block the cardholder cannot lift but support may: frozen
            return CardStatus.FROZEN
        return CardStatus.PENDING  # guess: an unknown status is not (yet) usable

    async def _status(self, card_id: str, data: dict[str, Any]) -> CardStatus:
        """As _plain_status, and a blocked disposable card that has been charged is used up:
        terminated, not frozen (it cannot be unfrozen)."""
        status = self._plain_status(data)
        if status is CardStatus.FROZEN and data.get("type") == "disposable":
            page = await self._repeatable(
                f"/card-transactions/{_q(card_id)}", params={"limit": MAX_PAGE_SIZE}
            )
            items, _, _ = self._page(page, "payments")
            if any(
                isinstance(item, dict)
                and item.get("status") == "completed"
                and item.get("type") == "debit"
                for item in items
            ):
                return CardStatus.TERMINATED
        return status

    async def _set_state(self, card_id: str, action: str, target: CardStatus) -> ProviderCard:
        try:
            # Setting a state twice lands once: safe to retry.
            await self._repeatable(f"/card-details/{_q(card_id)}/{action}", method="PATCH")
        except ProviderError as exc:
            if exc.code not in (
                "provider-conflict",
                "provider-bad-request",
                "provider-card-terminated",
            ):
                raise
            card = await self.get_card(card_id)
            if card.status is target:
                return card  # already there: repeating is harmless
            if card.status is CardStatus.TERMINATED:
                raise ProviderError("provider-card-terminated") from exc
            raise ProviderError(f"provider-card-{card.status}") from exc
        return await self.get_card(card_id)

    @staticmethod
    def _page(data: dict[str, Any], key: str) -> tuple[list[Any], bool, str | None]:
        """Items, has_next and the next cursor, from either envelope the docs show: the card
        lists' ``{<key>: [...], pagination: {...}}`` or the guide's generic
        ``{data: [...], meta: {pagination: {...}}}``."""
        items = data.get(key)
        if items is None:
            items = data.get("data")
        pagination = data.get("pagination")
        if not isinstance(pagination, dict):
            meta = data.get("meta")
            pagination = meta.get("pagination") if isinstance(meta, dict) else None
        pagination = pagination if isinstance(pagination, dict) else {}
        if not isinstance(items, list):
            raise ProviderError("provider-bad-response", f"no {key} list")
        cursor = pagination.get("next_cursor")
        return items, bool(pagination.get("has_next")), cursor if isinstance(cursor, str) else None

    def _cursor_map(self, card_id: str, limit: int) -> dict[int, str | None]:
        key = (card_id, limit)
        known = self._cursors.pop(key, None) or {0: None}
        self._cursors[key] = known
        while len(self._cursors) > 256:
            self._cursors.popitem(last=False)
        return known

    @staticmethod
    def _transaction(item: dict[str, Any]) -> ProviderTransaction:
        currency = str(item.get("currency") or "USD")
        raw_status = item.get("status")
        # guess: the docs show only "completed"; failed/declined/reversed mean no money moved.
        if raw_status == "completed":
            status = "approved"
        elif raw_status in ("failed", "declined", "reversed", "cancelled"):
            status = "declined"
        else:
            status = str(raw_status or "pending")
        # guess: a credit on a card is money coming back (a refund); a debit is a purchase.
        kind = "refund" if item.get("type") == "credit" else "purchase"
        recipient = item.get("recipient")
        merchant = recipient.get("name") if isinstance(recipient, dict) else None
        reason = item.get("status_reason")
        return ProviderTransaction(
            id=str(item.get("id") or ""),
            kind=kind,
            amount=from_api_amount(item.get("amount"), currency),
            status=status,
            created_at=from_api_time(item.get("created")),
            merchant=str(merchant or item.get("narration") or "") or None,
            decline_reason=str(reason) if reason and status == "declined" else None,
        )


def _q(card_id: str) -> str:
    return quote(card_id, safe="")


def create(settings: Settings) -> CardProvider:
    config = NuvionSettings()
    if config.api_key is None:
        raise SystemExit(
            "CARDBOT_NUVION_API_KEY is not set: create an API key in the Nuvion dashboard "
            "(nv_test_… for the sandbox at https://api.nuvion.dev)."
        )
    if config.account_id is None:
        raise SystemExit(
            "CARDBOT_NUVION_ACCOUNT_ID is not set: the 26-character id of the Nuvion account "
            "that funds the cards."
        )
    provider: CardProvider = NuvionProvider(config)
    return provider
