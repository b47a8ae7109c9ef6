"""Cardholder accounts and where each one is in the conversation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage.db import Database
from storage.models import User, utcnow
from storage.vault import Vault

SUPPORTED_LANGUAGES = ("en", "fr")  # each has a catalogue folder in handlers/locales/
DEFAULT_LANGUAGE = "en"


def language_for(language_code: str | None) -> str:
    """The catalogue language for a Telegram client's IETF tag: "fr", "fr-FR", "fr-CI" → "fr";
    anything unsupported or missing ("frr", "pt-BR", "") → English."""
    primary = primary_subtag(language_code)
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def primary_subtag(language_code: str | None) -> str:
    """ "fr-CI" → "fr"; "pt_BR" → "pt"."""
    return (language_code or "").strip().replace("_", "-").partition("-")[0].lower()


@dataclass
class Account:
    """A snapshot of one cardholder for the length of one update."""

    id: str
    tenant: str
    telegram_id: int
    language: str
    state: str
    data: dict[str, Any]
    screen_seq: int
    kyc_status: str
    kyc_reason: str | None
    is_new: bool = False
    _saved: tuple[str, str, int, str] = field(default=("", "", 0, ""), repr=False)


class UserService:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        tenant: str,
        languages: tuple[str, ...] = SUPPORTED_LANGUAGES,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.db = db
        self.vault = vault
        self.tenant = tenant
        self.languages = languages  # what this brand offers
        self.default_language = default_language

    def first_language(self, language_code: str) -> str:
        """A newcomer's language: their Telegram client's, if the brand offers it."""
        wanted = primary_subtag(language_code)
        return wanted if wanted in self.languages else self.default_language

    async def load(self, telegram_id: int, language_code: str = "") -> Account:
        async with self.db.session() as session:
            user = await self._get(session, telegram_id)
        is_new = user is None
        if user is None:
            user = User(
                tenant=self.tenant,
                telegram_id=telegram_id,
                language=self.first_language(language_code),
            )
            try:
                async with self.db.session() as session:
                    session.add(user)
            except IntegrityError:  # a concurrent first update created it
                async with self.db.session() as session:
                    user = await self._get(session, telegram_id)
                assert user is not None
                is_new = False
        data = json.loads(self.vault.open(user, "state_data_enc") or "{}")
        account = Account(
            id=user.id,
            tenant=user.tenant,
            telegram_id=user.telegram_id,
            language=user.language,
            state=user.state,
            data=data,
            screen_seq=user.screen_seq,
            kyc_status=user.kyc_status,
            kyc_reason=user.kyc_reason,
            is_new=is_new,
        )
        account._saved = self._fingerprint(account)
        return account

    async def save(self, account: Account) -> None:
        """Persist the conversation position (state, answers in progress, keyboard counter)."""
        if self._fingerprint(account) == account._saved:
            return
        async with self.db.session() as session:
            user = await session.get(User, account.id)
            assert user is not None and user.tenant == self.tenant
            user.state = account.state
            user.screen_seq = account.screen_seq
            user.language = account.language
            self.vault.seal(
                user, "state_data_enc", json.dumps(account.data) if account.data else None
            )
            user.updated_at = utcnow()
            session.add(user)
        account._saved = self._fingerprint(account)

    async def remember_username(self, account: Account, username: str) -> None:
        """Keep the Telegram @username (encrypted) so support can find the person by it."""
        if not username:
            return
        index = self.vault.index("username", username.lower().lstrip("@"))
        async with self.db.session() as session:
            user = await session.get(User, account.id)
            if user is None or user.username_bidx == index:
                return
            self.vault.seal(user, "username_enc", username.lstrip("@"))
            user.username_bidx = index
            session.add(user)

    async def account_of(self, user_id: str) -> Account:
        """A cardholder's account by our id (for support acting on their behalf)."""
        async with self.db.session() as session:
            user = await session.get(User, user_id)
        if user is None or user.tenant != self.tenant:
            raise LookupError(user_id)
        return await self.load(user.telegram_id)

    async def contact(self, user_id: str) -> tuple[int, str]:
        """Where to reach a cardholder (their private chat) and in which language."""
        async with self.db.session() as session:
            user = await session.get(User, user_id)
        if user is None or user.tenant != self.tenant:
            raise LookupError(user_id)
        return user.telegram_id, user.language

    @staticmethod
    def _fingerprint(account: Account) -> tuple[str, str, int, str]:
        return (
            account.state,
            json.dumps(account.data, sort_keys=True),
            account.screen_seq,
            account.language,
        )

    async def _get(self, session: Any, telegram_id: int) -> User | None:
        result = await session.exec(
            select(User).where(User.tenant == self.tenant, User.telegram_id == telegram_id)
        )
        user: User | None = result.first()
        return user
