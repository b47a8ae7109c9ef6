"""A business's brand file (TOML, `CARDBOT_BRAND_FILE`, or several in `CARDBOT_BRAND_FILES`):
its name, bot token, support contact, links, colours and logo, fees and limits, issuers and
routing, reveal time, languages and staff. Checked at start with every problem named."""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from services.routing import Route
from services.settings import Settings

ISSUERS = ("sandbox", "numero", "bitnob", "cartevo", "cardprogram", "nuvion")
LANGUAGES = ("en", "fr")
_HEX = re.compile(r"#?[0-9a-fA-F]{6}")


class BrandError(ValueError):
    """A brand file that cannot be used; the message lists what to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Colours(_Strict):
    primary: str = "#1E3A8A"
    secondary: str = "#0EA5E9"

    @field_validator("primary", "secondary")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.fullmatch(value):
            raise ValueError("must be a hex colour like #1E3A8A")
        return value if value.startswith("#") else f"#{value}"


class Fees(_Strict):
    issue_minor: int = Field(default=200, ge=0, le=100_000)
    topup_percent: Decimal = Field(default=Decimal("1.5"), ge=0, le=20)
    topup_fixed_minor: int = Field(default=0, ge=0, le=100_000)
    withdraw_minor: int = Field(default=0, ge=0, le=100_000)


class Limits(_Strict):
    min_amount_minor: int = Field(default=100, ge=1)
    max_topup_minor: int = Field(default=500_000, ge=1)
    max_card_balance_minor: int = Field(default=1_000_000, ge=1)
    max_cards_per_user: int = Field(default=5, ge=1, le=50)


class Languages(_Strict):
    default: str = "en"
    offered: list[str] = Field(default_factory=lambda: list(LANGUAGES))

    @model_validator(mode="after")
    def _known(self) -> Languages:
        unknown = [code for code in [self.default, *self.offered] if code not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown languages {unknown}; cardbot speaks {list(LANGUAGES)}")
        if self.default not in self.offered:
            raise ValueError("the default language must be one of the offered ones")
        return self


class Issuers(_Strict):
    enabled: list[str] = Field(default_factory=lambda: ["sandbox"], min_length=1)
    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> Issuers:
        unknown = [name for name in self.enabled if name not in ISSUERS]
        if unknown:
            raise ValueError(f"unknown issuers {unknown}; choose from {list(ISSUERS)}")
        for route in self.routes:
            stray = [name for name in route.providers if name not in self.enabled]
            if stray:
                raise ValueError(f"a route names issuers that are not enabled: {stray}")
        return self


class BrandFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,30}$")  # the tenant key on every row
    name: str = Field(min_length=1, max_length=40)
    bot_token_env: str | None = None  # the environment variable holding this brand's token
    support: str = Field(min_length=2, max_length=80)
    terms_url: str | None = Field(default=None, pattern=r"^https://")
    privacy_url: str | None = Field(default=None, pattern=r"^https://")
    welcome: str | None = Field(default=None, max_length=500)
    logo: Path | None = None  # a PNG, relative to the brand file
    reveal_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    colours: Colours = Field(default_factory=Colours)
    fees: Fees = Field(default_factory=Fees)
    limits: Limits = Field(default_factory=Limits)
    languages: Languages = Field(default_factory=Languages)
    issuers: Issuers = Field(default_factory=Issuers)
    admins: list[int] = Field(default_factory=list)
    agents: list[int] = Field(default_factory=list)


def load_brand(path: Path) -> BrandFile:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BrandError(f"brand file {path}: cannot read it ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BrandError(f"brand file {path}: not valid TOML ({exc})") from exc
    try:
        brand = BrandFile.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(
            f"  - {'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        raise BrandError(f"brand file {path} has problems:\n{problems}") from exc
    if brand.logo is not None:
        logo = (path.parent / brand.logo).resolve()
        if not logo.is_file() or not logo.read_bytes().startswith(b"\x89PNG"):
            raise BrandError(f"brand file {path}: logo {logo} is not a readable PNG file")
        brand = brand.model_copy(update={"logo": logo})
    if brand.bot_token_env and not os.environ.get(brand.bot_token_env):
        pass  # no token: `cardbot chat` still works; `cardbot run` says what to set
    return brand


def brand_settings(base: Settings, brand: BrandFile) -> Settings:
    """The deployment's settings as this brand runs them."""
    token = os.environ.get(brand.bot_token_env) if brand.bot_token_env else None
    update: dict[str, Any] = {
        "tenant": brand.id,
        "brand_name": brand.name,
        "support_contact": brand.support,
        "terms_url": brand.terms_url,
        "privacy_url": brand.privacy_url,
        "welcome_text": brand.welcome,
        "brand_primary_colour": brand.colours.primary,
        "brand_secondary_colour": brand.colours.secondary,
        "brand_logo": brand.logo,
        "reveal_ttl_seconds": brand.reveal_ttl_seconds,
        "issue_fee_minor": brand.fees.issue_minor,
        "topup_fee_percent": brand.fees.topup_percent,
        "topup_fee_fixed_minor": brand.fees.topup_fixed_minor,
        "withdraw_fee_minor": brand.fees.withdraw_minor,
        "min_amount_minor": brand.limits.min_amount_minor,
        "max_topup_minor": brand.limits.max_topup_minor,
        "max_card_balance_minor": brand.limits.max_card_balance_minor,
        "max_cards_per_user": brand.limits.max_cards_per_user,
        "default_language": brand.languages.default,
        "languages": brand.languages.offered,
        "providers": brand.issuers.enabled,
        "provider": brand.issuers.enabled[0],
        "routes": brand.issuers.routes,
        "admin_ids": brand.admins,
        "agent_ids": brand.agents,
    }
    if brand.bot_token_env:
        update["telegram_token"] = SecretStr(token) if token else None
    return base.model_copy(update=update)


def brand_files(settings: Settings) -> list[Path]:
    return [*settings.brand_files, *([settings.brand_file] if settings.brand_file else [])]
