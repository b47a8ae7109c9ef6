"""Bitnob virtual cards, over the v1 API the seed describes (``/api/v1/virtualcards/*``,
``Authorization: Bearer <secret key>``, camelCase bodies, ``{status, message, data}`` answers).

Sources: ``shared/seeds/001_b75e5c9cf0b6fe75.txt`` and ``shared/providers/bitnob.md``. Where they
are silent the choice is a ``# guess:`` kept in one named constant or function below; the
operator-facing list of guesses is ``docs/providers/bitnob.md``.

Units differ per endpoint and are converted only here: card creation takes a *string of whole
dollars*; top-up and withdrawal take *integer cents*; balances and ``centAmount`` come back in
cents (the dollar ``amount`` of a transaction is not reliable and is only a fallback).

Money and issuance calls carry our reference (Bitnob's documented idempotency handle). Because
what Bitnob answers to a repeated reference is not documented, a money call first looks for a
transaction with that reference on the card, and any unclear failure (timeout, reset, 5xx, an
unreadable answer) is resolved by looking the reference up before anything is sent again.

Card objects carry the full number and CVV (``cardNumber``, ``cvv2``); they are read only by
``reveal`` into a ``CardSecrets`` and never kept, logged or put in an error.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import structlog
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kyc_rules import country_name
from services.money import Money
from services.providers.base import (
    Capability,
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

SANDBOX_URL = "https://sandboxapi.bitnob.co/api/v1"  # [doc + python SDK]
PRODUCTION_URL = "https://api.bitnob.co/api/v1"  # [python SDK]

# -- paths, relative to the v1 base ---------------------------------------------------------
REGISTER_CARD_USER = "/virtualcards/registercarduser"
CARD_USERS = "/virtualcards/users"
CARD_USER = "/virtualcards/users/{id}"
# The SDKs and the v1 reference say /create; one Bitnob endpoint table says /createcard.
CREATE_CARD = "/virtualcards/create"
CARDS = "/virtualcards/cards"
# The v1 reference says /cards/{id}; both community SDKs say /card/{id}.
CARD = "/virtualcards/cards/{id}"
CARD_TRANSACTIONS = "/virtualcards/cards/{id}/transactions"
TOP_UP = "/virtualcards/topup"  # the SDKs call /credit; the v1 reference /topup
WITHDRAW = "/virtualcards/withdraw"  # the node SDK calls /debit
FREEZE = "/virtualcards/freeze"
UNFREEZE = "/virtualcards/unfreeze"
TERMINATE = "/virtualcards/terminate"
MOCK_TRANSACTION = "/virtualcards/mock-transaction"  # sandbox only
# guess: the seed documents the airline toggle's body and answer but not its path or method.
AIRLINE_PAYMENTS = "/virtualcards/airline-payment"

BRANDS = ("visa", "mastercard")
CARD_TYPE = "virtual"  # `virtual` or `giftcard` (Visa); we issue ordinary virtual cards
MAX_TAKE = 100  # documented page size range 0–100
LOOKUP_PAGES = 20  # how far back a reference lookup walks (100 rows a page, newest first)
ORDER_NEWEST_FIRST = "DESC"  # SDKs: `DESC` (default), `ASC`

# Internal codes: resolved inside the adapter, shown only when they cannot be.
DUPLICATE_REFERENCE = "provider-bitnob-duplicate-reference"
USER_EXISTS = "provider-bitnob-user-exists"

# Bitnob's card `status` → our lifecycle. `createdStatus` (pending/success/failed) comes first.
CARD_STATUS = {
    "active": CardStatus.ACTIVE,
    "frozen": CardStatus.FROZEN,
    "terminated": CardStatus.TERMINATED,
    # guess: block/unblock exist only in the python SDK; a blocked card cannot spend.
    "blocked": CardStatus.FROZEN,
}
CREATED_PENDING = {"pending", "processing", "in progress"}
CREATED_FAILED = {"failed"}

# Our ID type codes (services/kyc_rules.py) → Bitnob `idType` ("such as BVN, NIN, or PASSPORT").
# guess: the names for types the seed does not spell out follow Bitnob's (Brails') ID table.
ID_TYPES = {
    "bvn": "BVN",
    "nin": "NIN",
    "passport": "PASSPORT",
    "national_id": "NATIONAL_ID",
    "ghana_card": "NATIONAL_ID",
    "drivers_licence": "DRIVERS_LICENSE",
}

_LONG_DIGITS = re.compile(r"\d[\d \-]{10,}\d")


class BitnobSettings(BaseSettings):
    """``CARDBOT_BITNOB_*``: where and how to reach Bitnob."""

    model_config = SettingsConfigDict(env_prefix="CARDBOT_BITNOB_", env_file=".env", extra="ignore")

    base_url: str = SANDBOX_URL
    api_key: SecretStr | None = None  # the secret key, sent as `Authorization: Bearer <key>`
    # Sandbox-only behaviour: names on card creation, mock transactions. Default: the base URL
    # is Bitnob's sandbox host.
    sandbox: bool | None = None
    timeout_seconds: float = Field(default=15.0, gt=0)

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox if self.sandbox is not None else "sandbox" in self.base_url


def create(settings: Settings) -> BitnobProvider:
    """The adapter for ``CARDBOT_PROVIDER=bitnob``, configured from ``CARDBOT_BITNOB_*``."""
    own = BitnobSettings()
    if own.api_key is None or not own.api_key.get_secret_value().strip():
        raise SystemExit(
            "CARDBOT_PROVIDER=bitnob needs CARDBOT_BITNOB_API_KEY (your Bitnob secret key; "
            f"sandbox keys work against {SANDBOX_URL})."
        )
    return BitnobProvider(own)


class BitnobProvider(ProviderHttp):
    name = "bitnob"

    def __init__(
        self,
        settings: BitnobSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(
            settings.base_url,
            timeout=settings.timeout_seconds,
            retry=retry,
            transport=transport,
            sleep=sleep,
        )
        self._key = settings.api_key.get_secret_value() if settings.api_key else ""
        self.sandbox = settings.is_sandbox
        capabilities = {
            Capability.ISSUE,
            Capability.INITIAL_AMOUNT,  # `amount` is required on card creation
            Capability.CHOOSE_BRAND,
            Capability.TOPUP,
            Capability.WITHDRAW,
            Capability.FREEZE,
            Capability.TERMINATE,
            Capability.REVEAL,  # card objects carry cardNumber/cvv2
            Capability.STATEMENT,
            Capability.AIRLINE_TOGGLE,
        }
        if self.sandbox:
            capabilities.add(Capability.SIMULATE)  # POST /virtualcards/mock-transaction
        self.info = ProviderInfo(name="bitnob", capabilities=frozenset(capabilities), brands=BRANDS)

    def __repr__(self) -> str:
        return f"BitnobProvider({self.base_url!r})"

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"}

    # -- KYC: "register card user" ------------------------------------------------------------
    async def submit_kyc(self, application: KycApplication) -> KycResult:
        body = registration(application)
        try:
            data = await self._write(REGISTER_CARD_USER, body, op="kyc")
        except ProviderError as exc:
            if exc.code != USER_EXISTS and exc.definite:
                raise
            user = await self._lookup(self._find_card_user, application.reference, exc)
            if user is None:
                raise
            if exc.code == USER_EXISTS and user.get("kycPassed") is False:
                # Registered before and rejected: this is the corrected resubmission.
                updated = await self._call(
                    "PUT", CARD_USER.format(id=user["id"]), op="kyc", write=True, json=body
                )
                return _kyc(_object(updated) if isinstance(updated, dict) else user)
            return _kyc(user)
        user = _object(data) if isinstance(data, dict) else {}
        if not user.get("id"):  # guess: the answer is the card user; look it up if it is not
            found = await self._find_card_user(application.reference)
            if found is None:
                raise ProviderError("provider-bad-response", "registration without an id")
            user = found
        return _kyc(user)

    async def kyc_status(self, customer_id: str) -> KycResult:
        return _kyc(await self._card_user(customer_id))

    # -- cards ----------------------------------------------------------------------------------
    async def products(self) -> list[Product]:
        raise ProviderError("not-offered", "Bitnob v1 has no product list")

    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        if request.disposable or request.wallet or request.product:
            raise ProviderError("not-offered", "Bitnob v1 issues one kind of virtual card")
        brand = request.brand.lower()
        if brand not in BRANDS:
            raise ProviderError("provider-bad-request", f"brand {request.brand}")
        amount = dollars_string(request.initial)
        user = await self._card_user(request.customer_id)
        if user.get("kycPassed") is not True:
            raise ProviderError("provider-kyc-not-approved")
        body: dict[str, Any] = {
            "customerReference": _text(user.get("customerReference")),
            "cardBrand": brand,
            "cardType": CARD_TYPE,
            "reference": request.reference,
            "amount": amount,
        }
        if self.sandbox:  # "Optional (Sandbox only)"
            holder = request.cardholder
            body["firstName"] = holder.first_name if holder else _text(user.get("firstName"))
            body["lastName"] = holder.last_name if holder else _text(user.get("lastName"))
        try:
            data = await self._write(CREATE_CARD, body, op="issue")
        except ProviderError as exc:
            if exc.code != DUPLICATE_REFERENCE and exc.definite:
                raise
            found = await self._lookup(self.find_card_by_reference, request.reference, exc)
            if found is not None:
                return found
            if exc.code == DUPLICATE_REFERENCE:
                raise ProviderError(DUPLICATE_REFERENCE, "reference used by another card") from exc
            raise
        created = _object(data) if isinstance(data, dict) else {}
        card_id = _text(created.get("id"))
        if not card_id:
            found = await self.find_card_by_reference(request.reference)
            if found is None:
                raise ProviderError("provider-bad-response", "card without an id", definite=False)
            return found
        if str(created.get("createdStatus") or "").lower() in CREATED_FAILED:
            raise ProviderError("provider-bitnob-card-failed")
        log.info("bitnob.card_requested", card_id=card_id, reference=request.reference)
        try:  # creation is asynchronous: the card object may already have its number
            return await self.get_card(card_id)
        except ProviderError:
            return self._view(created, default=CardStatus.PENDING)

    async def find_card_by_reference(self, reference: str) -> ProviderCard | None:
        for row in await self._walk(CARDS, ("cards", "virtualCards")):
            if row.get("reference") == reference and row.get("id"):
                return await self.get_card(_text(row["id"]))
        return None

    async def get_card(self, card_id: str) -> ProviderCard:
        return self._view(await self._card(card_id))

    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move("topup", card_id, amount, reference)

    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        """The card's transactions carry our reference. A successful one: True. Only failed
        (or reversed) ones: False, nothing moved. One still pending: None, Bitnob settles it
        later. None at all in the whole list: False (sending again is safe: the reference is
        Bitnob's idempotency handle). None in the pages walked while the list goes on past
        them: None."""
        rows, complete = await self._transactions_with(card_id, reference)
        if not rows:
            return False if complete else None
        statuses = {_txn_status(row) for row in rows}
        if "approved" in statuses:
            return True
        if statuses == {"declined"}:
            return False
        return None

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move("withdraw", card_id, amount, reference)

    async def freeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(FREEZE, card_id, CardStatus.FROZEN)

    async def unfreeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(UNFREEZE, card_id, CardStatus.ACTIVE)

    async def terminate(self, card_id: str) -> ProviderCard:
        return await self._set_state(TERMINATE, card_id, CardStatus.TERMINATED)

    async def reveal(self, card_id: str) -> CardSecrets:
        card = await self._card(card_id)  # the fetch-card answer is the only source of the PAN
        status = _status(card)
        if status in (CardStatus.PENDING, CardStatus.TERMINATED):
            raise ProviderError(f"provider-card-{status}")
        return _secrets(card)

    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage:
        take = min(max(size, 1), MAX_TAKE)
        body = await self._envelope(
            "GET",
            CARD_TRANSACTIONS.format(id=card_id),
            op="read",
            params=_page_params(page + 1, take),  # ours is 0-based, Bitnob's 1-based
        )
        rows, has_next = _page(body, ("cardTransactions", "transactions"))
        items = [_transaction(row) for row in rows]
        return TransactionPage(
            items, has_more=has_next if has_next is not None else len(rows) >= take, page=page
        )

    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard:
        raise ProviderError("not-offered", "Bitnob v1 has no spending limits")

    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard:
        await self._call(
            "POST",
            AIRLINE_PAYMENTS,
            op="card",
            write=True,
            retry=True,  # setting a flag to a value: repeating it changes nothing
            json={"cardId": card_id, "isAirlinePaymentEnabled": enabled},
        )
        return dataclasses.replace(await self.get_card(card_id), airline_payments=enabled)

    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute:
        raise ProviderError("not-offered", "Bitnob v1 has no disputes")

    # -- sandbox simulation (mock transactions) -------------------------------------------------
    async def simulate_purchase(
        self, card_id: str, amount: Money, merchant: str, *, airline: bool = False
    ) -> ProviderTransaction:
        """A card charge in the sandbox (the API takes no merchant: it is not sent)."""
        return await self._mock(card_id, amount, "deduct")

    async def simulate_refund(
        self, card_id: str, amount: Money, merchant: str
    ) -> ProviderTransaction:
        return await self._mock(card_id, amount, "credit")

    async def _mock(self, card_id: str, amount: Money, kind: str) -> ProviderTransaction:
        if not self.sandbox:
            raise ProviderError("not-offered", "mock transactions exist only in the sandbox")
        _usd(amount)
        body = {"cardId": card_id, "amount": mock_amount(amount), "type": kind}
        await self._write(MOCK_TRANSACTION, body, op="mock")
        page = await self.transactions(card_id, 0, 1)
        if not page.items:
            raise ProviderError("provider-bad-response", "mock transaction not listed")
        return page.items[0]

    # -- money ----------------------------------------------------------------------------------
    async def _move(self, kind: str, card_id: str, amount: Money, reference: str) -> ProviderCard:
        _usd(amount)
        if amount.minor <= 0:
            raise ProviderError("provider-bad-request", "amount must be positive")
        cents = amount.minor  # top-up and withdrawal amounts are integer cents
        prior = await self._find_transaction(card_id, reference)
        if prior is not None:  # this reference already reached Bitnob: never send it twice
            return await self._after_move(kind, card_id, cents, prior)
        path = TOP_UP if kind == "topup" else WITHDRAW
        body = {"amount": cents, "cardId": card_id, "reference": reference}
        try:
            data = await self._write(path, body, op=kind)
        except ProviderError as exc:
            if exc.code != DUPLICATE_REFERENCE and exc.definite:
                raise
            found = await self._lookup(
                lambda ref: self._find_transaction(card_id, ref), reference, exc
            )
            if found is not None:
                return await self._after_move(kind, card_id, cents, found)
            if exc.code == DUPLICATE_REFERENCE:
                raise ProviderError(DUPLICATE_REFERENCE, "reference used elsewhere") from exc
            raise
        state = str(data.get("status") or "").lower() if isinstance(data, dict) else ""
        if state in ("failed", "declined"):
            raise ProviderError(f"provider-bitnob-{kind}-failed")
        # "pending": accepted, final by webhook. The balance shown comes from a fresh read.
        log.info("bitnob.money_accepted", kind=kind, card_id=card_id, reference=reference)
        return await self._fresh(card_id)

    async def _after_move(
        self, kind: str, card_id: str, cents: int, prior: Mapping[str, Any]
    ) -> ProviderCard:
        expected = _kind(prior)
        if expected != kind or _cents_of(prior) != cents:
            raise ProviderError(DUPLICATE_REFERENCE, "reference used for another movement")
        if _txn_status(prior) == "declined":
            raise ProviderError(f"provider-bitnob-{kind}-failed")
        return await self._fresh(card_id)

    async def _fresh(self, card_id: str) -> ProviderCard:
        """The card after money moved. If it cannot be read now the caller must not conclude
        the movement failed: the reference will be found on the next try."""
        try:
            return await self.get_card(card_id)
        except ProviderError as exc:
            raise ProviderError(exc.code, "moved; card not readable", definite=False) from exc

    async def _find_transaction(self, card_id: str, reference: str) -> dict[str, Any] | None:
        rows, _ = await self._transactions_with(card_id, reference)
        return rows[0] if rows else None

    async def _transactions_with(
        self, card_id: str, reference: str
    ) -> tuple[list[dict[str, Any]], bool]:
        """The card's transactions carrying our reference (newest first), and whether the
        whole list was read."""
        path = CARD_TRANSACTIONS.format(id=card_id)
        rows, complete = await self._walk_all(path, ("cardTransactions", "transactions"))
        return [row for row in rows if row.get("reference") == reference], complete

    # -- card state -----------------------------------------------------------------------------
    async def _set_state(self, path: str, card_id: str, target: CardStatus) -> ProviderCard:
        try:
            data = await self._call(
                "POST", path, op="card", write=True, retry=True, json={"cardId": card_id}
            )
        except ProviderError as exc:
            if not exc.definite or exc.code in ("provider-not-found", "provider-auth"):
                raise
            # Refused: already there (a repeated press or a retry that had landed) is fine;
            # otherwise say why from the card's actual state.
            card = await self.get_card(card_id)
            if card.status == target:
                return card
            if card.status in (CardStatus.PENDING, CardStatus.TERMINATED):
                raise ProviderError(f"provider-card-{card.status}") from exc
            raise
        if isinstance(data, dict) and data.get("id"):
            return self._view(_object(data))
        return await self.get_card(card_id)

    # -- reading --------------------------------------------------------------------------------
    async def _card(self, card_id: str) -> dict[str, Any]:
        data = await self._call("GET", CARD.format(id=card_id), op="read")
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError("provider-bad-response", "card answer without a card")
        return _object(data)

    async def _card_user(self, customer_id: str) -> dict[str, Any]:
        data = await self._call("GET", CARD_USER.format(id=customer_id), op="read")
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError("provider-bad-response", "card user answer without a user")
        return _object(data)

    async def _find_card_user(self, reference: str) -> dict[str, Any] | None:
        for row in await self._walk(CARD_USERS, ("users", "cardUsers")):
            if row.get("customerReference") == reference and row.get("id"):
                return row
        return None

    async def _walk(self, path: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        """Rows of a paged list, newest first, up to LOOKUP_PAGES pages."""
        rows, _ = await self._walk_all(path, keys)
        return rows

    async def _walk_all(
        self, path: str, keys: tuple[str, ...]
    ) -> tuple[list[dict[str, Any]], bool]:
        """As _walk, and whether the list ended within those pages."""
        rows: list[dict[str, Any]] = []
        for number in range(1, LOOKUP_PAGES + 1):
            body = await self._envelope(
                "GET", path, op="read", params=_page_params(number, MAX_TAKE)
            )
            page, has_next = _page(body, keys)
            rows.extend(page)
            if not page or has_next is False or (has_next is None and len(page) < MAX_TAKE):
                return rows, True
        return rows, False

    async def _lookup(self, find: Any, reference: str, cause: ProviderError) -> Any:
        """Resolve an unclear or duplicate answer by looking the reference up. If the lookup
        itself fails, the original (unclear) error stands."""
        try:
            return await find(reference)
        except ProviderError:
            log.warning("bitnob.lookup_failed", reference=reference, cause=cause.code)
            raise cause from None

    # -- transport and envelope -----------------------------------------------------------------
    async def _write(self, path: str, body: dict[str, Any], *, op: str) -> Any:
        """A POST that is not safe to repeat blindly: sent once, and again only after a 429
        (which means Bitnob did not take it), honouring Retry-After / retry_after."""
        attempts = max(self.retry.attempts, 1)
        for attempt in range(attempts):
            response = await self.request("POST", path, retry=False, json=body)
            if response.status_code == 429 and attempt < attempts - 1:
                wait = self.retry_after(response)
                await self.sleep(wait if wait is not None else self.retry.backoff(attempt))
                continue
            return _data(self._parse(response, op=op, write=True))
        raise AssertionError("unreachable")

    async def _call(
        self,
        method: str,
        path: str,
        *,
        op: str,
        write: bool = False,
        retry: bool | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return _data(
            await self._envelope(
                method, path, op=op, write=write, retry=retry, json=json, params=params
            )
        )

    async def _envelope(
        self,
        method: str,
        path: str,
        *,
        op: str,
        write: bool = False,
        retry: bool | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.request(
            method,
            path,
            retry=(not write) if retry is None else retry,
            json=json,
            params=params,
        )
        return self._parse(response, op=op, write=write)

    def _parse(self, response: httpx.Response, *, op: str, write: bool) -> dict[str, Any]:
        """The ``{status, message, data}`` envelope, or the typed error it carries.

        Errors come as ``{statusCode, message}`` (message a string or a list of validation
        messages) with a 4xx/5xx, or as HTTP 200 with ``status: false``.
        """
        status = response.status_code
        if status >= 500:
            raise ProviderError("provider-unavailable", f"HTTP {status}", definite=not write)
        try:
            body = response.json()
        except ValueError:
            # A 2xx we cannot read after a write may still have acted.
            raise ProviderError(
                "provider-bad-response", f"HTTP {status}, not JSON", definite=not write
            ) from None
        if not isinstance(body, dict):
            raise ProviderError("provider-bad-response", f"HTTP {status}", definite=not write)
        failed = body.get("status") is False or _error_status(body.get("statusCode"))
        if response.is_success and not failed:
            return body
        raise _error(status, body, op)

    # -- views ----------------------------------------------------------------------------------
    def _view(self, card: Mapping[str, Any], default: CardStatus | None = None) -> ProviderCard:
        """Our view of a card object: never the number or the CVV."""
        last4 = _text(card.get("last4"))
        if not re.fullmatch(r"\d{4}", last4):
            last4 = ""
        airline = card.get("isAirlinePaymentEnabled")  # guess: not a documented card field
        return ProviderCard(
            card_id=_text(card.get("id")),
            brand=_brand(card.get("cardBrand")),
            last4=last4,
            masked_pan=f"•••• •••• •••• {last4}" if last4 else "",
            status=_status(card) if default is None else default,
            balance=Money(_minor(card.get("balance"), "balance")),
            airline_payments=airline if isinstance(airline, bool) else None,
        )


# -- conversions: units, statuses, shapes ------------------------------------------------------
def dollars_string(amount: Money) -> str:
    """Card creation's `amount`: a string of whole dollars ("100" = $100) [seed]."""
    _usd(amount)
    if amount.minor < 0:
        raise ProviderError("provider-bad-request", "amount must not be negative")
    dollars = Decimal(amount.minor) / 100
    if dollars != dollars.to_integral_value():
        raise ProviderError("provider-bitnob-whole-dollars", f"{amount.minor} cents")
    return str(int(dollars))


def mock_amount(amount: Money) -> str:
    """guess: the mock-transaction `amount` is a string whose unit the seed does not give; it
    is read as cents, like every other amount Bitnob's card guide describes."""
    return str(amount.minor)


def registration(application: KycApplication) -> dict[str, Any]:
    """The register-card-user body, as the seed names its fields."""
    id_type = ID_TYPES.get(application.id_type, application.id_type.upper())
    body: dict[str, Any] = {
        "customerReference": application.reference,
        "firstName": application.first_name,
        "lastName": application.last_name,
        "idType": id_type,
        "idNumber": application.id_number,
        "country": country_name(application.country),  # "Name of the customer's country"
        "phoneNumber": application.phone_e164,
        "city": application.city,
        "state": application.region,
        "zipCode": application.postal_code,
        "line1": application.address_line1,
        "houseName": house_name(application.address_line1),
        "dateOfBirth": application.birth_date.isoformat(),  # YYYY-MM-DD; required in Ghana
        "userPhoto": photo(application.selfie),
        "idImage": photo(application.id_photo),
    }
    if id_type == "BVN":  # "required when the customer is a Nigerian citizen"
        body["bvn"] = application.id_number
    return body


def house_name(line1: str) -> str:
    """guess: we ask for one address line; `houseName` ("the name or number of the building")
    is its leading house number when it has one, else the whole line."""
    match = re.match(r"\s*(\d+[A-Za-z]?)\b", line1)
    return match.group(1) if match else line1


def photo(data: bytes) -> str:
    """guess: "URL or base64-encoded image" — sent as plain base64, without a data: prefix."""
    return base64.b64encode(data).decode("ascii")


def _usd(amount: Money) -> None:
    if amount.currency != "USD":
        raise ProviderError("provider-bad-request", "Bitnob cards are USD cards")


def _minor(value: Any, what: str) -> int:
    """An amount Bitnob gives in cents (number or numeric string)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ProviderError("provider-bad-response", f"{what} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProviderError("provider-bad-response", f"{what} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ProviderError("provider-bad-response", f"{what} is not whole cents")
    return int(number)


def _cents_of(row: Mapping[str, Any]) -> int:
    """A transaction's amount in cents: `centAmount`; the dollar `amount` only without it
    (Bitnob's samples show `amount` equal to `centAmount`, so it is not trusted)."""
    if row.get("centAmount") is not None:
        return _minor(row["centAmount"], "centAmount")
    try:
        dollars = Decimal(str(row.get("amount")))
    except InvalidOperation:
        raise ProviderError("provider-bad-response", "transaction amount") from None
    cents = dollars * 100
    if not cents.is_finite() or cents != cents.to_integral_value():
        raise ProviderError("provider-bad-response", "transaction amount")
    return int(cents)


def _status(card: Mapping[str, Any]) -> CardStatus:
    created = str(card.get("createdStatus") or "").lower()
    if created in CREATED_PENDING:
        return CardStatus.PENDING
    if created in CREATED_FAILED:  # guess: a card whose creation failed will never work
        return CardStatus.TERMINATED
    status = str(card.get("status") or "").lower()
    if status not in CARD_STATUS:
        raise ProviderError("provider-bad-response", f"card status {status[:20]!r}")
    return CARD_STATUS[status]


def _brand(value: Any) -> str:
    brand = str(value or "").lower().replace(" ", "")
    return brand if brand in BRANDS else (brand or "visa")


def _kind(row: Mapping[str, Any]) -> str:
    """Our transaction kind. `method` first: Bitnob marks a withdrawal `type: credit`."""
    method = str(row.get("method") or "").lower()
    if method == "topup":
        return "topup"
    if method in ("withdrawal", "withdraw"):
        return "withdraw"
    return "purchase" if str(row.get("type") or "").lower() == "debit" else "refund"


def _txn_status(row: Mapping[str, Any]) -> str:
    status = str(row.get("status") or "").lower()
    if status in ("success", "successful", "completed"):
        return "approved"
    if status in ("failed", "declined", "reversed"):
        return "declined"
    return status or "pending"


def _transaction(row: Mapping[str, Any]) -> ProviderTransaction:
    narrative = row.get("narrative")
    return ProviderTransaction(
        id=_text(row.get("id")),
        kind=_kind(row),
        amount=Money(_cents_of(row)),
        status=_txn_status(row),
        created_at=_when(row.get("createdAt")),
        merchant=narrative if isinstance(narrative, str) and narrative else None,
    )


def _secrets(card: Mapping[str, Any]) -> CardSecrets:
    pan = re.sub(r"\D", "", _text(card.get("cardNumber")))
    cvv = _text(card.get("cvv2"))
    if not 12 <= len(pan) <= 19 or not re.fullmatch(r"\d{3,4}", cvv):
        raise ProviderError("provider-bitnob-reveal-unavailable")
    month, year = _expiry(card)
    return CardSecrets(pan=pan, cvv=cvv, expiry_month=month, expiry_year=year)


def _expiry(card: Mapping[str, Any]) -> tuple[int, int]:
    """`valid` is "MM/YYYY"; `expiry` an ISO timestamp."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", _text(card.get("valid")))
    if match:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if 1 <= month <= 12:
            return month, year
    if card.get("expiry"):
        when = _when(card.get("expiry"))
        return when.month, when.year
    raise ProviderError("provider-bitnob-reveal-unavailable", "no expiry")


def _when(value: Any) -> datetime:
    text = _text(value)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProviderError("provider-bad-response", "timestamp") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _kyc(user: Mapping[str, Any]) -> KycResult:
    """`kycPassed`: true approved, false rejected, null still under review."""
    passed = user.get("kycPassed")
    status = (
        KycStatus.APPROVED
        if passed is True
        else KycStatus.REJECTED
        if passed is False
        else KycStatus.PENDING
    )
    return KycResult(_text(user.get("id")), status)


def _page_params(page: int, take: int) -> dict[str, str]:
    return {"order": ORDER_NEWEST_FIRST, "page": str(page), "take": str(take)}


def _page(
    body: Mapping[str, Any], keys: tuple[str, ...]
) -> tuple[list[dict[str, Any]], bool | None]:
    """Rows and `hasNextPage` of a paged answer.

    guess: the documented sample nests rows as ``data.cardTransactions``; the meta fields
    (page, take, itemCount, pageCount, hasPreviousPage, hasNextPage) are documented without
    their place, read from ``data.meta``, then ``meta``, then ``data`` itself.
    """
    data = body.get("data")
    rows: Any = None
    if isinstance(data, list):
        rows = data
    elif isinstance(data, dict):
        for key in (*keys, "items", "data"):
            if isinstance(data.get(key), list):
                rows = data[key]
                break
    if rows is None:
        raise ProviderError("provider-bad-response", "list answer without rows")
    has_next: Any = None
    for meta in (
        data.get("meta") if isinstance(data, dict) else None,
        body.get("meta"),
        data if isinstance(data, dict) else None,
    ):
        if isinstance(meta, dict) and isinstance(meta.get("hasNextPage"), bool):
            has_next = meta["hasNextPage"]
            break
    return [_object(row) for row in rows if isinstance(row, dict)], has_next


def _object(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _data(body: Mapping[str, Any]) -> Any:
    return body.get("data")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _error_status(value: Any) -> bool:
    try:
        return value is not None and int(value) >= 400
    except (TypeError, ValueError):
        return False


def _message(body: Mapping[str, Any]) -> str:
    message = body.get("message")
    if isinstance(message, list):
        message = "; ".join(str(part) for part in message)
    text = str(message or body.get("error") or "")
    return _LONG_DIGITS.sub("…", text)[:300]  # never echo anything that looks like a number


def _error(status: int, body: Mapping[str, Any], op: str) -> ProviderError:
    """A refusal (4xx, or 200 with status false) as a typed error. All are definite: Bitnob
    answered and did not act."""
    message = _message(body)
    if status == 401:
        code = "provider-auth"
    elif status == 403:  # the card API must be enabled for the business by Bitnob
        code = "provider-bitnob-cards-not-enabled"
    elif status == 404:
        code = "provider-not-found"
    elif status == 429:
        code = "provider-rate-limited"
    else:
        code = message_code(message, op)
    return ProviderError(code, message or f"HTTP {status}")


def message_code(message: str, op: str) -> str:
    """guess: the v1 docs list no error messages, only `{statusCode, message}`; refusals are
    told apart by the words of the message, in this one table."""
    text = message.lower()
    if op == "kyc" and any(w in text for w in ("already exist", "already registered")):
        return USER_EXISTS
    if "reference" in text and any(w in text for w in ("exist", "already", "duplicate", "used")):
        return DUPLICATE_REFERENCE
    if "bvn" in text:
        return "provider-bitnob-bvn-required"
    if "kyc" in text:
        return "provider-kyc-not-approved"
    if "insufficient" in text or "not enough" in text:
        # On a withdrawal it is the card's balance; otherwise the business's funding wallet.
        return "provider-insufficient-funds" if op == "withdraw" else "provider-bitnob-funding-low"
    if "terminated" in text:
        return "provider-card-terminated"
    if "frozen" in text and "not frozen" not in text:
        return "provider-card-frozen"
    if "not active" in text or "pending" in text:
        return "provider-card-pending"
    if "not found" in text or "does not exist" in text:
        return "provider-not-found"
    return "provider-bad-request"
