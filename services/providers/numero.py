"""Numero (seed 000): USD virtual cards through the Numero business API.

Sources: the seed (`shared/seeds/000_…`, Numero's "Cards overview") and the fact sheet
`shared/providers/numero.md`. What they leave open is guessed, each guess in ONE place below
(look for ``# guess:``), and listed in `docs/providers/numero.md`.

What the API is like, and what this adapter does about it:

- One header, ``X-Numero-Api-Key``; card endpoints are not signature-gated.
- Every answer is HTTP 200; success or failure is in the body. Two envelopes are documented —
  ``{status, message, code, reference, data, error}`` (hand-written pages) and
  ``{data, error: {message, param}, meta: {request_id, pagination}}`` (OpenAPI pages) — and
  both are parsed (`parse_envelope`). A non-200 (a gateway in front, a 429) is handled too.
- Amounts are US dollars as JSON numbers. Responses are parsed with ``Decimal`` (never float);
  requests carry the exact dollar value of our integer cents.
- KYC travels inline on create-cardholder; a card is issued per cardholder.
- No idempotency key and no client reference on issue, top-up or withdraw. Our reference rides in
  the card ``label``, so an unclear issuance is resolved by listing the cardholder's cards. A
  top-up or withdrawal is resolved by comparing the card balance with the one read just before
  the call (kept per reference), so calling again with the same reference never moves money
  twice. That memory lives in this process: ``find_movement`` answers None after a restart.
- No terminate endpoint, no disputes (dashboard only), no disposable cards, no airline toggle:
  these raise ``ProviderError("not-offered")`` and are not declared.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx
import structlog
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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

SANDBOX_URL = "https://api-dev.usenumero.com/numeroaccount/api/v1"  # [seed]
API_KEY_HEADER = "X-Numero-Api-Key"  # [seed]
CURRENCY = "USD"
STATEMENT_MAX_PAGE_SIZE = 200  # [doc: cards/card-statement] pageSize 1–200
CENT = Decimal("0.01")

CAPABILITIES = frozenset(
    {
        Capability.ISSUE,
        Capability.INITIAL_AMOUNT,  # initialBalance on issue
        Capability.PRODUCTS,  # GET /business/card/products
        Capability.WALLET_PAY,  # capability APPLE_PAY / GOOGLE_PAY on issue
        Capability.TOPUP,
        Capability.WITHDRAW,
        Capability.FREEZE,  # freeze and unfreeze
        Capability.REVEAL,
        Capability.STATEMENT,
        Capability.LIMITS,  # dailyLimit, perTransactionLimit
    }
)

# Documented card statuses [doc: cards-get], capitalised; matched case-insensitively.
CARD_STATUS = {
    "pending": CardStatus.PENDING,
    "active": CardStatus.ACTIVE,
    "frozen": CardStatus.FROZEN,
    "terminated": CardStatus.TERMINATED,
}

WALLETS = {"APPLE_PAY": "apple_pay", "GOOGLE_PAY": "google_pay"}  # [seed] capability values
PLAIN_CAPABILITY = "USD"  # [seed] the plain card's capability (also the default)


# -- guesses: each one lives here, and only here ---------------------------------------------


def label_for(reference: str) -> str:
    # guess: `label` is free text kept verbatim and echoed on the card; no length limit is
    # documented, and our references are 35 characters ("cb-" + 32 hex).
    return reference


# guess: our ID type codes → Numero's `idType`; only BVN and PASSPORT are documented examples.
ID_TYPES = {
    "bvn": "BVN",
    "nin": "NIN",
    "passport": "PASSPORT",
    "drivers_licence": "DRIVERS_LICENSE",
    "national_id": "NATIONAL_ID",
    "ghana_card": "GHANA_CARD",
}


def kyc_status_of(cardholder: Mapping[str, Any]) -> tuple[KycStatus, str | None]:
    # guess: the cardholder `status` field is documented, its values are not. Read it in the
    # card vocabulary's style (Active = verified), with the usual synonyms; unknown = pending.
    value = str(cardholder.get("status") or "").strip().lower().replace("_", " ")
    if value in ("active", "approved", "verified", "enabled", "completed"):
        return KycStatus.APPROVED, None
    if value in ("rejected", "declined", "failed", "blocked"):
        reason = cardholder.get("statusReason") or cardholder.get("reason")
        return KycStatus.REJECTED, str(reason) if reason else None
    return KycStatus.PENDING, None


def products_from(data: Any) -> tuple[str | None, list[Mapping[str, Any]]]:
    # guess: the products response shape is not documented ("products + capabilities +
    # entitlement"). Assumed: data = {entitlement: {status}, products: [{productCode, name,
    # brand, currency, capabilities: [...], available}]}; a bare list of products is accepted.
    if isinstance(data, list):
        return None, [p for p in data if isinstance(p, Mapping)]
    if not isinstance(data, Mapping):
        raise ProviderError("provider-bad-response", "products: no data")
    entitlement = data.get("entitlement")
    status = None
    if isinstance(entitlement, Mapping):
        status = str(entitlement.get("status") or "") or None
    elif isinstance(entitlement, str):
        status = entitlement
    elif isinstance(entitlement, bool):
        status = "approved" if entitlement else "not_approved"
    items = data.get("products") or data.get("items") or []
    return status, [p for p in items if isinstance(p, Mapping)]


ENTITLED = {"approved", "active", "enabled", "granted"}  # guess: entitlement status values


def secrets_from(data: Any) -> CardSecrets:
    # guess: reveal's response fields are not documented. Assumed the card object's naming:
    # `pan` (or `cardNumber`/`number`), `cvv` (or `cvv2`), `expiryMonth`, `expiryYear`.
    if not isinstance(data, Mapping):
        raise ProviderError("provider-bad-response", "reveal: no data")
    pan = next((data[k] for k in ("pan", "cardNumber", "number") if data.get(k)), None)
    cvv = next((data[k] for k in ("cvv", "cvv2", "cvc") if data.get(k)), None)
    try:
        month = int(str(data.get("expiryMonth")))
        year = int(str(data.get("expiryYear")))
    except ValueError:
        month = year = 0
    pan_text = "".join(str(pan or "").split())
    if not pan_text.isdigit() or not str(cvv or "").isdigit() or not 1 <= month <= 12 or not year:
        # never echo what came back: it may hold card data
        raise ProviderError("provider-bad-response", "reveal: fields missing")
    return CardSecrets(pan_text, str(cvv), month, year + 2000 if year < 100 else year)


def card_list_items(data: Any) -> list[Mapping[str, Any]]:
    # guess: GET /business/card's shape is not documented; a cardholder's cards come back as a
    # bare array [doc: cardholders-cards], so an array is assumed, with {cards|items: [...]}
    # accepted too.
    if isinstance(data, Mapping):
        data = data.get("cards") or data.get("items") or data.get("data") or []
    return [c for c in data if isinstance(c, Mapping)] if isinstance(data, list) else []


# guess: GET /business/card (list your cards) takes the statement's pageNumber/pageSize.
LIST_CARDS_PAGE_SIZE = 100
LIST_CARDS_MAX_PAGES = 50


# guess: transaction `type` values beyond the documented example "Settlement", read from the
# seed's event list (spend, settlement, refund, reversal, cross-border, decline).
TRANSACTION_KINDS = {
    "settlement": "purchase",
    "spend": "purchase",
    "purchase": "purchase",
    "authorization": "purchase",
    "authorisation": "purchase",
    "cross-border": "fee",
    "crossborder": "fee",
    "cross border": "fee",
    "fee": "fee",
    "refund": "refund",
    "reversal": "refund",
    "decline": "purchase",
    "declined": "purchase",
    "topup": "topup",
    "top-up": "topup",
    "funding": "topup",
    "withdraw": "withdraw",
    "withdrawal": "withdraw",
}
DECLINED = {"declined", "decline", "failed", "rejected"}  # guess: transaction status values


def error_code(code: str | None, text: str, operation: str) -> str:
    # guess: only `approval_required`, "IP not whitelisted" and the codes "400"/"403"/"500" are
    # documented; the rest is read from the error message's words.
    words = text.lower()
    if "approval_required" in words or "approval required" in words or "entitlement" in words:
        return "provider-numero-approval-required"
    if code == "429" or "too many" in words or "rate limit" in words:
        return "provider-rate-limited"
    if "whitelist" in words or "allowlist" in words or "allow-list" in words:
        return "provider-numero-ip-not-allowed"
    if code == "401" or "api key" in words or "api-key" in words or "unauthori" in words:
        return "provider-auth"
    if "insufficient" in words:
        # a withdrawal draws on the card; issuance and top-ups on the business's card wallet
        if operation == "withdraw":
            return "provider-insufficient-funds"
        return "provider-numero-wallet-underfunded"
    if "kyc" in words:
        return "provider-kyc-not-approved"
    if "capability" in words:
        return "provider-numero-capability-unavailable"
    for status in ("terminated", "frozen", "pending"):
        if status in words:
            return f"provider-card-{status}"
    if any(w in words for w in ("temporarily unavailable", "internal server", "service unavail")):
        return "provider-unavailable"  # the canonical envelope has no code to say 5xx
    if code == "404" or "not found" in words:
        return "provider-not-found"
    if code == "403":
        return "provider-forbidden"
    if code is not None and code.startswith("5"):
        return "provider-unavailable"
    return "provider-bad-request"


# -- the envelope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    ok: bool
    data: Any
    code: str | None  # the body's `code` ("200", "400"…) or, failing that, the HTTP status
    message: str
    reference: str | None  # Numero's own reference / request id, for support
    pagination: Mapping[str, Any] | None
    words: str = ""  # every code and message in the body, for reading what went wrong


FAILED_WORDS = {"false", "error", "failed", "fail", "unsuccessful"}


def parse_envelope(body: Any, http_status: int = 200) -> Envelope:
    """Either documented envelope; success only when nothing in it says otherwise."""
    if not isinstance(body, Mapping):
        raise ProviderError(
            "provider-bad-response", f"HTTP {http_status}, not an object", definite=False
        )
    error = body.get("error")
    error_message = None
    error_code_value = None
    if isinstance(error, Mapping):
        error_message = error.get("message")
        error_code_value = error.get("code")
    elif isinstance(error, str) and error:
        error_message = error
    status = body.get("status")
    code = body.get("code", error_code_value)
    code_text = str(code).strip() if code not in (None, "") else None
    raw_meta = body.get("meta")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    failed = (
        status is False
        or (isinstance(status, str) and status.strip().lower() in FAILED_WORDS)
        or (code_text is not None and code_text.isdigit() and not code_text.startswith("2"))
        or bool(error)
        or http_status >= 400
    )
    if code_text is None or not code_text.isdigit():
        code_text = str(http_status) if http_status >= 400 else code_text
    message = str(error_message or body.get("message") or "")
    reference = body.get("reference") or meta.get("request_id")
    pagination = meta.get("pagination") if isinstance(meta.get("pagination"), Mapping) else None
    words = " ".join(
        str(part)
        for part in (code, error_code_value, error_message, body.get("message"))
        if isinstance(part, str | int) and not isinstance(part, bool)
    )
    return Envelope(
        ok=not failed,
        data=body.get("data"),
        code=code_text,
        message=message,
        reference=str(reference) if reference else None,
        pagination=pagination,
        words=words,
    )


# -- units -----------------------------------------------------------------------------------


def to_dollars(amount: Money) -> float:
    """Our cents as the API's dollar number. Exact: the decimal value is computed with
    Decimal, and every cent amount below 2**53 has a shortest float repr equal to it."""
    if amount.currency != CURRENCY:
        raise ProviderError("provider-bad-request", f"Numero cards are {CURRENCY} only")
    return float(Decimal(amount.minor).scaleb(-2))


def from_dollars(value: Any, *, what: str = "amount") -> Money:
    """A dollar amount from a response (number parsed as Decimal, int, or numeric string)."""
    if value is None:
        return Money(0, CURRENCY)
    if isinstance(value, bool) or isinstance(value, float):
        raise ProviderError("provider-bad-response", f"{what}: not a decimal number")
    try:
        dollars = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ProviderError("provider-bad-response", f"{what}: not a number") from exc
    if not dollars.is_finite():
        raise ProviderError("provider-bad-response", f"{what}: not a number")
    cents = (dollars / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(cents), CURRENCY)


def _loads(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


# -- settings and construction -----------------------------------------------------------------


class NumeroSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARDBOT_NUMERO_", env_file=".env", extra="ignore")

    base_url: str = SANDBOX_URL
    api_key: SecretStr | None = None
    timeout_seconds: float = 15.0


def create(settings: Settings) -> NumeroProvider:
    own = NumeroSettings()
    if own.api_key is None or not own.api_key.get_secret_value().strip():
        raise SystemExit(
            "CARDBOT_PROVIDER=numero needs CARDBOT_NUMERO_API_KEY (Numero dashboard → "
            "Settings → Developer) and optionally CARDBOT_NUMERO_BASE_URL "
            f"(default: the sandbox, {SANDBOX_URL})."
        )
    return NumeroProvider(own.base_url, own.api_key.get_secret_value(), timeout=own.timeout_seconds)


@dataclass
class _Movement:
    """A top-up or withdrawal we asked for: what the balance was just before, and whether it
    is known to have happened."""

    card_id: str
    kind: str
    amount: Money
    before: Money
    done: bool = False

    @property
    def expected(self) -> Money:
        return self.before + self.amount if self.kind == "topup" else self.before - self.amount


class _Bounded(OrderedDict[str, Any]):
    """A small in-memory map that forgets the oldest entries."""

    def __init__(self, size: int = 10_000) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


# -- the adapter -------------------------------------------------------------------------------


class NumeroProvider(ProviderHttp):
    name = "numero"
    info = ProviderInfo(name="numero", capabilities=CAPABILITIES, brands=("visa",))

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(base_url, timeout=timeout, retry=retry, transport=transport, sleep=sleep)
        self._api_key = api_key
        self._customer_of: _Bounded = _Bounded()  # our issue reference → customerId
        self._movements: _Bounded = _Bounded()  # our money reference → _Movement
        self._unclear_kyc: _Bounded = _Bounded()  # KYC application reference → True
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"NumeroProvider({self.base_url!r})"

    async def auth_headers(self) -> dict[str, str]:
        return {API_KEY_HEADER: self._api_key}

    # -- KYC: inline on create-cardholder ------------------------------------------------------
    async def submit_kyc(self, application: KycApplication) -> KycResult:
        if application.reference in self._unclear_kyc:
            # an earlier submission may have created the cardholder: never create two
            found = await self._find_cardholder(application)
            if found is not None:
                self._unclear_kyc.pop(application.reference, None)
                return self._kyc_result(found)
        try:
            data = await self._call(
                "POST", "/business/cardholders", "kyc", json=self._cardholder_body(application)
            )
        except ProviderError as exc:
            if exc.definite:
                raise
            self._unclear_kyc[application.reference] = True
            found = await self._quietly(self._find_cardholder(application))
            if found is None:
                raise
            self._unclear_kyc.pop(application.reference, None)
            return self._kyc_result(found)
        return self._kyc_result(self._mapping(data, "cardholder"))

    async def kyc_status(self, customer_id: str) -> KycResult:
        data = await self._call("GET", f"/business/cardholders/{customer_id}", "kyc-status")
        return self._kyc_result(self._mapping(data, "cardholder"))

    @staticmethod
    def _cardholder_body(application: KycApplication) -> dict[str, Any]:
        body: dict[str, Any] = {
            "firstName": application.first_name,
            "lastName": application.last_name,
            "phone": application.phone_e164,
            "dateOfBirth": application.birth_date.isoformat(),  # YYYY-MM-DD [doc]
            "address1": application.address_line1,
            "city": application.city,
            "state": application.region,
            "zipcode": application.postal_code,
            "country": application.country.upper(),  # ISO-2 [doc]
            "idType": ID_TYPES.get(application.id_type, application.id_type.upper()),
            "idNumber": application.id_number,
        }
        if application.id_type == "bvn":
            body["bvn"] = application.id_number
        # The ID photo and selfie are not sent: the API takes only an `idDocumentFrontUrl`
        # (a hosted URL), which we do not have.
        return body

    async def _find_cardholder(self, application: KycApplication) -> Mapping[str, Any] | None:
        data = await self._call("GET", "/business/cardholders", "kyc-lookup")
        for holder in card_list_items(data):
            if (
                str(holder.get("phone") or "") == application.phone_e164
                and str(holder.get("firstName") or "").lower() == application.first_name.lower()
                and str(holder.get("lastName") or "").lower() == application.last_name.lower()
            ):
                return holder
        return None

    @staticmethod
    def _kyc_result(holder: Mapping[str, Any]) -> KycResult:
        customer_id = holder.get("customerId")
        if not customer_id:
            raise ProviderError("provider-bad-response", "cardholder without customerId")
        status, reason = kyc_status_of(holder)
        return KycResult(str(customer_id), status, reason)

    # -- products ------------------------------------------------------------------------------
    async def products(self) -> list[Product]:
        data = await self._call("GET", "/business/card/products", "products")
        entitlement, items = products_from(data)
        if entitlement is not None and entitlement.strip().lower() not in ENTITLED:
            raise ProviderError("provider-numero-approval-required", f"entitlement {entitlement}")
        products = []
        for item in items:
            code = item.get("productCode") or item.get("code")
            if not code or item.get("available") is False or item.get("entitled") is False:
                continue
            if str(item.get("currency") or CURRENCY).upper() != CURRENCY:
                continue
            capabilities = [str(c).upper() for c in item.get("capabilities") or []]
            products.append(
                Product(
                    code=str(code),
                    name=str(item.get("name") or item.get("description") or code),
                    brand=str(item.get("brand") or "visa").lower(),
                    wallets=tuple(WALLETS[c] for c in capabilities if c in WALLETS),
                )
            )
        return products

    # -- issuing -------------------------------------------------------------------------------
    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        if request.disposable:
            raise ProviderError("not-offered", "Numero has no single-use cards")
        capability = PLAIN_CAPABILITY
        if request.wallet is not None:
            capability = next((k for k, v in WALLETS.items() if v == request.wallet), "")
            if not capability:
                raise ProviderError("provider-numero-capability-unavailable", request.wallet)
        product = request.product or await self._default_product(request)
        body: dict[str, Any] = {
            "productCode": product,
            "capability": capability,
            "label": label_for(request.reference),
        }
        if request.initial.minor:
            if request.initial.minor < 0:
                raise ProviderError("provider-bad-request", "negative initial balance")
            body["initialBalance"] = to_dollars(request.initial)
        customer = request.customer_id
        self._customer_of[request.reference] = customer
        async with self._lock(request.reference):
            # The API takes no idempotency key: a card already carrying this reference is the
            # answer to this request, issued once.
            card = await self._card_labelled(customer, request.reference)
            if card is None:
                try:
                    data = await self._call(
                        "POST", f"/business/cardholders/{customer}/cards", "issue", json=body
                    )
                except ProviderError as exc:
                    if exc.definite:
                        raise
                    card = await self._quietly(self._card_labelled(customer, request.reference))
                    if card is None:
                        raise
                else:
                    card = self._card(self._mapping(data, "card"))
        if request.limits is not None and not request.limits.empty:
            card = await self.set_limits(card.card_id, request.limits)
        return card

    async def _default_product(self, request: IssueRequest) -> str:
        for product in await self.products():
            if request.wallet is not None and request.wallet in product.wallets:
                return product.code
            if request.wallet is None and not product.wallets and product.brand == request.brand:
                return product.code
        raise ProviderError(
            "provider-numero-capability-unavailable", "no product for this card type"
        )

    async def _card_labelled(self, customer_id: str, reference: str) -> ProviderCard | None:
        data = await self._call("GET", f"/business/cardholders/{customer_id}/cards", "lookup")
        return self._labelled(card_list_items(data), reference)

    def _labelled(self, cards: list[Mapping[str, Any]], reference: str) -> ProviderCard | None:
        label = label_for(reference)
        found = [c for c in cards if str(c.get("label") or "") == label]
        return self._card(found[0]) if found else None

    async def find_card_by_reference(self, reference: str) -> ProviderCard | None:
        customer = self._customer_of.get(reference)
        if customer is not None:
            return await self._card_labelled(customer, reference)
        # Not issued from this process: walk the business's cards.
        for page in range(1, LIST_CARDS_MAX_PAGES + 1):
            data = await self._call(
                "GET",
                "/business/card",
                "lookup",
                params={"pageNumber": page, "pageSize": LIST_CARDS_PAGE_SIZE},
            )
            cards = card_list_items(data)
            found = self._labelled(cards, reference)
            if found is not None or len(cards) < LIST_CARDS_PAGE_SIZE:
                return found
        return None

    async def get_card(self, card_id: str) -> ProviderCard:
        data = await self._call("GET", f"/business/card/{card_id}", "card")
        return self._card(self._mapping(data, "card"))

    # -- money: no client reference, so the balance tells whether a call landed -----------------
    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move("topup", card_id, amount, reference)

    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        """Numero keeps no reference of ours: only a movement this process asked for can be told,
        by the card balance against the one read just before the call (as ``_move`` does before
        sending again). The balance where it would be after the movement: True; where it was
        before: False; anywhere else (other activity on the card): None. A reference this
        process does not know (asked before a restart, or by another process) is None."""
        async with self._lock(reference):
            movement: _Movement | None = self._movements.get(reference)
            if movement is None or movement.card_id != card_id:
                return None
            if movement.done:
                return True
            card = await self.get_card(card_id)
            if card.balance == movement.expected:
                movement.done = True
                log.info("numero.movement_found", kind=movement.kind, reference=reference)
                return True
            if card.balance == movement.before:
                return False
            return None

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move("withdraw", card_id, amount, reference)

    async def _move(self, kind: str, card_id: str, amount: Money, reference: str) -> ProviderCard:
        dollars = to_dollars(amount)
        if amount.minor <= 0:
            raise ProviderError("provider-bad-request", "the amount must be positive")
        async with self._lock(reference):
            movement: _Movement | None = self._movements.get(reference)
            if movement is not None and (
                movement.card_id,
                movement.kind,
                movement.amount,
            ) != (card_id, kind, amount):
                raise ProviderError("provider-bad-request", "reference reused for another movement")
            card = await self.get_card(card_id)
            if movement is not None and movement.done:
                return card  # this reference already moved the money
            if movement is not None:  # an earlier call with this reference was unclear
                if card.balance == movement.expected:
                    movement.done = True
                    log.info("numero.movement_found", kind=kind, reference=reference)
                    return card
                if card.balance != movement.before:
                    raise ProviderError(
                        "provider-numero-unconfirmed",
                        "the balance moved by another amount; check the card before retrying",
                        definite=False,
                    )
                # the balance is as it was before: the earlier call did not land; go again
            movement = _Movement(card_id, kind, amount, before=card.balance)
            self._movements[reference] = movement
            try:
                data = await self._call(
                    "POST", f"/business/card/{card_id}/{kind}", kind, json={"amount": dollars}
                )
            except ProviderError as exc:
                if exc.definite:
                    self._movements.pop(reference, None)
                    raise
                after = await self._quietly(self.get_card(card_id))
                if after is not None and after.balance == movement.expected:
                    movement.done = True
                    return after
                raise  # unclear still: the next call with this reference checks again
            movement.done = True
        return await self._card_or_fetch(data, card_id)

    # -- card state ----------------------------------------------------------------------------
    async def freeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(card_id, "freeze", CardStatus.FROZEN)

    async def unfreeze(self, card_id: str) -> ProviderCard:
        return await self._set_state(card_id, "unfreeze", CardStatus.ACTIVE)

    async def _set_state(self, card_id: str, action: str, target: CardStatus) -> ProviderCard:
        # Reaching a state is naturally idempotent, so the call is retried; refusing a card that
        # is already there is answered with the card as it is.
        try:
            data = await self._call(
                "POST", f"/business/card/{card_id}/{action}", action, retry=True
            )
        except ProviderError as exc:
            if exc.code in ("provider-not-found", "provider-auth", "provider-rate-limited"):
                raise
            card = await self._quietly(self.get_card(card_id))
            if card is not None and card.status == target:
                return card
            if (
                exc.definite
                and exc.code == "provider-bad-request"
                and card is not None
                and card.status in (CardStatus.PENDING, CardStatus.TERMINATED)
            ):  # a refusal the message did not explain: the card's state does
                raise ProviderError(f"provider-card-{card.status}", exc.detail) from exc
            raise
        return await self._card_or_fetch(data, card_id)

    async def terminate(self, card_id: str) -> ProviderCard:
        raise ProviderError("not-offered", "Numero documents no terminate endpoint")

    async def reveal(self, card_id: str) -> CardSecrets:
        # POST, but it changes nothing: safe to repeat. The response is never logged.
        data = await self._call("POST", f"/business/card/{card_id}/reveal", "reveal", retry=True)
        return secrets_from(data)

    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage:
        page = max(page, 0)
        size = min(max(size, 1), STATEMENT_MAX_PAGE_SIZE)
        envelope = await self._envelope(
            "GET",
            f"/business/card/{card_id}/transactions",
            "statement",
            params={"pageNumber": page + 1, "pageSize": size},  # 1-based [doc]
        )
        rows = self._transactions(envelope.data)
        items = [self._transaction(row) for row in rows]
        has_more = self._has_more(envelope, page, size, len(rows))
        if has_more is None:  # nothing says; ask for the one row after this page
            if len(rows) < size:
                has_more = False
            else:
                after = await self._envelope(
                    "GET",
                    f"/business/card/{card_id}/transactions",
                    "statement",
                    params={"pageNumber": (page + 1) * size + 1, "pageSize": 1},
                )
                has_more = bool(self._transactions(after.data))
        return TransactionPage(items, has_more=has_more, page=page)

    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard:
        if limits.daily_count is not None or limits.cycle_count is not None or limits.cycle:
            raise ProviderError("not-offered", "Numero limits are amounts only")
        body: dict[str, Any] = {}
        for field, value in (
            ("dailyLimit", limits.daily),
            ("perTransactionLimit", limits.per_transaction),
        ):
            if value is not None and value.minor <= 0:
                raise ProviderError("provider-bad-request", "a limit must be positive")
            body[field] = None if value is None else to_dollars(value)  # null: no limit
        data = await self._call(
            "POST", f"/business/card/{card_id}/limits", "limits", json=body, retry=True
        )
        return await self._card_or_fetch(data, card_id)

    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard:
        raise ProviderError("not-offered", "Numero has no airline toggle")

    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute:
        raise ProviderError("not-offered", "Numero chargebacks are lodged from the dashboard")

    # -- mapping -------------------------------------------------------------------------------
    def _card(self, data: Mapping[str, Any]) -> ProviderCard:
        card_id = data.get("cardReference")
        if not card_id:
            raise ProviderError("provider-bad-response", "card without cardReference")
        raw_status = str(data.get("status") or "").strip().lower()
        if raw_status not in CARD_STATUS:
            raise ProviderError("provider-bad-response", f"card status {raw_status!r}")
        first_six = "".join(ch for ch in str(data.get("firstSix") or "") if ch.isdigit())
        last4 = "".join(ch for ch in str(data.get("lastFour") or "") if ch.isdigit())[-4:]
        head = (first_six + "••••••")[:6]
        capabilities = [str(c).upper() for c in data.get("capabilities") or []]
        wallet = next((WALLETS[c] for c in capabilities if c in WALLETS), None)
        daily, per_txn = data.get("dailyLimit"), data.get("perTransactionLimit")
        return ProviderCard(
            card_id=str(card_id),
            brand=str(data.get("brand") or "visa").lower(),
            last4=last4,
            masked_pan=f"{head[:4]} {head[4:6]}•• •••• {last4}",
            status=CARD_STATUS[raw_status],
            balance=from_dollars(data.get("balance"), what="balance"),
            wallet=wallet,
            limits=Limits(
                daily=None if daily is None else from_dollars(daily, what="dailyLimit"),
                per_transaction=None
                if per_txn is None
                else from_dollars(per_txn, what="perTransactionLimit"),
            ),
        )

    async def _card_or_fetch(self, data: Any, card_id: str) -> ProviderCard:
        # guess: responses of topup/withdraw/freeze/unfreeze/limits are not documented; when
        # `data` is a card view it is used, otherwise the card is read again.
        if isinstance(data, Mapping) and data.get("cardReference") == card_id and "status" in data:
            return self._card(data)
        return await self.get_card(card_id)

    @staticmethod
    def _transactions(data: Any) -> list[Mapping[str, Any]]:
        if isinstance(data, Mapping):
            data = data.get("transactions") or data.get("items") or []
        return [t for t in data if isinstance(t, Mapping)] if isinstance(data, list) else []

    @staticmethod
    def _has_more(envelope: Envelope, page: int, size: int, count: int) -> bool | None:
        pagination = envelope.pagination
        if pagination is not None:
            if isinstance(pagination.get("has_more"), bool):
                return bool(pagination["has_more"])
            total = pagination.get("total")
            if isinstance(total, int):
                return (page + 1) * size < total
        data = envelope.data
        if isinstance(data, Mapping):
            for key in ("totalCount", "total", "totalRecords"):
                if isinstance(data.get(key), int):
                    return (page + 1) * size < int(data[key])
            if isinstance(data.get("totalPages"), int):
                return page + 1 < int(data["totalPages"])
        return None

    def _transaction(self, row: Mapping[str, Any]) -> ProviderTransaction:
        kind_text = str(row.get("type") or "").strip().lower()
        status_text = str(row.get("status") or "").strip().lower()
        declined = status_text in DECLINED or kind_text in ("decline", "declined")
        amount = from_dollars(row.get("amount"), what="transaction amount")
        merchant = row.get("merchantName") or row.get("description")
        return ProviderTransaction(
            id=str(row.get("reference") or row.get("id") or ""),
            kind=TRANSACTION_KINDS.get(kind_text, "purchase"),
            amount=Money(abs(amount.minor), CURRENCY),
            status="declined" if declined else "approved",
            created_at=self._when(row.get("occurredAt") or row.get("createdAt")),
            merchant=str(merchant) if merchant else None,
            decline_reason=self._decline_reason(row) if declined else None,
        )

    @staticmethod
    def _decline_reason(row: Mapping[str, Any]) -> str | None:
        words = str(row.get("description") or row.get("reason") or "").lower()
        if "insufficient" in words:
            return "insufficient_funds"
        if "frozen" in words:
            return "card_frozen"
        return None

    @staticmethod
    def _when(value: Any) -> datetime:
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            try:
                when = datetime.combine(date.fromisoformat(str(value)), datetime.min.time())
            except ValueError as exc:
                raise ProviderError("provider-bad-response", "transaction time") from exc
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    @staticmethod
    def _mapping(data: Any, what: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise ProviderError("provider-bad-response", f"{what}: no data")
        return data

    # -- calls ---------------------------------------------------------------------------------
    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry: bool | None = None,
    ) -> Any:
        return (
            await self._envelope(method, path, operation, json=json, params=params, retry=retry)
        ).data

    async def _envelope(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry: bool | None = None,
    ) -> Envelope:
        """One call, its envelope checked. Reads (and writes safe to repeat) are retried on
        429/5xx, whether HTTP or in-body; any write is retried on a rate limit, which means
        it was not carried out."""
        safe = method == "GET" if retry is None else retry
        attempts = self.retry.attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            response = await self.request(method, path, retry=safe, json=json, params=params)
            envelope = self._parse(response, write=not safe)
            if envelope.ok:
                return envelope
            error = self._error(envelope, operation, write=not safe)
            limited = error.code == "provider-rate-limited"
            transient = limited or error.code == "provider-unavailable"
            # an HTTP 429/5xx on a safe call was already retried by ProviderHttp
            retried = safe and (response.status_code == 429 or response.status_code >= 500)
            if last or retried or not transient or (not safe and not limited):
                log.info(
                    "numero.refused",
                    operation=operation,
                    code=envelope.code,
                    error=error.code,
                    numero_reference=envelope.reference,
                )
                raise error
            wait = self.retry_after(response)
            await self.sleep(wait if wait is not None else self.retry.backoff(attempt))
        raise AssertionError("unreachable")

    def _parse(self, response: httpx.Response, *, write: bool) -> Envelope:
        try:
            body = _loads(response.content)
        except ValueError as exc:
            status = response.status_code
            code = (
                "provider-rate-limited"
                if status == 429
                else "provider-unavailable"
                if status >= 500
                else "provider-bad-response"
            )
            raise ProviderError(
                code, f"HTTP {status}, not JSON", definite=not (write and status >= 500)
            ) from exc
        return parse_envelope(body, response.status_code)

    @staticmethod
    def _error(envelope: Envelope, operation: str, *, write: bool) -> ProviderError:
        code = error_code(envelope.code, envelope.words, operation)
        maybe_acted = write and code == "provider-unavailable"
        detail = envelope.message[:200]
        if envelope.reference:
            detail = f"{detail} (numero ref {envelope.reference})"
        return ProviderError(code, detail, definite=not maybe_acted)

    @staticmethod
    async def _quietly(awaitable: Any) -> Any:
        """A look-up made while resolving another failure: its own failure means 'unknown'."""
        try:
            return await awaitable
        except ProviderError:
            return None

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        return lock
