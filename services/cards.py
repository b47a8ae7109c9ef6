"""Cards: issue, list, top up, withdraw, freeze, terminate, statement, reveal, and the controls
an issuer offers (limits, airline payments, disputes).

Every money movement and issuance is an ``Operation`` recorded before the issuer is called, with
an idempotency reference reused on every retry; confirming moves it from ``created`` to
``pending`` in one conditional update, so a second press of the same button moves no money.
A new card goes to the first eligible issuer (services/routing.py) and fails over to the next
only when the previous one definitely did not issue it.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import update
from sqlmodel import col, func, select

from services import ledger
from services.alerts import Alert, AlertSink, DropAlerts
from services.audit import CARDHOLDER, REVEAL, AuditLog, actor_of
from services.errors import ServiceError
from services.ledger import Leg, transfer
from services.money import Money, percent_of
from services.onboarding import OnboardingService
from services.providers.base import (
    Capability,
    Cardholder,
    CardProvider,
    CardSecrets,
    CardStatus,
    Dispute,
    IssueRequest,
    Limits,
    ProviderCard,
    ProviderError,
    TransactionPage,
)
from services.routing import Router
from services.settings import Settings
from services.users import Account
from services.wallet import WalletService
from storage.db import Database
from storage.models import Card, Operation, User, utcnow

log = structlog.get_logger(__name__)

QUOTE_VALID_FOR = timedelta(minutes=15)
STATEMENT_PAGE_SIZE = 5
REGULAR, WALLET, SINGLE_USE = "regular", "wallet", "single"


@dataclass(frozen=True)
class CardView:
    id: str
    provider: str
    brand: str
    last4: str
    masked_pan: str
    status: str
    balance: Money
    disposable: bool = False
    wallet: str | None = None
    limits: Limits = field(default_factory=Limits)
    airline_payments: bool | None = None


@dataclass(frozen=True)
class CardOption:
    """A kind of card a cardholder can ask for; the issuer is chosen by routing."""

    brand: str
    kind: str  # regular wallet single
    wallets: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.brand}.{self.kind}"

    @property
    def needs(self) -> set[Capability]:
        return {
            Capability.ISSUE,
            *([Capability.DISPOSABLE] if self.kind == SINGLE_USE else []),
            *([Capability.WALLET_PAY] if self.kind == WALLET else []),
        }


@dataclass(frozen=True)
class Quote:
    operation_id: str
    kind: str  # issue topup withdraw
    amount: Money
    fee: Money
    total: Money  # what the cardholder pays (issue, top-up) or receives (withdraw)
    balance_after: Money
    card: CardView | None = None
    option: CardOption | None = None
    wallet: str | None = None
    limits: Limits | None = None


@dataclass(frozen=True)
class Correction:
    card_id: str
    before: Money  # what our books said
    after: Money  # what the issuer says


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded already_done in_progress failed expired
    kind: str
    amount: Money
    card: CardView | None = None
    error: str | None = None


class CardService:
    def __init__(
        self,
        db: Database,
        router: Router,
        onboarding: OnboardingService,
        wallet: WalletService,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.router = router
        self.onboarding = onboarding
        self.wallet = wallet
        self.ledger = wallet.ledger
        self.settings = settings
        self.tenant = settings.tenant
        self.clock = clock
        # Called after each durable step of an operation; tests raise here to play a crash.
        self.checkpoint: Callable[[str, Operation], Awaitable[None]] | None = None
        self.alerts: AlertSink = DropAlerts()  # the composition root gives the real one
        self.audit: AuditLog | None = None  # likewise; without it no card details are shown

    def can(self, capability: Capability, card: CardView | None = None) -> bool:
        """For a card: whether its issuer offers it; else whether any enabled issuer does."""
        if card is not None:
            return capability in self.router.get(card.provider).info.capabilities
        return self.router.can(capability)

    # -- reading --
    async def list(self, account: Account) -> list[CardView]:
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(Card)
                    .where(Card.tenant == self.tenant, Card.user_id == account.id)
                    .order_by(col(Card.created_at))
                )
            ).all()
        views = []
        for row in rows:
            if row.status != CardStatus.TERMINATED:
                row = await self._refresh(row)
            views.append(await self._present(row))
        return views

    async def view(self, account: Account, card_id: str) -> CardView:
        card = await self._own(account, card_id)
        if card.status != CardStatus.TERMINATED:
            card = await self._refresh(card)
        return await self._present(card)

    async def active(self, account: Account, card_id: str) -> CardView:
        """The card, fresh from the issuer, if money can move on it now; else why not."""
        return await self._present(await self._active(account, card_id))

    async def statement(self, account: Account, card_id: str, page: int) -> TransactionPage:
        card = await self._own(account, card_id)
        self._require(Capability.STATEMENT, card)
        return await self._call(
            self._issuer(card).transactions(
                card.provider_card_id, max(page, 0), STATEMENT_PAGE_SIZE
            )
        )

    async def reveal(self, account: Account, card_id: str) -> tuple[CardView, CardSecrets]:
        """Card details fetched live for one message; never stored, never logged."""
        card = await self._refresh(await self._own(account, card_id))
        self._require(Capability.REVEAL, card)
        if card.status not in (CardStatus.ACTIVE, CardStatus.FROZEN):
            raise ServiceError(f"card-not-revealable-{card.status}")
        if self.audit is None:
            raise RuntimeError("no audit log: card details are never shown unrecorded")
        secrets = await self._call(self._issuer(card).reveal(card.provider_card_id))
        # Recorded before the details leave this method: if the log cannot take the entry, the
        # details are not shown.
        await self.audit.record(
            actor_of(account.telegram_id), CARDHOLDER, REVEAL, card.id, {"last4": card.last4}
        )
        log.info("card.revealed", card_id=card.id, user_id=account.id)
        return await self._present(card), secrets

    # -- what a new card can be --
    async def card_options(self, account: Account) -> builtins.list[CardOption]:
        """The kinds of card on offer to this cardholder, from the eligible issuers' own product
        lists where they publish one."""
        country = await self._country(account)
        options: dict[str, CardOption] = {}
        for provider in self.router.candidates(country, [Capability.ISSUE]):
            for option in await self._options_of(provider):
                known = options.get(option.key)
                if known is None:
                    options[option.key] = option
                else:  # e.g. one product per wallet: offer every wallet under one option
                    wallets = known.wallets + tuple(
                        w for w in option.wallets if w not in known.wallets
                    )
                    options[option.key] = CardOption(known.brand, known.kind, wallets)
        return list(options.values())

    async def check_initial(self, account: Account, option: CardOption, initial: Money) -> None:
        """The amount to load at issue: within limits, and present when it must be."""
        if initial.minor:
            if not self.router.can(Capability.INITIAL_AMOUNT):
                raise ServiceError("card-initial-not-offered")
            self.check_amount(initial, self.settings.max_topup_minor)
        elif await self.requires_initial(account, option):
            raise ServiceError("card-initial-required")

    async def limits_at_issue(self, account: Account, option: CardOption) -> bool:
        """True when the card's limits can only be set now, as it is created."""
        country = await self._country(account)
        eligible = self.router.candidates(country, option.needs)
        return bool(eligible) and all(
            Capability.LIMITS_AT_ISSUE in p.info.capabilities
            and Capability.LIMITS not in p.info.capabilities
            for p in eligible
        )

    async def requires_initial(self, account: Account, option: CardOption) -> bool:
        """True when no eligible issuer can load the card later, so it must be loaded now."""
        country = await self._country(account)
        eligible = self.router.candidates(country, option.needs)
        return bool(eligible) and all(Capability.TOPUP not in p.info.capabilities for p in eligible)

    async def _options_of(self, provider: CardProvider) -> builtins.list[CardOption]:
        caps = provider.info.capabilities
        if Capability.PRODUCTS in caps:
            try:
                products = await provider.products()
            except ProviderError:
                log.warning("products.unavailable", provider=provider.info.name)
                return []
            return [
                CardOption(
                    p.brand,
                    SINGLE_USE if p.disposable else WALLET if p.wallets else REGULAR,
                    p.wallets,
                )
                for p in products
                if (not p.disposable or Capability.DISPOSABLE in caps)
                and (not p.wallets or Capability.WALLET_PAY in caps)
            ]
        options = [CardOption(brand, REGULAR) for brand in provider.info.brands]
        if Capability.DISPOSABLE in caps:
            options += [CardOption(brand, SINGLE_USE) for brand in provider.info.brands]
        return options

    # -- quotes: recorded intents, waiting for the person's confirmation --
    async def quote_issue(
        self,
        account: Account,
        option_key: str,
        initial: Money,
        wallet: str | None = None,
        limits: Limits | None = None,
    ) -> Quote:
        await self._require_kyc(account)
        option = next((o for o in await self.card_options(account) if o.key == option_key), None)
        if option is None:
            raise ServiceError("card-brand-unknown")
        if option.kind == WALLET and wallet not in option.wallets:
            raise ServiceError("card-wallet-unknown")
        await self.check_initial(account, option, initial)
        limits = limits if limits is not None and not limits.empty else None
        if limits is not None:
            self.check_limits(limits)
        async with self.db.session() as session:
            count = (
                await session.exec(
                    select(func.count())
                    .select_from(Card)
                    .where(
                        Card.tenant == self.tenant,
                        Card.user_id == account.id,
                        Card.status != CardStatus.TERMINATED,
                    )
                )
            ).one()
        if count >= self.settings.max_cards_per_user:
            raise ServiceError("card-limit-reached", count=self.settings.max_cards_per_user)
        fee = Money(self.settings.issue_fee_minor, initial.currency)
        available = await self.wallet.balance(account.id)
        if available < initial + fee:
            raise ServiceError("wallet-insufficient", balance=available, need=initial + fee)
        op = await self._record(
            account,
            "issue",
            None,
            initial,
            fee,
            brand=option.brand,
            wallet=wallet if option.kind == WALLET else None,
            disposable=option.kind == SINGLE_USE,
            daily_limit_minor=limits.daily.minor if limits and limits.daily else None,
            per_txn_limit_minor=(
                limits.per_transaction.minor if limits and limits.per_transaction else None
            ),
            daily_count_limit=limits.daily_count if limits else None,
        )
        return Quote(
            op.id,
            "issue",
            initial,
            fee,
            initial + fee,
            initial,
            option=option,
            wallet=op.wallet,
            limits=limits,
        )

    async def quote_topup(self, account: Account, card_id: str, amount: Money) -> Quote:
        card = await self._active(account, card_id)
        self._require(Capability.TOPUP, card)
        self.check_amount(amount, self.settings.max_topup_minor)
        balance = await self.ledger.balance(ledger.card(card.id), currency=card.currency)
        after = balance.minor + amount.minor
        if after > self.settings.max_card_balance_minor:
            room = Money(max(self.settings.max_card_balance_minor - balance.minor, 0))
            raise ServiceError("amount-over-card-cap", room=room)
        fee = percent_of(amount, self.settings.topup_fee_percent) + Money(
            self.settings.topup_fee_fixed_minor
        )
        available = await self.wallet.balance(account.id)
        if available < amount + fee:
            raise ServiceError("wallet-insufficient", balance=available, need=amount + fee)
        op = await self._record(account, "topup", card, amount, fee)
        return Quote(
            op.id, "topup", amount, fee, amount + fee, Money(after), await self._present(card)
        )

    async def quote_withdraw(self, account: Account, card_id: str, amount: Money) -> Quote:
        card = await self._active(account, card_id)
        self._require(Capability.WITHDRAW, card)
        self.check_amount(amount, None)
        balance = await self.ledger.balance(ledger.card(card.id), currency=card.currency)
        if amount > balance:
            raise ServiceError("amount-over-balance", balance=balance)
        fee = Money(self.settings.withdraw_fee_minor)
        if fee >= amount:
            raise ServiceError("amount-below-fee", fee=fee)
        op = await self._record(account, "withdraw", card, amount, fee)
        after = balance - amount
        return Quote(op.id, "withdraw", amount, fee, amount - fee, after, await self._present(card))

    async def confirm(self, account: Account, operation_id: str) -> Outcome:
        """Carry out a quoted operation exactly once, however often it is confirmed."""
        async with self.db.session() as session:
            op = await session.get(Operation, operation_id)
            if op is None or op.user_id != account.id or op.tenant != self.tenant:
                raise ServiceError("operation-not-found")
            if op.status == "created" and self.clock() - op.created_at > QUOTE_VALID_FOR:
                op.status = "expired"
                session.add(op)
        if op.status != "created":
            return self._settled(op, await self._card_view(op.card_id))
        async with self.db.session() as session:
            claimed = await session.exec(  # type: ignore[call-overload]
                update(Operation)
                .where(col(Operation.id) == op.id, col(Operation.status) == "created")
                .values(status="pending", updated_at=self.clock())
            )
            won = claimed.rowcount == 1
        if not won:  # another press got here first
            async with self.db.session() as session:
                fresh = await session.get(Operation, op.id)
            assert fresh is not None
            return self._settled(fresh, await self._card_view(fresh.card_id))
        return await self.advance(op.id)

    # -- the operation state machine --
    # created → pending (claimed) → held (wallet money set aside) → sent (the issuer may have
    # acted) → succeeded (settled in the ledger) | failed (hold released). Each step is
    # committed before the next begins, and every ledger posting is keyed by the operation's
    # reference, so an interrupted operation resumes from where it stood without moving
    # money twice.
    async def advance(self, operation_id: str, *, resuming: bool = False) -> Outcome:
        op = await self._op(operation_id)
        if op.status == "pending":
            op = await self._hold(op)
        if op.status == "held":
            await self._step("held", op)
            return await self._send(op)
        if op.status == "sent":
            return await self._resolve(op, resend=resuming)
        return self._settled(op, await self._card_view(op.card_id))

    async def resume(self) -> builtins.list[Outcome]:
        """Carry every interrupted operation forward (on start, and now and then)."""
        async with self.db.session() as session:
            ids = (
                await session.exec(
                    select(Operation.id)
                    .where(
                        Operation.tenant == self.tenant,
                        col(Operation.status).in_(("pending", "held", "sent")),
                    )
                    .order_by(col(Operation.created_at))
                )
            ).all()
        outcomes = []
        for operation_id in ids:
            try:
                outcome = await self.advance(operation_id, resuming=True)
            except Exception:  # one stuck operation must not stop the others
                log.exception("operation.resume_failed", operation_id=operation_id)
                continue
            outcomes.append(outcome)
            await self._tell(operation_id, outcome)
        return outcomes

    async def reconcile(self) -> builtins.list[Correction]:
        """Compare every live card's mirror with the issuer's own balance and book the
        difference (logged), skipping cards with an operation still in flight."""
        async with self.db.session() as session:
            cards = (
                await session.exec(
                    select(Card).where(
                        Card.tenant == self.tenant, Card.status != CardStatus.TERMINATED
                    )
                )
            ).all()
            busy = set(
                (
                    await session.exec(
                        select(Operation.card_id).where(
                            Operation.tenant == self.tenant,
                            col(Operation.status).in_(("pending", "held", "sent")),
                        )
                    )
                ).all()
            )
        corrections = []
        for card in cards:
            if card.id in busy:
                continue
            try:
                fresh = await self._issuer(card).get_card(card.provider_card_id)
            except Exception:
                log.warning("reconcile.unreachable", card_id=card.id, provider=card.provider)
                continue
            await self._apply(card, fresh)
            ours = await self.ledger.balance(ledger.card(card.id), currency=card.currency)
            drift = fresh.balance - ours
            if drift.minor == 0:
                continue
            stamp = self.clock().strftime("%Y%m%dT%H%M%S%f")
            await self.ledger.post_now(
                f"reconcile:{card.id}:{stamp}",
                "correction",
                f"issuer says {fresh.balance.minor}, books said {ours.minor}",
                transfer(ledger.ISSUER, ledger.card(card.id), drift),
            )
            log.warning(
                "reconcile.correction",
                card_id=card.id,
                provider=card.provider,
                issuer_minor=fresh.balance.minor,
                ledger_minor=ours.minor,
                drift_minor=drift.minor,
            )
            corrections.append(Correction(card.id, ours, fresh.balance))
        return corrections

    async def confirmed_by_issuer(self, reference: str) -> None:
        """The issuer's event says our top-up or withdrawal went through."""
        async with self.db.session() as session:
            op = (
                await session.exec(
                    select(Operation).where(
                        Operation.tenant == self.tenant, Operation.reference == reference
                    )
                )
            ).first()
        if op is None or op.status != "sent" or op.kind == "issue":
            return
        outcome = await self._settle(op, await self._card_row(op.card_id))
        await self._tell(op.id, outcome)

    async def _tell(self, operation_id: str, outcome: Outcome) -> None:
        """An operation that finished after the person left the screen: let them know."""
        if outcome.status not in ("succeeded", "failed"):
            return
        op = await self._op(operation_id)
        await self.alerts.publish(
            Alert(
                op.user_id,
                f"operation-{outcome.status}",
                f"op:{op.id}",
                {"kind": op.kind, "amount": outcome.amount, "error": outcome.error or ""},
                card_id=op.card_id,
            )
        )

    async def _op(self, operation_id: str) -> Operation:
        async with self.db.session() as session:
            op = await session.get(Operation, operation_id)
        if op is None:
            raise ServiceError("operation-not-found")
        return op

    async def _step(self, name: str, op: Operation) -> None:
        if self.checkpoint is not None:
            await self.checkpoint(name, op)

    def _needs_hold(self, op: Operation) -> Money:
        if op.kind in ("issue", "topup"):
            return Money(op.amount_minor + op.fee_minor, op.currency)
        return Money(0, op.currency)

    async def _hold(self, op: Operation) -> Operation:
        """Set the wallet money aside, or fail the operation if the wallet lacks it."""
        need = self._needs_hold(op)
        async with self.wallet.locked(op.user_id) as session:
            row = await session.get(Operation, op.id)
            assert row is not None
            if row.status != "pending":
                return row
            if need.minor:
                available = await self.ledger.balance(ledger.wallet(op.user_id), session)
                if available < need:
                    row.status, row.error = "failed", "wallet-insufficient-reason"
                    row.updated_at = self.clock()
                    session.add(row)
                    return row
                await self.ledger.post(
                    session,
                    f"{op.reference}:hold",
                    "hold",
                    f"{op.kind} {op.reference}",
                    transfer(ledger.wallet(op.user_id), ledger.hold(op.user_id), need),
                    operation_id=op.id,
                )
            row.status, row.updated_at = "held", self.clock()
            session.add(row)
        return row

    async def _mark_sent(self, op: Operation, provider: str) -> None:
        async with self.db.session() as session:
            row = await session.get(Operation, op.id)
            assert row is not None
            row.status, row.provider, row.updated_at = "sent", provider, self.clock()
            session.add(row)
        op.status, op.provider = "sent", provider
        await self._step("sent", op)

    async def _send(self, op: Operation) -> Outcome:
        if op.kind == "issue":
            return await self._issue(await self._account_of(op), op)
        return await self._move(op)

    # -- card state and controls --
    async def freeze(self, account: Account, card_id: str) -> CardView:
        card = await self._own(account, card_id)
        self._require(Capability.FREEZE, card)
        return await self._apply(
            card, await self._call(self._issuer(card).freeze(card.provider_card_id))
        )

    async def unfreeze(self, account: Account, card_id: str) -> CardView:
        card = await self._own(account, card_id)
        self._require(Capability.FREEZE, card)
        return await self._apply(
            card, await self._call(self._issuer(card).unfreeze(card.provider_card_id))
        )

    async def terminate(self, account: Account, card_id: str) -> tuple[CardView, Money]:
        """Close the card for good; returns the balance that goes back to the cardholder."""
        card = await self._own(account, card_id)
        self._require(Capability.TERMINATE, card)
        if card.status == CardStatus.TERMINATED:
            raise ServiceError("card-already-terminated")
        await self._apply(
            card, await self._call(self._issuer(card).terminate(card.provider_card_id))
        )
        returned = await self.return_balance(card.id, "card terminated")
        log.info("card.terminated", card_id=card.id, returned_minor=returned.minor)
        return await self._present(card), returned

    async def return_balance(self, card_id: str, reason: str) -> Money:
        """A closed card's money goes back to its holder's wallet, once."""
        card = await self._card_row(card_id)
        async with self.wallet.locked(card.user_id) as session:
            left = await self.ledger.balance(ledger.card(card.id), session, card.currency)
            if left.minor > 0:
                await self.ledger.post(
                    session,
                    f"close:{card.id}",
                    "close",
                    reason,
                    transfer(ledger.card(card.id), ledger.wallet(card.user_id), left),
                )
        return left

    async def set_limits(self, account: Account, card_id: str, limits: Limits) -> CardView:
        card = await self._own(account, card_id)
        self._require(Capability.LIMITS, card)
        if card.status == CardStatus.TERMINATED:
            raise ServiceError("card-already-terminated")
        self.check_limits(limits)
        fresh = await self._call(self._issuer(card).set_limits(card.provider_card_id, limits))
        log.info("card.limits_set", card_id=card.id)
        return await self._apply(card, fresh)

    async def set_airline_payments(self, account: Account, card_id: str, enabled: bool) -> CardView:
        card = await self._own(account, card_id)
        self._require(Capability.AIRLINE_TOGGLE, card)
        fresh = await self._call(
            self._issuer(card).set_airline_payments(card.provider_card_id, enabled)
        )
        return await self._apply(card, fresh)

    async def open_dispute(
        self, account: Account, card_id: str, transaction_id: str, reason: str
    ) -> Dispute:
        card = await self._own(account, card_id)
        self._require(Capability.DISPUTES, card)
        reason = " ".join(reason.split())
        if not 10 <= len(reason) <= 500:
            raise ServiceError("dispute-reason-length")
        dispute: Dispute = await self._call(
            self._issuer(card).open_dispute(card.provider_card_id, transaction_id, reason)
        )
        log.info("card.dispute_opened", card_id=card.id, dispute_id=dispute.id)
        return dispute

    # -- carrying operations out --
    async def _issue(self, account: Account, op: Operation) -> Outcome:
        """Try the eligible issuers in order; move on only when one definitely did not issue."""
        amount = Money(op.amount_minor, op.currency)
        needs = {Capability.ISSUE}
        needs |= {Capability.DISPOSABLE} if op.disposable else set()
        needs |= {Capability.WALLET_PAY} if op.wallet else set()
        needs |= {Capability.INITIAL_AMOUNT} if op.amount_minor else set()
        country = await self._country(account)
        last_error = "provider-unavailable"
        for provider in self.router.candidates(country, needs):
            name = provider.info.name
            try:
                customer = await self.onboarding.enroll(account, provider)
            except ServiceError as exc:
                last_error = exc.code
                continue
            if customer.kyc_status != "approved":  # this issuer has not cleared them yet
                last_error = f"provider-kyc-{customer.kyc_status}"
                continue
            request = IssueRequest(
                customer_id=customer.customer_id,
                reference=op.reference,
                brand=op.brand or provider.info.brands[0],
                initial=amount,
                disposable=op.disposable,
                wallet=op.wallet,
                cardholder=await self._cardholder(account),
                limits=_limits_of(op),
            )
            await self._mark_sent(op, name)
            try:
                issued = await provider.issue_card(request)
            except ProviderError as exc:
                if exc.definite:
                    log.warning("issue.refused", provider=name, code=exc.code)
                    last_error = exc.code
                    continue  # nothing was issued there: the next issuer may
                log.warning("issue.unclear", provider=name, code=exc.code)
                return await self._resolve(op, resend=False)
            except Exception:
                log.exception("issue.unclear", provider=name)
                return await self._resolve(op, resend=False)
            card = await self._store_new_card(account, op, name, issued)
            return await self._settle(op, card)
        return await self._release(op, last_error)

    async def _product_code(self, provider: CardProvider, op: Operation) -> str | None:
        """The issuer's own product for the kind of card asked for, where it lists products."""
        if Capability.PRODUCTS not in provider.info.capabilities:
            return None
        try:
            products = await provider.products()
        except ProviderError:
            return None  # the issuer picks from brand, wallet and single use
        for product in products:
            if (
                product.brand == op.brand
                and product.disposable == op.disposable
                and (op.wallet in product.wallets if op.wallet else not product.wallets)
            ):
                return product.code
        return None

    async def _move(self, op: Operation) -> Outcome:
        amount = Money(op.amount_minor, op.currency)
        card = await self._card_row(op.card_id)
        issuer = self._issuer(card)
        await self._mark_sent(op, card.provider)
        move = issuer.top_up if op.kind == "topup" else issuer.withdraw
        try:
            updated = await move(card.provider_card_id, amount, op.reference)
        except ProviderError as exc:
            if exc.definite:
                return await self._release(op, exc.code)
            log.warning("operation.unclear", operation_id=op.id, kind=op.kind, code=exc.code)
            return await self._resolve(op, resend=False)
        except Exception:  # a timeout or a dropped connection: the issuer may have acted
            log.exception("operation.unclear", operation_id=op.id, kind=op.kind)
            return await self._resolve(op, resend=False)
        await self._step("answered", op)
        await self._apply(card, updated)
        return await self._settle(op, card)

    async def _resolve(self, op: Operation, *, resend: bool) -> Outcome:
        """The issuer may have acted: ask it by our reference instead of guessing. Found:
        settle. Certainly absent: send again with the same reference when resuming (the
        issuer or its adapter makes that safe), else leave it for the resume loop."""
        amount = Money(op.amount_minor, op.currency)
        provider = self.router.providers.get(op.provider or "")
        if provider is None:
            return Outcome("in_progress", op.kind, amount, await self._card_view(op.card_id))
        found: bool | None
        if op.kind == "issue":
            try:
                issued = await provider.find_card_by_reference(op.reference)
            except Exception:
                log.warning("operation.lookup_failed", operation_id=op.id, exc_info=True)
                issued, found = None, None
            else:
                found = issued is not None
            if issued is not None:
                account = await self._account_of(op)
                card = await self._store_new_card(account, op, provider.info.name, issued)
                return await self._settle(op, card)
        else:
            card_row = await self._card_row(op.card_id)
            lookup = getattr(provider, "find_movement", None)
            try:
                found = await lookup(card_row.provider_card_id, op.reference) if lookup else None
            except Exception:
                log.warning("operation.lookup_failed", operation_id=op.id, exc_info=True)
                found = None
            if found:
                await self._refresh(card_row)
                return await self._settle(op, card_row)
        if found is False and resend:
            log.info("operation.resend", operation_id=op.id, kind=op.kind)
            return await self._send(op)
        log.warning("operation.unresolved", operation_id=op.id, kind=op.kind)
        return Outcome("in_progress", op.kind, amount, await self._card_view(op.card_id))

    async def _settle(self, op: Operation, card: Card) -> Outcome:
        """The issuer acted: book it. Keyed by the reference, so a repeat books nothing."""
        amount = Money(op.amount_minor, op.currency)
        fee = Money(op.fee_minor, op.currency)
        user = op.user_id
        if op.kind == "withdraw":
            legs = [
                Leg(ledger.card(card.id), -amount),
                Leg(ledger.wallet(user), amount - fee),
                Leg(ledger.FEES, fee),
            ]
        else:  # issue (initial load) and top-up draw on the hold
            held = self._needs_hold(op)
            legs = [
                Leg(ledger.hold(user), -held),
                Leg(ledger.card(card.id), amount),
                Leg(ledger.FEES, fee),
            ]
        async with self.db.session() as session:
            await self.ledger.post(
                session,
                f"{op.reference}:settle",
                op.kind,
                f"{op.kind} {op.reference}",
                legs,
                operation_id=op.id,
            )
            row = await session.get(Operation, op.id)
            assert row is not None
            row.status, row.error, row.card_id = "succeeded", None, card.id
            row.updated_at = self.clock()
            session.add(row)
        log.info(
            "operation.succeeded", operation_id=op.id, kind=op.kind, amount_minor=op.amount_minor
        )
        fresh = await self._present(await self._card_row(card.id))
        return Outcome("succeeded", op.kind, amount, fresh)

    async def _release(self, op: Operation, error: str) -> Outcome:
        """The issuer certainly did not act: give the held money back."""
        held = self._needs_hold(op)
        async with self.db.session() as session:
            if held.minor:
                await self.ledger.post(
                    session,
                    f"{op.reference}:release",
                    "release",
                    f"{op.kind} refused: {error}",
                    transfer(ledger.hold(op.user_id), ledger.wallet(op.user_id), held),
                    operation_id=op.id,
                )
            row = await session.get(Operation, op.id)
            assert row is not None
            row.status, row.error, row.updated_at = "failed", error, self.clock()
            session.add(row)
        amount = Money(op.amount_minor, op.currency)
        return Outcome("failed", op.kind, amount, await self._card_view(op.card_id), error)

    async def _account_of(self, op: Operation) -> Account:
        user = await self._user_by_id(op.user_id)
        return Account(
            user.id,
            user.tenant,
            user.telegram_id,
            user.language,
            "",
            {},
            0,
            user.kyc_status,
            user.kyc_reason,
        )

    async def _store_new_card(
        self, account: Account, op: Operation, provider: str, issued: ProviderCard
    ) -> Card:
        async with self.db.session() as session:
            existing = (
                await session.exec(
                    select(Card).where(
                        Card.provider == provider, Card.provider_card_id == issued.card_id
                    )
                )
            ).first()
            if existing is not None:
                return existing
            card = Card(
                tenant=self.tenant,
                user_id=account.id,
                provider=provider,
                provider_card_id=issued.card_id,
                brand=issued.brand,
                last4=issued.last4,
                masked_pan=issued.masked_pan,
                status=str(issued.status),
                balance_minor=issued.balance.minor,
                currency=issued.balance.currency,
                disposable=issued.disposable,
                wallet=issued.wallet,
                created_at=self.clock(),
                updated_at=self.clock(),
            )
            _mirror_controls(card, issued)
            session.add(card)
        return card

    def _settled(self, op: Operation, card: CardView | None) -> Outcome:
        amount = Money(op.amount_minor, op.currency)
        status = {
            "succeeded": "already_done",
            "pending": "in_progress",
            "held": "in_progress",
            "sent": "in_progress",
        }.get(op.status, op.status)
        return Outcome(status, op.kind, amount, card, op.error)

    async def _record(
        self,
        account: Account,
        kind: str,
        card: Card | None,
        amount: Money,
        fee: Money,
        **details: Any,
    ) -> Operation:
        op = Operation(
            tenant=self.tenant,
            user_id=account.id,
            card_id=card.id if card else None,
            provider=card.provider if card else None,
            kind=kind,
            amount_minor=amount.minor,
            fee_minor=fee.minor,
            currency=amount.currency,
            reference="",
            created_at=self.clock(),
            updated_at=self.clock(),
            **details,
        )
        op.reference = f"cb-{op.id}"
        async with self.db.session() as session:
            session.add(op)
        return op

    # -- rules and lookups --
    def check_amount(self, amount: Money, maximum: int | None) -> None:
        if amount.minor < self.settings.min_amount_minor:
            raise ServiceError("amount-below-min", min=Money(self.settings.min_amount_minor))
        if maximum is not None and amount.minor > maximum:
            raise ServiceError("amount-over-max", max=Money(maximum))

    def check_limits(self, limits: Limits) -> None:
        for amount in (limits.daily, limits.per_transaction):
            if amount is not None:
                self.check_amount(amount, None)
        if limits.daily and limits.per_transaction and limits.per_transaction > limits.daily:
            raise ServiceError("limit-per-purchase-over-daily", daily=limits.daily)
        if limits.daily_count is not None and not 1 <= limits.daily_count <= 1000:
            raise ServiceError("limit-count-range")

    def _require(self, capability: Capability, card: Card) -> None:
        if capability not in self._issuer(card).info.capabilities:
            raise ServiceError("not-offered")

    def _issuer(self, card: Card) -> CardProvider:
        return self.router.get(card.provider)

    async def _require_kyc(self, account: Account) -> None:
        user = await self._user(account)
        if user.kyc_status != "approved":
            raise ServiceError("kyc-required")

    async def _country(self, account: Account) -> str | None:
        country: str | None = (await self.onboarding.answers(account)).get("country")
        return country

    async def _cardholder(self, account: Account) -> Cardholder:
        answers = await self.onboarding.answers(account)
        return Cardholder(
            answers["first_name"], answers["last_name"], answers["phone"], answers["country"]
        )

    async def _user(self, account: Account) -> User:
        return await self._user_by_id(account.id)

    async def _user_by_id(self, user_id: str) -> User:
        async with self.db.session() as session:
            user = await session.get(User, user_id)
        assert user is not None
        return user

    async def _own(self, account: Account, card_id: str) -> Card:
        async with self.db.session() as session:
            card = await session.get(Card, card_id)
        if card is None or card.user_id != account.id or card.tenant != self.tenant:
            raise ServiceError("card-not-found")
        return card

    async def _active(self, account: Account, card_id: str) -> Card:
        card = await self._refresh(await self._own(account, card_id))
        if card.status != CardStatus.ACTIVE:
            raise ServiceError(f"card-not-active-{card.status}")
        return card

    async def _card_row(self, card_id: str | None) -> Card:
        async with self.db.session() as session:
            card = await session.get(Card, card_id) if card_id else None
        if card is None:
            raise ServiceError("card-not-found")
        return card

    async def _card_view(self, card_id: str | None) -> CardView | None:
        return await self._present(await self._card_row(card_id)) if card_id else None

    async def _refresh(self, card: Card) -> Card:
        try:
            fresh = await self._issuer(card).get_card(card.provider_card_id)
        except Exception:  # show what we last knew rather than fail the screen
            log.warning("card.refresh_failed", card_id=card.id)
            return card
        await self._apply(card, fresh)
        return card

    async def _apply(self, card: Card, fresh: ProviderCard) -> CardView:
        """Mirror the issuer's figures for this card (status, balance, controls)."""
        async with self.db.session() as session:
            row = await session.get(Card, card.id)
            assert row is not None
            row.status = str(fresh.status)
            row.balance_minor = fresh.balance.minor
            if fresh.last4 and fresh.last4 != row.last4:  # some issuers number a card later
                row.last4, row.masked_pan = fresh.last4, fresh.masked_pan
            _mirror_controls(row, fresh)
            if session.is_modified(row):
                row.updated_at = self.clock()
                session.add(row)
        for name in (
            "status",
            "balance_minor",
            "last4",
            "masked_pan",
            "daily_limit_minor",
            "per_txn_limit_minor",
            "daily_count_limit",
            "airline_payments",
            "updated_at",
        ):
            setattr(card, name, getattr(row, name))
        return await self._present(card)

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            return await awaitable
        except ProviderError as exc:
            raise ServiceError(exc.code) from exc

    async def _present(self, card: Card) -> CardView:
        """The card as the cardholder sees it: its balance is the ledger's, not a copy."""
        balance = await self.ledger.balance(ledger.card(card.id), currency=card.currency)

        def money(minor: int | None) -> Money | None:
            return None if minor is None else Money(minor, card.currency)

        return CardView(
            card.id,
            card.provider,
            card.brand,
            card.last4,
            card.masked_pan,
            card.status,
            balance,
            disposable=card.disposable,
            wallet=card.wallet,
            limits=Limits(
                daily=money(card.daily_limit_minor),
                per_transaction=money(card.per_txn_limit_minor),
                daily_count=card.daily_count_limit,
            ),
            airline_payments=card.airline_payments,
        )


def _limits_of(op: Operation) -> Limits | None:
    limits = Limits(
        daily=None if op.daily_limit_minor is None else Money(op.daily_limit_minor, op.currency),
        per_transaction=(
            None if op.per_txn_limit_minor is None else Money(op.per_txn_limit_minor, op.currency)
        ),
        daily_count=op.daily_count_limit,
    )
    return None if limits.empty else limits


def _mirror_controls(card: Card, fresh: ProviderCard) -> None:
    if fresh.limits is not None:
        card.daily_limit_minor = fresh.limits.daily.minor if fresh.limits.daily else None
        card.per_txn_limit_minor = (
            fresh.limits.per_transaction.minor if fresh.limits.per_transaction else None
        )
        card.daily_count_limit = fresh.limits.daily_count
    if fresh.airline_payments is not None:
        card.airline_payments = fresh.airline_payments
