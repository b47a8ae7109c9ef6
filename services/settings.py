"""Settings from the environment (prefix CARDBOT_) and an optional .env file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.routing import Route


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARDBOT_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_api_base: str | None = None
    framework: Literal["aiogram", "ptb"] = "aiogram"
    database_url: str = "sqlite+aiosqlite:///cardbot.db"
    provider: str = "sandbox"
    # Several issuers at once, in order of preference (default: just CARDBOT_PROVIDER), and
    # routes by country and need (see services/routing.py).
    providers: Annotated[list[str], NoDecode] = []
    routes: list[Route] = []
    tenant: str = "default"
    brand_name: str = "cardbot"
    support_contact: str = "@cardbot_support"
    # White-label: one brand file, or several served at once (comma-separated paths).
    brand_file: Path | None = None
    brand_files: Annotated[list[Path], NoDecode] = []
    terms_url: str | None = None
    privacy_url: str | None = None
    welcome_text: str | None = None
    brand_primary_colour: str | None = None
    brand_secondary_colour: str | None = None
    brand_logo: Path | None = None
    default_language: str = "en"
    languages: Annotated[list[str], NoDecode] = ["en", "fr"]
    reveal_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    admin_ids: Annotated[list[int], NoDecode] = []
    agent_ids: Annotated[list[int], NoDecode] = []
    master_key: SecretStr | None = None
    key_file: Path = Path("cardbot.keys")
    log_level: str = "INFO"

    # Built-in sandbox issuer: how long KYC review and card activation take.
    sandbox_delay_seconds: float = Field(default=3.0, ge=0)

    # Money rules, in USD minor units (cents).
    currency: str = "USD"
    min_amount_minor: int = 100
    max_topup_minor: int = 500_000
    max_card_balance_minor: int = 1_000_000
    max_cards_per_user: int = 5
    issue_fee_minor: int = 200
    topup_fee_percent: Decimal = Decimal("1.5")
    topup_fee_fixed_minor: int = 0
    withdraw_fee_minor: int = 0
    # Support: a wallet credit or debit above this needs a second admin's approval.
    credit_approval_minor: int = 50_000
    broadcast_every_seconds: int = 600  # at most one broadcast per this many seconds

    @field_validator("brand_files", "languages", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("providers", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def enabled_providers(self) -> list[str]:
        return self.providers or [self.provider]

    @field_validator("admin_ids", "agent_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
