"""KYC onboarding: answers kept encrypted as they are given, then one submission to the issuer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select

from services import kyc_rules
from services.errors import ServiceError
from services.providers.base import (
    Capability,
    CardProvider,
    KycApplication,
    KycResult,
    KycStatus,
    ProviderError,
)
from services.routing import Router
from services.users import Account
from storage.db import Database
from storage.models import KycProfile, ProviderCustomer, User, utcnow
from storage.vault import Vault

# field → column; plain columns hold no personal data (country drives routing, id_type a code)
COLUMNS = {
    "first_name": "first_name_enc",
    "last_name": "last_name_enc",
    "birth_date": "birth_date_enc",
    "country": "country",
    "phone": "phone_enc",
    "address_line1": "address_line1_enc",
    "city": "city_enc",
    "region": "region_enc",
    "postal_code": "postal_code_enc",
    "id_type": "id_type",
    "id_number": "id_number_enc",
    "id_photo": "id_photo_enc",
    "selfie": "selfie_enc",
}
BLIND_INDEXED = {"phone": "phone_bidx", "id_number": "id_number_bidx"}


@dataclass(frozen=True)
class KycState:
    status: str  # none draft pending approved rejected
    reason: str | None = None


class OnboardingService:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        router: Router,
        tenant: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.vault = vault
        self.router = router
        self.tenant = tenant
        self.clock = clock

    def today(self) -> date:
        return self.clock().date()

    def validate(self, field: str, raw: str | bytes | None, answers: dict[str, Any]) -> str | bytes:
        """Check one answer; raise ServiceError with what was wrong."""
        text = raw if isinstance(raw, str) else ""
        if field in kyc_rules.PHOTO_FIELDS:
            return kyc_rules.photo(raw if isinstance(raw, bytes) else None)
        if isinstance(raw, bytes) or raw is None:
            raise ServiceError("kyc-text-expected")
        if field in ("first_name", "last_name"):
            return kyc_rules.name(text)
        if field == "birth_date":
            return kyc_rules.birth_date(text, self.today()).isoformat()
        if field == "country":
            return kyc_rules.country(text)
        if field == "phone":
            return kyc_rules.phone(text, answers.get("country"))
        if field in ("address_line1", "city", "region"):
            return kyc_rules.address_part(field, text)
        if field == "postal_code":
            return kyc_rules.postal_code(text)
        if field == "id_type":
            return kyc_rules.id_type(answers.get("country") or "", text).code
        if field == "id_number":
            return kyc_rules.id_type(
                answers.get("country") or "", answers.get("id_type") or ""
            ).normalise(text)
        raise ValueError(f"unknown KYC field {field}")

    async def answer(self, account: Account, field: str, raw: str | bytes | None) -> str | bytes:
        """Validate and store one answer (encrypted); returns the normalised value."""
        await self._ensure_editable(account)
        answers = await self.answers(account)
        value = self.validate(field, raw, answers)
        async with self.db.session() as session:
            profile = await self._profile(session, account)
            self._put(profile, field, value)
            if field == "country" and answers.get("country") != value:
                # ID types differ per country: ask again rather than keep one that may not apply
                self._put(profile, "id_type", None)
                self._put(profile, "id_number", None)
            if field == "id_type" and answers.get("id_type") != value:
                self._put(profile, "id_number", None)
            session.add(profile)
            user = await session.get(User, account.id)
            assert user is not None
            if user.kyc_status in ("none", "rejected"):
                user.kyc_status, user.kyc_reason = "draft", None
                session.add(user)
        account.kyc_status, account.kyc_reason = "draft", None
        return value

    async def answers(self, account: Account, with_photos: bool = False) -> dict[str, Any]:
        """Decrypted answers; photos as bytes with ``with_photos``, else True when present.
        Missing answers are absent."""
        async with self.db.session() as session:
            profile = await session.get(KycProfile, account.id)
        if profile is None:
            return {}
        result: dict[str, Any] = {}
        for field, column in COLUMNS.items():
            if column.endswith("_enc"):
                if field in kyc_rules.PHOTO_FIELDS:
                    value: Any = (
                        self.vault.open_bytes(profile, column)
                        if with_photos
                        else (getattr(profile, column) is not None or None)
                    )
                else:
                    value = self.vault.open(profile, column)
            else:
                value = getattr(profile, column)
            if value is not None:
                result[field] = value
        return result

    async def next_missing(self, account: Account) -> str | None:
        answers = await self.answers(account)
        return next((field for field in kyc_rules.FIELDS if field not in answers), None)

    async def submit(self, account: Account) -> KycState:
        """Send the completed application to the issuer (once)."""
        state = await self.state(account)
        if state.status in ("pending", "approved"):
            return state
        answers = await self.answers(account, with_photos=True)
        if any(field not in answers for field in kyc_rules.FIELDS):
            raise ServiceError("kyc-incomplete")
        eligible = self.router.candidates(answers["country"], [Capability.ISSUE])
        if not eligible:
            raise ServiceError("kyc-country-not-served")
        failure: ProviderError | None = None
        for provider in eligible:  # the first issuer for their country; the next if it is down
            try:
                customer = await self._enroll(account, provider, answers)
            except ProviderError as exc:
                if not exc.definite:  # it may have the application: do not send it elsewhere
                    raise ServiceError(exc.code) from exc
                failure = exc
                continue
            return await self._record(account, customer)
        assert failure is not None
        raise ServiceError(failure.code) from failure

    async def enroll(self, account: Account, provider: CardProvider) -> ProviderCustomer:
        """The cardholder's customer at this issuer, submitting the stored KYC there if needed
        (a card routed to a second issuer)."""
        existing = await self.customer(account, provider.info.name)
        if existing is not None and existing.kyc_status != "rejected":
            return await self._poll(existing, provider)
        answers = await self.answers(account, with_photos=True)
        try:
            return await self._enroll(account, provider, answers)
        except ProviderError as exc:
            raise ServiceError(exc.code) from exc

    async def customer(self, account: Account, provider: str) -> ProviderCustomer | None:
        async with self.db.session() as session:
            row: ProviderCustomer | None = (
                await session.exec(
                    select(ProviderCustomer).where(
                        ProviderCustomer.user_id == account.id,
                        ProviderCustomer.provider == provider,
                    )
                )
            ).first()
        return row

    async def _enroll(
        self, account: Account, provider: CardProvider, answers: dict[str, Any]
    ) -> ProviderCustomer:
        application = KycApplication(
            reference=account.id,
            first_name=answers["first_name"],
            last_name=answers["last_name"],
            birth_date=date.fromisoformat(answers["birth_date"]),
            country=answers["country"],
            phone_e164=answers["phone"],
            address_line1=answers["address_line1"],
            city=answers["city"],
            region=answers["region"],
            postal_code=answers["postal_code"],
            id_type=answers["id_type"],
            id_number=answers["id_number"],
            id_photo=answers["id_photo"],
            selfie=answers["selfie"],
        )
        result = await provider.submit_kyc(application)  # a ProviderError goes to the caller
        async with self.db.session() as session:
            row: ProviderCustomer | None = (
                await session.exec(
                    select(ProviderCustomer).where(
                        ProviderCustomer.user_id == account.id,
                        ProviderCustomer.provider == provider.info.name,
                    )
                )
            ).first()
            if row is None:
                row = ProviderCustomer(
                    tenant=account.tenant,
                    user_id=account.id,
                    provider=provider.info.name,
                    customer_id=result.customer_id,
                    kyc_status=str(result.status),
                )
            row.customer_id = result.customer_id
            row.submitted_at = self.clock()
            self._decided(row, result)
            session.add(row)
            profile = await self._profile(session, account)
            profile.submitted_at = self.clock()
            session.add(profile)
        return row

    async def _poll(self, row: ProviderCustomer, provider: CardProvider) -> ProviderCustomer:
        """Ask the issuer for a pending decision; keep what it says."""
        if row.kyc_status != "pending":
            return row
        try:
            result = await provider.kyc_status(row.customer_id)
        except ProviderError:
            return row
        if result.status is KycStatus.PENDING:
            return row
        async with self.db.session() as session:
            fresh = await session.get(ProviderCustomer, row.id)
            assert fresh is not None
            self._decided(fresh, result)
            session.add(fresh)
        return fresh

    def _decided(self, row: ProviderCustomer, result: KycResult) -> None:
        row.kyc_status, row.kyc_reason = str(result.status), result.reason
        row.decided_at = None if result.status is KycStatus.PENDING else self.clock()

    async def state(self, account: Account) -> KycState:
        """The current KYC status, asking the issuer while a review is pending."""
        async with self.db.session() as session:
            user = await session.get(User, account.id)
            pending = (
                await session.exec(
                    select(ProviderCustomer)
                    .where(
                        ProviderCustomer.user_id == account.id,
                        ProviderCustomer.kyc_status == "pending",
                    )
                    .order_by(col(ProviderCustomer.submitted_at).desc())
                )
            ).first()
        assert user is not None
        if user.kyc_status == "pending" and pending is not None:
            provider = self.router.providers.get(pending.provider)
            if provider is not None:
                decided = await self._poll(pending, provider)
                if decided.kyc_status != "pending":
                    return await self._record(account, decided)
        account.kyc_status, account.kyc_reason = user.kyc_status, user.kyc_reason
        return KycState(user.kyc_status, user.kyc_reason)

    async def reopen(self, account: Account) -> None:
        """After a rejection: let the person correct answers and submit again."""
        async with self.db.session() as session:
            user = await session.get(User, account.id)
            assert user is not None
            if user.kyc_status == "rejected":
                user.kyc_status = "draft"
                session.add(user)
        account.kyc_status = "draft" if account.kyc_status == "rejected" else account.kyc_status

    # -- internals --
    async def _ensure_editable(self, account: Account) -> None:
        if account.kyc_status in ("pending", "approved"):
            raise ServiceError("kyc-locked")

    async def _record(self, account: Account, customer: ProviderCustomer) -> KycState:
        """The cardholder's KYC status follows the issuer that reviewed them."""
        async with self.db.session() as session:
            user = await session.get(User, account.id)
            profile = await self._profile(session, account)
            assert user is not None
            user.kyc_status, user.kyc_reason = customer.kyc_status, customer.kyc_reason
            profile.decided_at = customer.decided_at
            user.updated_at = self.clock()
            session.add(user)
            session.add(profile)
        account.kyc_status, account.kyc_reason = user.kyc_status, user.kyc_reason
        return KycState(user.kyc_status, user.kyc_reason)

    async def _profile(self, session: Any, account: Account) -> KycProfile:
        profile: KycProfile | None = await session.get(KycProfile, account.id)
        if profile is None:
            profile = KycProfile(id=account.id, tenant=account.tenant)
        return profile

    def _put(self, profile: KycProfile, field: str, value: str | bytes | None) -> None:
        column = COLUMNS[field]
        if column.endswith("_enc"):
            self.vault.seal(profile, column, value)
        else:
            setattr(profile, column, value)
        if field in BLIND_INDEXED:
            index = None if value is None else self.vault.index(field, str(value))
            setattr(profile, BLIND_INDEXED[field], index)
