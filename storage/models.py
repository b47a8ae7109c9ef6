"""Tables. Every table that holds a cardholder's data carries the brand (tenant) it belongs to.

Columns ending in ``_enc`` hold AES-GCM ciphertext bound to their row and column (see
``storage/vault.py``); columns ending in ``_bidx`` hold keyed blind indexes for lookups. No
column holds a full card number or a CVV.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Aware UTC: SQLModel stores it as UTC on SQLite and PostgreSQL alike."""
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant", "telegram_id", name="uq_users_tenant_telegram"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    language: str = Field(default="en", max_length=8)
    # Where the person is in a conversation, and the answers carried between steps (encrypted:
    # they can hold personal data while a step is in progress).
    state: str = Field(default="", max_length=64)
    state_data_enc: str | None = Field(default=None, sa_column=Column(Text))
    screen_seq: int = 0  # bumps with every keyboard sent; an older keyboard is stale
    kyc_status: str = Field(default="none", max_length=16)  # none draft pending approved rejected
    kyc_reason: str | None = Field(default=None, max_length=255)
    # The Telegram @username, for support to find someone by it (encrypted, blind-indexed).
    username_enc: str | None = Field(default=None, sa_column=Column(Text))
    username_bidx: str | None = Field(default=None, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderCustomer(SQLModel, table=True):
    """The cardholder as one issuer knows them, and that issuer's KYC decision."""

    __tablename__ = "provider_customers"
    __table_args__ = (UniqueConstraint("user_id", "provider", name="uq_provider_customers"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    user_id: str = Field(index=True, foreign_key="users.id", max_length=32)
    provider: str = Field(max_length=32)
    customer_id: str = Field(max_length=128)
    kyc_status: str = Field(max_length=16)  # pending approved rejected
    kyc_reason: str | None = Field(default=None, max_length=255)
    submitted_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class KycProfile(SQLModel, table=True):
    __tablename__ = "kyc_profiles"

    id: str = Field(primary_key=True, max_length=32)  # the user's id
    tenant: str = Field(index=True, max_length=64)
    first_name_enc: str | None = Field(default=None, sa_column=Column(Text))
    last_name_enc: str | None = Field(default=None, sa_column=Column(Text))
    birth_date_enc: str | None = Field(default=None, sa_column=Column(Text))
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2, for routing
    phone_enc: str | None = Field(default=None, sa_column=Column(Text))
    phone_bidx: str | None = Field(default=None, index=True, max_length=64)
    address_line1_enc: str | None = Field(default=None, sa_column=Column(Text))
    city_enc: str | None = Field(default=None, sa_column=Column(Text))
    region_enc: str | None = Field(default=None, sa_column=Column(Text))
    postal_code_enc: str | None = Field(default=None, sa_column=Column(Text))
    id_type: str | None = Field(default=None, max_length=32)
    id_number_enc: str | None = Field(default=None, sa_column=Column(Text))
    id_number_bidx: str | None = Field(default=None, index=True, max_length=64)
    id_photo_enc: str | None = Field(default=None, sa_column=Column(Text))
    selfie_enc: str | None = Field(default=None, sa_column=Column(Text))
    submitted_at: datetime | None = None
    decided_at: datetime | None = None


class Card(SQLModel, table=True):
    __tablename__ = "cards"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    user_id: str = Field(index=True, foreign_key="users.id", max_length=32)
    provider: str = Field(max_length=32)
    provider_card_id: str = Field(index=True, max_length=128)
    brand: str = Field(max_length=32)
    last4: str = Field(max_length=4)
    masked_pan: str = Field(max_length=32)  # e.g. "4000 12•• •••• 1234"
    status: str = Field(default="pending", max_length=16)  # pending active frozen terminated
    # The issuer's own figure, as last read; what the cardholder sees is the ledger's balance.
    balance_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="USD", max_length=3)
    insufficient_declines: int = 0  # in a row; Numero terminates a card at three
    disposable: bool = False  # single use: blocked after its first successful charge
    wallet: str | None = Field(default=None, max_length=16)  # apple_pay / google_pay enabled
    # Mirrors of the issuer's controls, refreshed with the balance.
    daily_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    per_txn_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    daily_count_limit: int | None = None
    airline_payments: bool | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Operation(SQLModel, table=True):
    """A money movement or issuance: recorded before the provider is called, with the
    idempotency reference reused on every retry."""

    __tablename__ = "operations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    user_id: str = Field(index=True, foreign_key="users.id", max_length=32)
    card_id: str | None = Field(default=None, index=True, max_length=32)
    kind: str = Field(max_length=16)  # issue topup withdraw
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    fee_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="USD", max_length=3)
    brand: str | None = Field(default=None, max_length=32)
    wallet: str | None = Field(default=None, max_length=16)
    disposable: bool = False
    # Limits asked for at issue (issuers that set them only when creating the card).
    daily_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    per_txn_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    daily_count_limit: int | None = None
    provider: str | None = Field(default=None, max_length=32)  # where it was (or is) carried out
    reference: str = Field(unique=True, max_length=64)
    status: str = Field(default="created", max_length=16)  # created pending succeeded failed
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PendingDeletion(SQLModel, table=True):
    """A message the bot must delete (revealed card details), kept until it is gone."""

    __tablename__ = "pending_deletions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    delete_at: datetime = Field(index=True)
    done_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=255)


# -- the built-in sandbox issuer's own books (in the same database, never card secrets) --


class SandboxCustomer(SQLModel, table=True):
    __tablename__ = "sandbox_customers"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    outcome: str = Field(max_length=16)  # approved rejected (decided at submission)
    reason: str | None = Field(default=None, max_length=255)
    decide_at: datetime


class SandboxCard(SQLModel, table=True):
    __tablename__ = "sandbox_cards"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    customer_id: str = Field(index=True, max_length=32)
    reference: str = Field(unique=True, max_length=64)  # the caller's idempotency reference
    brand: str = Field(max_length=16)
    product: str = Field(default="USD_VIRTUAL", max_length=32)
    disposable: bool = False
    wallet: str | None = Field(default=None, max_length=16)
    airline_payments: bool = True
    daily_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    per_txn_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    status: str = Field(default="pending", max_length=16)  # pending active frozen terminated
    activate_at: datetime
    balance_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    expiry_month: int
    expiry_year: int
    created_at: datetime = Field(default_factory=utcnow)


class SandboxTransaction(SQLModel, table=True):
    __tablename__ = "sandbox_transactions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    card_id: str = Field(index=True, max_length=32)
    kind: str = Field(max_length=16)  # topup withdraw purchase refund decline fee
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    merchant: str | None = Field(default=None, max_length=128)
    status: str = Field(default="approved", max_length=16)  # approved declined
    decline_reason: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, index=True, max_length=64)
    balance_after_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class SandboxDispute(SQLModel, table=True):
    __tablename__ = "sandbox_disputes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    card_id: str = Field(index=True, max_length=32)
    transaction_id: str = Field(unique=True, max_length=32)
    reason: str = Field(max_length=255)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


# -- money: a double-entry ledger; balances are sums of entries, never stored --


class LedgerTxn(SQLModel, table=True):
    """One balanced posting (its entries sum to zero), recorded once per reference."""

    __tablename__ = "ledger_txns"
    __table_args__ = (UniqueConstraint("tenant", "reference", name="uq_ledger_txns_reference"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    reference: str = Field(max_length=128)
    kind: str = Field(max_length=32)  # deposit credit debit hold settle release purchase …
    reason: str = Field(max_length=255)
    operation_id: str | None = Field(default=None, index=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    txn_id: str = Field(index=True, foreign_key="ledger_txns.id", max_length=32)
    account: str = Field(index=True, max_length=80)  # wallet:<user> card:<card> revenue:fees …
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="USD", max_length=3)


# -- provider events: stored raw before answering, processed exactly once by event id --


class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("tenant", "provider", "event_id", name="uq_inbox_events_event"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    provider: str = Field(max_length=32)
    event_id: str = Field(max_length=128)
    event_type: str = Field(default="", max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))  # raw, as received (no card data)
    received_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="received", index=True, max_length=16)  # received processed failed
    attempts: int = 0
    processed_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=255)


# -- the outbound message queue: alerts survive restarts and keep within Telegram's limits --


class OutboundMessage(SQLModel, table=True):
    __tablename__ = "outbound_messages"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    buttons_json: str | None = Field(default=None, sa_column=Column(Text))
    dedupe_key: str | None = Field(default=None, unique=True, max_length=160)
    status: str = Field(default="queued", index=True, max_length=16)  # queued sent failed
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=255)


# -- the audit log: append-only, each entry chained to the one before it by a hash --


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("tenant", "seq", name="uq_audit_log_seq"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))  # 1, 2, 3 … per tenant
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)  # "tg:<telegram id>", "system", "cli"
    role: str = Field(max_length=16)  # admin agent cardholder system
    action: str = Field(max_length=64)  # reveal card.freeze wallet.credit kyc.approve …
    subject: str | None = Field(default=None, index=True, max_length=64)  # a user or card id
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON, no secrets
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


# -- support staff and the approvals large admin actions need --


class Staff(SQLModel, table=True):
    """Agents added from the chat by an admin (admins and initial agents come from settings)."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("tenant", "telegram_id", name="uq_staff_member"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str = Field(max_length=16)  # agent
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: datetime = Field(default_factory=utcnow)


class Approval(SQLModel, table=True):
    """A wallet credit or debit above the threshold, waiting for a second admin."""

    __tablename__ = "approvals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    tenant: str = Field(index=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))  # + credit, - debit
    currency: str = Field(default="USD", max_length=3)
    reason: str = Field(max_length=255)
    requested_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    status: str = Field(default="waiting", max_length=16)  # waiting approved refused
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
