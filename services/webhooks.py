"""Is this provider event really from the provider? One signature check per provider.

Every scheme is an HMAC of the **raw** request body (the bytes as received, before any JSON
parsing) with a secret shared with the sender, compared in constant time. Where the provider
publishes its scheme we follow it; where it does not (Nuvion, the card-program API), and for the
senders that are ours (the sandbox, the business's deposit webhook), a configurable scheme of our
own is used:

- numero: ``X-Numero-Signature: t=<ms>,v1=<sig>``, sig = base64 HMAC-SHA256 of
  ``"{t}.{body}"``; ``t`` in milliseconds, within the tolerance.
- bitnob: ``x-bitnob-signature: <sig>``, sig = hex HMAC-SHA512 of the body; no timestamp.
- cartevo: ``X-Cartevo-Signature: t=<s>,v1=<sig>``, sig = hex HMAC-SHA256 of ``"{t}.{body}"``
  (the signed string is a guess: ``CARTEVO_SIGNED``); ``t`` in seconds, within the tolerance.
- nuvion, cardprogram, sandbox, deposit (generic, ours): ``X-Cardbot-Signature: <sig>`` and
  ``X-Cardbot-Timestamp: <t>`` (both names configurable per sender), sig = hex HMAC-SHA256 of
  ``"{t}.{body}"``; ``t`` in seconds (or ms, configurable), within the tolerance.

Bitnob signs the body alone, with no timestamp: a captured delivery can be replayed at any time
with a valid signature. Replays are stopped one layer down, by the inbox's unique
(tenant, provider, event id): a replayed event is answered 2xx and never processed again.

Outcomes (``WebhookRejected.status``): 401 when the signature header is missing, malformed or
does not match (nothing about the sender is proven); 400 when the signature matches but the
timestamp is outside the tolerance window (stale, or too far in the future). A provider without
a configured secret is refused by the server with 503 (``secret_for`` returns None): an
unverifiable event is never accepted, and the provider keeps retrying until one is set.

Settings (``WebhookSettings``, environment prefix ``CARDBOT_``): ``<NAME>_WEBHOOK_SECRET`` for
each sender, ``WEBHOOK_TOLERANCE_SECONDS`` (300), and for the generic scheme
``<NAME>_WEBHOOK_SIGNATURE_HEADER``, ``<NAME>_WEBHOOK_TIMESTAMP_HEADER``,
``<NAME>_WEBHOOK_TIMESTAMP_UNIT`` (``s`` or ``ms``). Secrets are used as their UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The senders the events server knows. "deposit" is the business's own payment system.
PROVIDERS = ("numero", "bitnob", "cartevo", "cardprogram", "nuvion", "sandbox")
DEPOSIT = "deposit"
SENDERS = (*PROVIDERS, DEPOSIT)

DEFAULT_SIGNATURE_HEADER = "X-Cardbot-Signature"
DEFAULT_TIMESTAMP_HEADER = "X-Cardbot-Timestamp"
DEFAULT_EVENTS_PORT = 8090

TimestampUnit = Literal["s", "ms"]


class WebhookRejected(Exception):
    """Why a delivery is refused, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class Verifier(Protocol):
    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        """Return when the delivery is authentic and fresh; raise WebhookRejected otherwise."""


# -- the pieces every scheme shares ------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively (aiohttp's headers already are; a dict is not)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_pairs(value: str) -> tuple[str | None, list[str]]:
    """``t=<ts>,v1=<sig>[,v1=<sig>…]`` → (t, [sig…]). Values may contain '=' (base64)."""
    timestamp: str | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            continue
        key, val = key.strip().lower(), val.strip()
        if key == "t":
            timestamp = val
        elif key == "v1" and val:
            signatures.append(val)
    return timestamp, signatures


def parse_timestamp(value: str | None, unit: TimestampUnit) -> float:
    """Seconds since the epoch from the header's integer, or 401 (it is part of what is signed:
    without a readable one, nothing is proven)."""
    if value is None or not value.isdigit() or len(value) > 16:
        raise WebhookRejected(401, "missing or malformed signature timestamp")
    number = int(value)
    return number / 1000 if unit == "ms" else float(number)


def check_window(sent_at: float, now: datetime, tolerance: float) -> None:
    """400 when a correctly signed delivery is older (or newer) than the tolerance allows."""
    skew = now.timestamp() - sent_at
    if skew > tolerance:
        raise WebhookRejected(400, "stale timestamp")
    if skew < -tolerance:
        raise WebhookRejected(400, "timestamp in the future")


def mac(secret: bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret, message, algorithm).digest()


def matches(expected: bytes, candidates: list[bytes]) -> bool:
    """Constant-time comparison against each offered signature (several during key rollover)."""
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(expected, candidate)
    return found


def from_hex(values: list[str]) -> list[bytes]:
    decoded = []
    for value in values:
        text = value.removeprefix("sha256=").removeprefix("sha512=")
        try:
            decoded.append(bytes.fromhex(text))
        except ValueError:
            continue  # not hex: it cannot match
    return decoded


def from_base64(values: list[str]) -> list[bytes]:
    decoded = []
    for value in values:
        try:
            decoded.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return decoded


# -- the schemes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumeroScheme:
    """[doc: docs.usenumero.com/api-reference/webhooks-verification] ``X-Numero-Signature:
    t=<ms>,v1=<base64 HMAC-SHA256(secret, "{t}.{raw body}")>``; old ``t`` refused (5 min
    suggested). The legacy ``X-Webhook-Signature`` (body only, no timestamp) is not accepted."""

    secret: bytes
    tolerance: float = 300.0
    header_name: str = "X-Numero-Signature"

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        value = header(headers, self.header_name)
        if value is None:
            raise WebhookRejected(401, f"missing {self.header_name}")
        t, signatures = parse_pairs(value)
        sent_at = parse_timestamp(t, "ms")
        if not signatures:
            raise WebhookRejected(401, "no v1 signature")
        expected = mac(self.secret, f"{t}.".encode() + body, "sha256")
        if not matches(expected, from_base64(signatures)):
            raise WebhookRejected(401, "signature does not match")
        check_window(sent_at, now, self.tolerance)


@dataclass(frozen=True)
class BitnobScheme:
    """[doc: docs.bitnob.com/api-reference/virtual-cards/webhooks] ``x-bitnob-signature`` = hex
    HMAC-SHA512(secret key, raw body). No timestamp is signed, so there is no freshness check:
    a replay carries a valid signature and is stopped by the inbox's event-id dedupe."""

    secret: bytes
    header_name: str = "x-bitnob-signature"

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        value = header(headers, self.header_name)
        if value is None:
            raise WebhookRejected(401, f"missing {self.header_name}")
        expected = mac(self.secret, body, "sha512")
        if not matches(expected, from_hex([value.lower()])):
            raise WebhookRejected(401, "signature does not match")


# guess: Cartevo documents ``t=<unix seconds>,v1=<lowercase hex HMAC-SHA256>`` "over the raw
# body" without spelling out the string; this is the usual (and Numero's) "{t}.{raw body}".
CARTEVO_SIGNED = "{t}.{body}"


@dataclass(frozen=True)
class CartevoScheme:
    """[doc: developer.cartevo.co/api-reference/endpoint/webhook] ``X-Cartevo-Signature:
    t=<s>,v1=<hex HMAC-SHA256>``, sent only when signing is enabled for the company — enable it:
    unsigned deliveries are refused."""

    secret: bytes
    tolerance: float = 300.0
    header_name: str = "X-Cartevo-Signature"

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        value = header(headers, self.header_name)
        if value is None:
            raise WebhookRejected(401, f"missing {self.header_name}")
        t, signatures = parse_pairs(value)
        sent_at = parse_timestamp(t, "s")
        if not signatures:
            raise WebhookRejected(401, "no v1 signature")
        prefix, _, suffix = CARTEVO_SIGNED.partition("{body}")
        message = prefix.format(t=t).encode() + body + suffix.format(t=t).encode()
        expected = mac(self.secret, message, "sha256")
        if not matches(expected, from_hex([s.lower() for s in signatures])):
            raise WebhookRejected(401, "signature does not match")
        check_window(sent_at, now, self.tolerance)


@dataclass(frozen=True)
class GenericScheme:
    """Ours, for senders without a published scheme: ``<signature header>`` = hex
    HMAC-SHA256(secret, "{timestamp}.{raw body}") (a ``sha256=`` prefix is accepted), with the
    timestamp (Unix seconds, or ms when configured) in ``<timestamp header>``."""

    secret: bytes
    tolerance: float = 300.0
    signature_header: str = DEFAULT_SIGNATURE_HEADER
    timestamp_header: str = DEFAULT_TIMESTAMP_HEADER
    unit: TimestampUnit = "s"

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        value = header(headers, self.signature_header)
        if value is None:
            raise WebhookRejected(401, f"missing {self.signature_header}")
        t = header(headers, self.timestamp_header)
        sent_at = parse_timestamp(t, self.unit)
        expected = mac(self.secret, f"{t}.".encode() + body, "sha256")
        if not matches(expected, from_hex([value.lower()])):
            raise WebhookRejected(401, "signature does not match")
        check_window(sent_at, now, self.tolerance)


def sign_generic(secret: str, body: bytes, timestamp: int) -> str:
    """The generic scheme's signature, for senders of ours (and for the business's developers:
    the deposit webhook is signed this way)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, "sha256").hexdigest()


# -- settings ------------------------------------------------------------------------------


class WebhookSettings(BaseSettings):
    """``CARDBOT_…`` settings of the provider-events server (kept apart from the adapters' own
    settings classes, which are about calling the providers, not hearing from them)."""

    model_config = SettingsConfigDict(env_prefix="CARDBOT_", env_file=".env", extra="ignore")

    numero_webhook_secret: SecretStr | None = None
    bitnob_webhook_secret: SecretStr | None = None
    cartevo_webhook_secret: SecretStr | None = None
    nuvion_webhook_secret: SecretStr | None = None
    cardprogram_webhook_secret: SecretStr | None = None
    sandbox_webhook_secret: SecretStr | None = None
    deposit_webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=86_400)

    # The generic scheme's header names and timestamp unit, per sender.
    nuvion_webhook_signature_header: str = DEFAULT_SIGNATURE_HEADER
    nuvion_webhook_timestamp_header: str = DEFAULT_TIMESTAMP_HEADER
    nuvion_webhook_timestamp_unit: TimestampUnit = "s"
    cardprogram_webhook_signature_header: str = DEFAULT_SIGNATURE_HEADER
    cardprogram_webhook_timestamp_header: str = DEFAULT_TIMESTAMP_HEADER
    cardprogram_webhook_timestamp_unit: TimestampUnit = "s"
    sandbox_webhook_signature_header: str = DEFAULT_SIGNATURE_HEADER
    sandbox_webhook_timestamp_header: str = DEFAULT_TIMESTAMP_HEADER
    sandbox_webhook_timestamp_unit: TimestampUnit = "s"
    deposit_webhook_signature_header: str = DEFAULT_SIGNATURE_HEADER
    deposit_webhook_timestamp_header: str = DEFAULT_TIMESTAMP_HEADER
    deposit_webhook_timestamp_unit: TimestampUnit = "s"

    # The server and its retry loop.
    events_host: str = "127.0.0.1"
    # Unset: `cardbot run` does not listen (`cardbot events` then uses DEFAULT_EVENTS_PORT).
    events_port: int | None = Field(default=None, ge=0, le=65_535)
    events_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    inbox_max_attempts: int = Field(default=12, ge=1)
    inbox_retry_base_seconds: float = Field(default=5.0, gt=0)
    inbox_retry_every_seconds: float = Field(default=5.0, gt=0)

    def secret_for(self, sender: str) -> bytes | None:
        value: SecretStr | None = getattr(self, f"{sender}_webhook_secret", None)
        if value is None or not value.get_secret_value():
            return None
        return value.get_secret_value().encode()

    def verifier(self, sender: str) -> Verifier | None:
        """The check for one sender; None when its secret is not configured."""
        if sender not in SENDERS:
            raise KeyError(sender)
        secret = self.secret_for(sender)
        if secret is None:
            return None
        tolerance = float(self.webhook_tolerance_seconds)
        if sender == "numero":
            return NumeroScheme(secret, tolerance)
        if sender == "bitnob":
            return BitnobScheme(secret)
        if sender == "cartevo":
            return CartevoScheme(secret, tolerance)
        return GenericScheme(
            secret,
            tolerance,
            signature_header=getattr(self, f"{sender}_webhook_signature_header"),
            timestamp_header=getattr(self, f"{sender}_webhook_timestamp_header"),
            unit=getattr(self, f"{sender}_webhook_timestamp_unit"),
        )

    def verifiers(self) -> dict[str, Verifier | None]:
        return {sender: self.verifier(sender) for sender in SENDERS}
