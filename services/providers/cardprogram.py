"""EgaCard's card-program API (seed 003, ``CARDBOT_PROVIDER=cardprogram``).

Documented (seed 003 and egacard.com/docs): card calls act as a signed-in EgaCard *user* with
``Authorization: Bearer <user-jwt>`` from ``POST /api/v1/token/`` (access + refresh, rotated via
``/api/v1/token/refresh/``); ``GET /cards/api/v1/programs/``; ``POST
/cards/api/v1/managed-cards/``; ``POST …/managed-cards/{reference}/fund/`` (debits the linked
wallet); ``POST …/managed-cards/{reference}/authorize/`` (an authorization event that holds
balance); ``POST /cards/api/v1/disputes/``; the card status vocabulary; trailing slashes.

Everything else (base URL, bodies, units, envelope, errors, the withdraw/freeze/terminate/
statement paths) is not published. The API is plainly Django REST Framework + SimpleJWT
(``/api/v1/token/``, ``…/refresh/``, ``…/verify/``, trailing slashes, ``{reference}/<verb>/``
actions), so each gap is filled with that framework's convention. Every guess lives in ONE named
constant or function below marked ``# guess:``, and is listed in docs/providers/cardprogram.md.

There is no cardholder resource: the bot signs in as the deploying business's EgaCard user and
every managed card belongs to that account. KYC is therefore not sent to EgaCard (see
``submit_kyc``). Reveal, limits, airline payments, disposable and wallet cards are not offered.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
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
from services.providers.http import ProviderHttp, RetryPolicy, Sleep, status_error
from services.settings import Settings

log = structlog.get_logger(__name__)

NAME = "cardprogram"
CURRENCY = "USD"

# -- documented paths [seed 003; egacard.com/docs/authentication] -------------------------------
TOKEN_PATH = "/api/v1/token/"
TOKEN_REFRESH_PATH = "/api/v1/token/refresh/"
PROGRAMS_PATH = "/cards/api/v1/programs/"
CARDS_PATH = "/cards/api/v1/managed-cards/"
DISPUTES_PATH = "/cards/api/v1/disputes/"
FUND = "fund"
AUTHORIZE = "authorize"

# -- guessed paths --------------------------------------------------------------------------
# guess: withdraw/freeze/unfreeze/terminate exist per the seed's "program surface"; their paths
# follow the two documented card actions ({reference}/fund/, {reference}/authorize/).
WITHDRAW = "withdraw"
FREEZE = "freeze"
UNFREEZE = "unfreeze"
TERMINATE = "terminate"
# guess: the card's balance events ("authorization events") as a DRF detail action.
TRANSACTIONS = "transactions"


def card_path(reference: str, action: str | None = None) -> str:
    """``/cards/api/v1/managed-cards/{reference}/[action/]``.

    guess: GET on ``{reference}/`` is the card (DRF retrieve) and GET on the collection lists
    the caller's cards (DRF list); only POST on the collection and the actions are documented.
    """
    if not reference or "/" in reference or reference in (".", ".."):
        raise ProviderError("provider-not-found", "card reference")
    path = f"{CARDS_PATH}{reference}/"
    return f"{path}{action}/" if action else path


# guess: the merchant-API idempotency header; the docs list it for merchant HMAC calls only.
IDEMPOTENCY_HEADER = "X-EGACARD-IDEMPOTENCY-KEY"

# guess: SimpleJWT credential field names (its default is USERNAME_FIELD; a consumer wallet
# platform signs in by e-mail).
LOGIN_FIELDS = ("email", "password")


def login_body(email: str, password: str) -> dict[str, str]:
    return dict(zip(LOGIN_FIELDS, (email, password), strict=True))


def to_api_amount(money: Money) -> str:
    """guess: amounts are DRF DecimalFields, i.e. strings in dollars with two decimals
    (``2599`` cents → ``"25.99"``)."""
    if money.currency != CURRENCY:
        raise ProviderError("provider-bad-request", f"currency {money.currency}")
    if money.minor <= 0:
        raise ProviderError("provider-bad-request", "amount must be positive")
    return str((Decimal(money.minor) / 100).quantize(Decimal("0.01")))


def from_api_amount(value: Any, currency: str = CURRENCY) -> Money:
    """An API amount (string or number, in dollars) as Money in cents; exact or refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ProviderError("provider-bad-response", f"amount {type(value).__name__}")
    try:
        dollars = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ProviderError("provider-bad-response", "amount is not a number") from exc
    cents = dollars * 100
    if not cents.is_finite() or cents != cents.to_integral_value():
        raise ProviderError("provider-bad-response", "amount is not whole cents")
    return Money(int(cents), currency.upper())


def issue_body(program: str, reference: str, wallet_id: str | None) -> dict[str, Any]:
    """guess: the create-managed-card body. Our reference rides in ``metadata`` so the card can
    be found again after an unclear failure; ``wallet`` links a funding wallet when configured."""
    body: dict[str, Any] = {
        "program": program,
        "currency": CURRENCY,
        "metadata": {"cardbot_reference": reference},
    }
    if wallet_id:
        body["wallet"] = wallet_id
    return body


def money_body(amount: Money, reference: str) -> dict[str, str]:
    """guess: the fund/withdraw body; ``client_reference`` is echoed on the card's transactions."""
    return {"amount": to_api_amount(amount), "currency": CURRENCY, "client_reference": reference}


def authorize_body(amount: Money, merchant: str) -> dict[str, str]:
    """guess: the authorize body (sandbox purchase simulation)."""
    return {"amount": to_api_amount(amount), "currency": CURRENCY, "merchant_name": merchant}


def dispute_body(card_reference: str, authorization_id: str, reason: str) -> dict[str, str]:
    """guess: a dispute is "linked to an authorization" (seed); DRF names the relation fields."""
    return {"card": card_reference, "authorization": authorization_id, "reason": reason}


def page_params(page: int, size: int) -> dict[str, int]:
    """guess: DRF PageNumberPagination, 1-based ``page`` and ``page_size``; our pages are
    0-based."""
    return {"page": page + 1, "page_size": size}


def reference_of(item: Mapping[str, Any]) -> str | None:
    """guess: where our reference comes back on a card or a transaction."""
    metadata = item.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("cardbot_reference"):
        return str(metadata["cardbot_reference"])
    for key in ("client_reference", "idempotency_key", "external_reference"):
        if item.get(key):
            return str(item[key])
    return None


LOOKUP_PAGE_SIZE = 100  # guess: the largest page the API serves
LOOKUP_MAX_PAGES = 10  # a retry follows its first attempt closely: newest pages suffice

# -- documented vocabulary [seed], mapped onto our lifecycle ----------------------------------
CARD_STATUS = {
    "pending": CardStatus.PENDING,
    "under_review": CardStatus.PENDING,  # the issuer is still checking it
    "active": CardStatus.ACTIVE,
    "frozen": CardStatus.FROZEN,
    "blocked": CardStatus.FROZEN,  # unusable, but only the issuer can lift it
    "expired": CardStatus.TERMINATED,
    "terminated": CardStatus.TERMINATED,
    "failed": CardStatus.TERMINATED,  # issuance failed: the card never worked
}

# guess: transaction types and statuses on a card's statement.
TXN_KINDS = {
    "funding": "topup",
    "fund": "topup",
    "withdrawal": "withdraw",
    "withdraw": "withdraw",
    "authorization": "purchase",
    "settlement": "purchase",
    "purchase": "purchase",
    "reversal": "refund",
    "refund": "refund",
    "fee": "fee",
}
TXN_DECLINED = {"declined", "failed", "rejected"}
# guess: statuses of a movement the program has taken but not yet applied.
TXN_IN_FLIGHT = {"pending", "processing", "queued", "initiated"}

# Which raw statuses mean a state change is already done (a blocked card is not "frozen": only
# the issuer can lift it, so freezing it must not be reported as done, nor unfreezing).
REACHED = {
    FREEZE: {"frozen"},
    UNFREEZE: {"active"},
    TERMINATE: {"terminated", "expired", "failed"},
}

# guess: dispute statuses, onto ours (open under_review won lost).
DISPUTE_STATUS = {
    "open": "open",
    "opened": "open",
    "pending": "open",
    "submitted": "open",
    "under_review": "under_review",
    "investigating": "under_review",
    "won": "won",
    "resolved": "won",
    "lost": "lost",
    "rejected": "lost",
}

# -- errors -------------------------------------------------------------------------------
AUTH = "provider-auth"
DUPLICATE = "provider-cardprogram-duplicate"
WALLET_SHORT = "provider-cardprogram-wallet-insufficient"
ISSUE_FAILED = "provider-cardprogram-issue-failed"
NO_PROGRAM = "provider-cardprogram-program-unavailable"

# guess: the API's error codes and messages are unpublished; an error's ``code`` and message
# are matched, in order, against these words (all must appear).
ERROR_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("idempotency",), DUPLICATE),
    (("duplicate",), DUPLICATE),
    (("dispute", "exist"), "provider-dispute-exists"),
    (("already", "disputed"), "provider-dispute-exists"),
    (("disputable",), "provider-not-disputable"),
    (("insufficient",), "provider-insufficient-funds"),
    (("under review",), "provider-cardprogram-under-review"),
    (("blocked",), "provider-cardprogram-blocked"),
    (("expired",), "provider-cardprogram-expired"),
    (("frozen",), "provider-card-frozen"),
    (("terminated",), "provider-card-terminated"),
    (("not active",), "provider-card-pending"),
    (("verif",), "provider-cardprogram-unverified"),
    (("country",), "provider-cardprogram-country"),
    (("program",), NO_PROGRAM),
    (("limit",), "provider-limit"),
    (("does not exist",), "provider-not-found"),
    (("not found",), "provider-not-found"),
)
FALLBACK_BY_STATUS = {
    403: "provider-forbidden",
    404: "provider-not-found",
    409: "provider-conflict",
}

CAPABILITIES = frozenset(
    {
        Capability.ISSUE,
        Capability.TOPUP,
        Capability.WITHDRAW,  # guessed path
        Capability.FREEZE,  # guessed paths (freeze and unfreeze)
        Capability.TERMINATE,  # guessed path
        Capability.STATEMENT,  # guessed path
        Capability.SIMULATE,  # authorize
        Capability.PRODUCTS,  # programs
        Capability.DISPUTES,
    }
)


class CardProgramSettings(BaseSettings):
    """``CARDBOT_CARDPROGRAM_…``: where the API is and how the bot signs in."""

    model_config = SettingsConfigDict(
        env_prefix="CARDBOT_CARDPROGRAM_", env_file=".env", extra="ignore"
    )

    base_url: str | None = None  # unpublished: required
    api_key: SecretStr | None = None  # a pre-issued user JWT (access token)
    refresh_token: SecretStr | None = None  # its refresh token, if any
    email: str | None = None  # or sign in with the EgaCard user's credentials
    password: SecretStr | None = None
    wallet_id: str | None = None  # the wallet cards are funded from, when the API wants one
    timeout_seconds: float = 15.0


class CardProgramProvider(ProviderHttp):
    name = NAME
    info = ProviderInfo(name=NAME, capabilities=CAPABILITIES, brands=("visa", "mastercard"))

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        email: str | None = None,
        password: str | None = None,
        wallet_id: str | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(base_url, timeout=timeout, retry=retry, transport=transport, sleep=sleep)
        if access_token is None and not (email and password):
            raise ValueError("a user JWT or an e-mail and password is needed")
        self._access = access_token
        self._refresh = refresh_token
        self._email = email
        self._password = password
        self._wallet_id = wallet_id
        self._auth_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"CardProgramProvider({self.base_url!r})"

    # -- KYC: not offered by the API --
    async def submit_kyc(self, application: KycApplication) -> KycResult:
        """The card API has no cardholder resource: cards belong to the business's verified
        EgaCard account, so the answers stay (encrypted) with the bot and the cardholder is
        enrolled under our own reference. EgaCard checks each card itself (``under_review``)."""
        return KycResult(application.reference, KycStatus.APPROVED)

    async def kyc_status(self, customer_id: str) -> KycResult:
        return KycResult(customer_id, KycStatus.APPROVED)

    # -- programs --
    async def products(self) -> list[Product]:
        data = await self._call("GET", PROGRAMS_PATH, retry=True)
        items, _ = _page_items(data)
        products = []
        for item in items:
            product = _product(item)
            if product is not None:
                products.append(product)
        return products

    # -- cards --
    async def issue_card(self, request: IssueRequest) -> ProviderCard:
        limits = request.limits is not None and not request.limits.empty
        if request.initial.minor or request.disposable or request.wallet or limits:
            raise ProviderError("not-offered", "managed cards are created empty and plain")
        existing = await self._card_by_reference(request.reference)
        if existing is not None:  # issued by an earlier attempt with this reference
            return _issued(existing)
        program = await self._program_for(request)
        body = issue_body(program, request.reference, self._wallet_id)
        try:
            data = await self._call(
                "POST", CARDS_PATH, retry=False, json=body, key=request.reference
            )
        except ProviderError as exc:
            if exc.definite and exc.code != DUPLICATE:
                raise
            log.warning("cardprogram.issue_unclear", code=exc.code)
            data = await self._resolve(self._card_by_reference(request.reference), exc)
        if not (isinstance(data, Mapping) and (data.get("reference") or data.get("id"))):
            # Created, but the answer does not say which card: find it rather than guess.
            unreadable = ProviderError("provider-bad-response", "created card", definite=False)
            data = await self._resolve(self._card_by_reference(request.reference), unreadable)
        return _issued(data)

    async def _program_for(self, request: IssueRequest) -> str:
        programs = await self.products()
        for program in programs:
            if request.product is not None:
                if program.code == request.product:
                    return program.code
            elif program.brand == request.brand:
                return program.code
        raise ProviderError(NO_PROGRAM, f"no program for {request.product or request.brand}")

    async def find_card_by_reference(self, reference: str) -> ProviderCard | None:
        data = await self._card_by_reference(reference)
        return None if data is None else _card(data)

    async def _card_by_reference(self, reference: str) -> dict[str, Any] | None:
        """Walk the account's cards (newest pages first) for the one carrying our reference."""
        for page in range(LOOKUP_MAX_PAGES):
            items, more = await self._page(CARDS_PATH, page, LOOKUP_PAGE_SIZE)
            for item in items:
                if reference_of(item) == reference:
                    return item
            if not more:
                return None
        log.warning("cardprogram.lookup_exhausted", pages=LOOKUP_MAX_PAGES)
        return None

    async def get_card(self, card_id: str) -> ProviderCard:
        return _card(await self._call("GET", card_path(card_id), retry=True))

    # -- money --
    async def top_up(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move(card_id, FUND, amount, reference)

    async def withdraw(self, card_id: str, amount: Money, reference: str) -> ProviderCard:
        return await self._move(card_id, WITHDRAW, amount, reference)

    async def _move(self, card_id: str, action: str, amount: Money, reference: str) -> ProviderCard:
        """Fund or withdraw once per reference: look for an earlier attempt first, and after an
        unclear failure look again instead of sending it twice."""
        body = money_body(amount, reference)
        path = card_path(card_id, action)
        if await self._moved(card_id, reference, before=True):
            return await self.get_card(card_id)
        try:
            await self._call(
                "POST", path, retry=False, json=body, key=reference, wallet=action == FUND
            )
        except ProviderError as exc:
            if exc.definite and exc.code != DUPLICATE:
                raise
            log.warning("cardprogram.move_unclear", action=action, code=exc.code)
            await self._resolve(self._moved(card_id, reference), exc)
        return await self.get_card(card_id)

    async def find_movement(self, card_id: str, reference: str) -> bool | None:
        """The card's transactions by our reference. One applied: True. Only declined ones:
        False. One still in flight: None. None in the whole statement: False (sending again
        carries the same reference as its idempotency key). None in the newest
        LOOKUP_MAX_PAGES pages while the statement goes on: None."""
        statuses, complete = await self._statuses(card_id, reference)
        if statuses - TXN_DECLINED - TXN_IN_FLIGHT:
            return True
        if statuses & TXN_IN_FLIGHT:
            return None
        if statuses:  # declined only: nothing moved
            return False
        return False if complete else None

    async def _moved(self, card_id: str, reference: str, *, before: bool = False) -> bool:
        """Whether the card's transactions show a movement with our reference that was not
        declined (in flight counts: it must not be sent twice)."""
        statuses, _ = await self._statuses(card_id, reference, first=True, missing_ok=before)
        return bool(statuses - TXN_DECLINED)

    async def _statuses(
        self, card_id: str, reference: str, *, first: bool = False, missing_ok: bool = False
    ) -> tuple[set[str], bool]:
        """The statuses of the card's transactions carrying our reference, walking the newest
        LOOKUP_MAX_PAGES pages (or until one not declined, with ``first``), and whether the
        statement ended within them."""
        statuses: set[str] = set()
        for page in range(LOOKUP_MAX_PAGES):
            try:
                items, more = await self._page(
                    card_path(card_id, TRANSACTIONS), page, LOOKUP_PAGE_SIZE
                )
            except ProviderError as exc:
                if missing_ok and exc.code == "provider-not-found" and page == 0:
                    # No statement to check (or no such card): the call itself will tell.
                    return statuses, True
                raise
            for item in items:
                if reference_of(item) == reference:
                    statuses.add(str(item.get("status", "")).lower())
            if first and statuses - TXN_DECLINED:
                return statuses, False
            if not more:
                return statuses, True
        return statuses, False

    # -- state --
    async def freeze(self, card_id: str) -> ProviderCard:
        return await self._transition(card_id, FREEZE, CardStatus.FROZEN)

    async def unfreeze(self, card_id: str) -> ProviderCard:
        return await self._transition(card_id, UNFREEZE, CardStatus.ACTIVE)

    async def terminate(self, card_id: str) -> ProviderCard:
        return await self._transition(card_id, TERMINATE, CardStatus.TERMINATED)

    async def _transition(self, card_id: str, action: str, target: CardStatus) -> ProviderCard:
        """Ask for a state change; when the answer is unclear or a refusal, the card's own
        status tells whether it already is where we wanted it."""
        path = card_path(card_id, action)
        try:
            data = await self._call("POST", path, retry=False, json={})
        except ProviderError as exc:
            if exc.code in ("provider-not-found", AUTH) and exc.definite:
                raise
            try:
                current = await self._call("GET", card_path(card_id), retry=True)
            except ProviderError:
                raise exc from None
            if not isinstance(current, Mapping):
                raise exc from None
            if str(current.get("status", "")).lower() in REACHED[action]:
                return _card(current)
            raise
        if isinstance(data, Mapping) and _looks_like_card(data, card_id):
            return _card(data)
        return await self.get_card(card_id)

    # -- statement --
    async def transactions(self, card_id: str, page: int, size: int) -> TransactionPage:
        items, more = await self._page(card_path(card_id, TRANSACTIONS), page, size)
        shown = [txn for txn in (_transaction(item) for item in items) if txn is not None]
        return TransactionPage(shown, has_more=more, page=page)

    async def _page(self, path: str, page: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        try:
            data = await self._call("GET", path, retry=True, params=page_params(page, size))
        except ProviderError as exc:
            if (
                page > 0
                and exc.code == "provider-not-found"
                and "invalid page" in exc.detail.lower()
            ):
                return [], False  # DRF answers a page past the end with 404 "Invalid page."
            raise
        items, more = _page_items(data)
        if more is None:  # a bare list is the whole collection: page it here
            return items[page * size : (page + 1) * size], len(items) > (page + 1) * size
        return items, more

    # -- sandbox: authorize --
    async def simulate_purchase(
        self, card_id: str, amount: Money, merchant: str
    ) -> ProviderTransaction:
        """An authorization event that holds card balance (the documented authorize call)."""
        data = await self._call(
            "POST",
            card_path(card_id, AUTHORIZE),
            retry=False,
            json=authorize_body(amount, merchant),
        )
        txn = _transaction(data, default_kind="purchase")
        if txn is None:
            raise ProviderError("provider-bad-response", "authorization")
        return txn

    # -- disputes --
    async def open_dispute(self, card_id: str, transaction_id: str, reason: str) -> Dispute:
        body = dispute_body(card_id, transaction_id, reason)
        data = await self._call("POST", DISPUTES_PATH, retry=False, json=body)
        if not isinstance(data, Mapping):
            raise ProviderError("provider-bad-response", "dispute")
        dispute_id = data.get("reference") or data.get("id")
        if not dispute_id:
            raise ProviderError("provider-bad-response", "dispute without id")
        status = DISPUTE_STATUS.get(str(data.get("status", "open")).lower(), "open")
        return Dispute(str(dispute_id), status)

    # -- not offered by the API --
    async def reveal(self, card_id: str) -> CardSecrets:
        raise ProviderError("not-offered", "the card API has no card-details call")

    async def set_limits(self, card_id: str, limits: Limits) -> ProviderCard:
        raise ProviderError("not-offered", "no documented limits call")

    async def set_airline_payments(self, card_id: str, enabled: bool) -> ProviderCard:
        raise ProviderError("not-offered", "no airline toggle")

    # -- the wire --
    async def _call(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
        wallet: bool = False,
    ) -> Any:
        """One call as the signed-in user: its data, out of any envelope, or a typed error.
        A failed read changed nothing, so its error is always definite."""
        extra = {IDEMPOTENCY_HEADER: key} if key else {}
        try:
            token = await self._token()
            response = await self._send(method, path, token, retry, json, params, extra)
            if response.status_code == 401:
                # Refused at the door, so nothing was done: sign in again, send it once more.
                token = await self._renew(token)
                response = await self._send(method, path, token, retry, json, params, extra)
                if response.status_code == 401:
                    raise ProviderError(AUTH, "token refused after renewal")
            return _data(response, wallet=wallet)
        except ProviderError as exc:
            if method == "GET" and not exc.definite:
                raise ProviderError(exc.code, exc.detail) from exc
            raise

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        retry: bool,
        json: Any,
        params: Mapping[str, Any] | None,
        extra: Mapping[str, str],
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **extra,
        }
        return await self.request(
            method, path, retry=retry, json=json, params=params, headers=headers
        )

    async def _token(self) -> str:
        if self._access is None:
            async with self._auth_lock:
                if self._access is None:
                    await self._login()
        assert self._access is not None
        return self._access

    async def _renew(self, used: str) -> str:
        """A fresh access token: rotate with the refresh token, else sign in again."""
        async with self._auth_lock:
            if self._access != used:  # another call renewed it meanwhile
                assert self._access is not None
                return self._access
            if self._refresh:
                response = await self.request(
                    "POST",
                    TOKEN_REFRESH_PATH,
                    retry=True,
                    json={"refresh": self._refresh},
                    headers={"Content-Type": "application/json"},
                )
                if response.status_code == 200:
                    self._take_tokens(_data(response))
                    assert self._access is not None
                    return self._access
                log.info("cardprogram.refresh_refused", status=response.status_code)
                self._refresh = None
            await self._login()
            assert self._access is not None
            return self._access

    async def _login(self) -> None:
        if not (self._email and self._password):
            self._access = None
            raise ProviderError(AUTH, "the user JWT was refused and no credentials are set")
        response = await self.request(
            "POST",
            TOKEN_PATH,
            retry=True,
            json=login_body(self._email, self._password),
            headers={"Content-Type": "application/json"},
        )
        if response.status_code in (400, 401, 403):
            raise ProviderError(AUTH, f"sign-in refused (HTTP {response.status_code})")
        self._take_tokens(_data(response))
        log.info("cardprogram.signed_in")

    def _take_tokens(self, data: Any) -> None:
        if not isinstance(data, Mapping) or not isinstance(data.get("access"), str):
            raise ProviderError("provider-bad-response", "token response without access")
        self._access = data["access"]
        if isinstance(data.get("refresh"), str):  # refresh tokens rotate
            self._refresh = data["refresh"]

    async def _resolve(self, lookup: Any, original: ProviderError) -> Any:
        """Run a look-up after an unclear failure; if it cannot tell, stay unclear."""
        try:
            found = await lookup
        except ProviderError as exc:
            raise ProviderError(
                original.code, f"unclear, look-up failed: {exc.code}", definite=False
            ) from exc
        if not found:
            if original.code == DUPLICATE:
                raise ProviderError("provider-unavailable", "duplicate, not found", definite=False)
            raise ProviderError(original.code, original.detail, definite=False)
        return found


# -- parsing -----------------------------------------------------------------------------
def _data(response: httpx.Response, *, wallet: bool = False) -> Any:
    """The payload of a response, or the typed error it carries."""
    status = response.status_code
    if status == 429 or status >= 500:  # Django's 5xx pages are HTML: never parse them
        raise status_error(response)
    if 300 <= status < 400:  # a redirect (a path without its slash): nothing was done
        raise ProviderError("provider-bad-request", f"HTTP {status} redirect")
    try:
        body = response.json() if response.content else None
    except ValueError:
        if status >= 400:
            raise status_error(response) from None
        # Accepted, but unreadable: a write may well have been carried out.
        raise ProviderError(
            "provider-bad-response", f"HTTP {status}, not JSON", definite=False
        ) from None
    if status >= 400:
        raise _error(status, body, wallet=wallet)
    return _unwrap(body, wallet=wallet)


def _unwrap(body: Any, *, wallet: bool) -> Any:
    """guess: plain DRF JSON. Tolerate a ``{status, message, data}`` envelope, including one
    that reports a refusal as HTTP 200 with ``status: false``."""
    if not isinstance(body, Mapping):
        return body
    enveloped = "data" in body or "message" in body
    flag = body.get("success", body.get("status"))
    if flag is False or (
        enveloped and isinstance(flag, str) and flag.lower() in ("error", "failed", "fail")
    ):
        raise _error(200, body, wallet=wallet)
    if "data" in body and ({"status", "success", "message"} & set(body)):
        return body["data"]
    return body


def _error(status: int, body: Any, *, wallet: bool) -> ProviderError:
    code_text, message = _error_text(body)
    haystack = f"{code_text} {message}".lower().replace("_", " ").replace("-", " ")
    code: str | None = None
    for words, mapped in ERROR_RULES:
        if all(word in haystack for word in words):
            code = mapped
            break
    if code == "provider-insufficient-funds" and wallet:
        code = WALLET_SHORT  # funding debits the business's wallet, not the card
    if code is None:
        code = FALLBACK_BY_STATUS.get(status, "provider-bad-request")
    return ProviderError(code, message[:200] or f"HTTP {status}", definite=True)


def _error_text(body: Any) -> tuple[str, str]:
    """(code, message) from DRF-style errors: ``detail``/``code``, field lists, envelopes."""
    if isinstance(body, str):
        return "", body
    if not isinstance(body, Mapping):
        return "", ""
    code = body.get("code") or body.get("error_code") or ""
    for key in ("detail", "message", "error"):
        value = body.get(key)
        if isinstance(value, Mapping):
            inner_code, inner = _error_text(value)
            return str(code or inner_code), inner
        if isinstance(value, str) and value:
            return str(code), value
    errors = body.get("errors") or body
    if not isinstance(errors, Mapping):
        return str(code), " ".join(str(e) for e in errors) if isinstance(errors, list) else ""
    parts = []
    for field, value in errors.items():
        if field in ("status", "success", "data", "code"):
            continue
        texts = value if isinstance(value, list) else [value]
        parts.append(f"{field}: {' '.join(str(t) for t in texts)}")
    return str(code), "; ".join(parts)


def _page_items(data: Any) -> tuple[list[dict[str, Any]], bool | None]:
    """Items and whether more follow, from a DRF page (``results``/``next``) or a bare list."""
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)], None
    if isinstance(data, Mapping):
        for key in ("results", "items", "data"):
            if isinstance(data.get(key), list):
                items = [item for item in data[key] if isinstance(item, dict)]
                if "next" in data:
                    return items, bool(data["next"])
                return items, None
    raise ProviderError("provider-bad-response", "expected a list")


def _product(item: Mapping[str, Any]) -> Product | None:
    code = item.get("code") or item.get("reference") or item.get("id")
    if code is None:
        return None
    if item.get("is_active") is False or str(item.get("status", "active")).lower() != "active":
        return None
    currency = str(item.get("currency") or CURRENCY).upper()
    if currency != CURRENCY:
        return None
    brand = str(item.get("network") or item.get("brand") or item.get("scheme") or "visa").lower()
    return Product(str(code), str(item.get("name") or code), brand)


def _card(data: Any) -> ProviderCard:
    if not isinstance(data, Mapping):
        raise ProviderError("provider-bad-response", "card")
    reference = data.get("reference") or data.get("id")
    if not reference:
        raise ProviderError("provider-bad-response", "card without reference")
    raw_status = str(data.get("status", "")).lower()
    status = CARD_STATUS.get(raw_status)
    if status is None:
        log.warning("cardprogram.unknown_status", status=raw_status[:32])
        status = CardStatus.PENDING
    currency = str(data.get("currency") or CURRENCY).upper()
    balance_value = data.get("available_balance")
    if balance_value is None:
        balance_value = data.get("balance", "0")
    masked_raw = str(data.get("masked_pan") or data.get("pan_masked") or "")
    last4 = str(data.get("last4") or data.get("last_four") or "")
    if not last4:
        last4 = re.sub(r"\D", "", masked_raw)[-4:]
    brand = str(data.get("network") or data.get("brand") or data.get("scheme") or "visa").lower()
    return ProviderCard(
        card_id=str(reference),
        brand=brand,
        last4=last4 or "????",
        masked_pan=_masked(masked_raw, last4),
        status=status,
        balance=from_api_amount(balance_value, currency),
    )


def _issued(data: Any) -> ProviderCard:
    if isinstance(data, Mapping) and str(data.get("status", "")).lower() == "failed":
        raise ProviderError(ISSUE_FAILED, "the program could not create the card")
    return _card(data)


def _masked(raw: str, last4: str) -> str:
    """Our display form ``4000 00•• •••• 1234`` from ``400000******1234``; never more than the
    BIN and the last four."""
    head = re.match(r"\d+", raw)
    if head and len(raw) > len(head.group()) and len(head.group()) >= 6:
        bin6 = head.group()[:6]
        return f"{bin6[:4]} {bin6[4:6]}•• •••• {last4}"
    return f"•••• {last4}"


def _looks_like_card(data: Mapping[str, Any], card_id: str) -> bool:
    return str(data.get("reference") or data.get("id") or "") == card_id and (
        "balance" in data or "available_balance" in data
    )


def _transaction(item: Any, default_kind: str | None = None) -> ProviderTransaction | None:
    """One statement line; failed fundings and withdrawals moved nothing and are left out."""
    if not isinstance(item, Mapping):
        return None
    raw_kind = str(item.get("type") or item.get("kind") or "").lower()
    kind = TXN_KINDS.get(raw_kind, default_kind or "purchase")
    raw_status = str(item.get("status", "")).lower()
    declined = raw_status in TXN_DECLINED
    if declined and kind != "purchase":
        return None
    currency = str(item.get("currency") or CURRENCY).upper()
    amount = from_api_amount(item.get("amount", "0"), currency)
    after = item.get("balance_after")
    return ProviderTransaction(
        id=str(item.get("reference") or item.get("id") or ""),
        kind=kind,
        amount=Money(abs(amount.minor), amount.currency),
        status="declined" if declined else "approved",
        created_at=_when(item.get("created_at")),
        merchant=(item.get("merchant_name") or item.get("merchant") or item.get("description")),
        decline_reason=(str(item["decline_reason"]) if item.get("decline_reason") else None),
        balance_after=None if after is None else from_api_amount(after, currency),
    )


def _when(value: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def create(settings: Settings) -> CardProgramProvider:
    """Build the adapter from ``CARDBOT_CARDPROGRAM_…``; refuse to start without a base URL or
    a way to sign in."""
    del settings  # the adapter reads its own settings
    own = CardProgramSettings()
    if not own.base_url:
        raise SystemExit(
            "CARDBOT_CARDPROGRAM_BASE_URL is not set. EgaCard does not publish the card-program "
            "API host: set it to the sandbox or production base URL EgaCard gave you."
        )
    if own.api_key is None and not (own.email and own.password):
        raise SystemExit(
            "The card-program API needs a user JWT: set CARDBOT_CARDPROGRAM_API_KEY (an access "
            "token, optionally with CARDBOT_CARDPROGRAM_REFRESH_TOKEN), or "
            "CARDBOT_CARDPROGRAM_EMAIL and CARDBOT_CARDPROGRAM_PASSWORD to sign in."
        )
    return CardProgramProvider(
        own.base_url,
        access_token=own.api_key.get_secret_value() if own.api_key else None,
        refresh_token=own.refresh_token.get_secret_value() if own.refresh_token else None,
        email=own.email,
        password=own.password.get_secret_value() if own.password else None,
        wallet_id=own.wallet_id,
        timeout=own.timeout_seconds,
    )
