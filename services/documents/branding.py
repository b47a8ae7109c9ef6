"""How a brand looks in generated documents: its name, two colours and an optional logo.

`Branding` is the one thing the renderers read. Today it is filled from the settings
(`CARDBOT_BRAND_NAME` and the optional `CARDBOT_BRAND_PRIMARY_COLOUR`,
`CARDBOT_BRAND_SECONDARY_COLOUR` and `CARDBOT_BRAND_LOGO`) by `branding_for`, the only place that
reads them; a brand file can fill the same dataclass instead.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from services.settings import Settings

RGB = tuple[int, int, int]

DEFAULT_PRIMARY = "#1E3A8A"  # deep blue
DEFAULT_SECONDARY = "#0891B2"  # teal
MAX_LOGO_BYTES = 2 * 1024 * 1024
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


class BrandingError(ValueError):
    """A brand colour or logo that cannot be used; the message says which setting and why."""


def parse_colour(value: str, setting: str = "colour") -> RGB:
    """'#1E3A8A', '1e3a8a' or '#13a' → (r, g, b)."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        raise BrandingError(f"{setting} must be a hex colour like #1E3A8A, not {value!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _check_logo(data: bytes, setting: str) -> bytes:
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingError(f"{setting} is larger than {MAX_LOGO_BYTES // 1024 // 1024} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise BrandingError(f"{setting} must be a PNG image, not {image.format}")
            image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise BrandingError(f"{setting} is not a readable PNG image") from exc
    return data


@dataclass(frozen=True)
class Branding:
    name: str
    primary: RGB
    secondary: RGB
    logo: bytes | None = None  # PNG; drawn on the card and the PDF, scaled to fit

    def __post_init__(self) -> None:
        if self.logo is not None:
            _check_logo(self.logo, "the brand logo")

    @classmethod
    def default(cls, name: str = "cardbot") -> Branding:
        return cls(name, parse_colour(DEFAULT_PRIMARY), parse_colour(DEFAULT_SECONDARY))

    @property
    def slug(self) -> str:
        """The name for file names: 'Acme Pay' → 'acme-pay'."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "statement"


def branding_from_settings(settings: Settings) -> Branding:
    """The look from the settings: the brand file's colours and logo, or the
    ``CARDBOT_BRAND_PRIMARY_COLOUR`` / ``_SECONDARY_COLOUR`` / ``_LOGO`` variables."""
    logo: bytes | None = None
    if settings.brand_logo is not None:
        try:
            logo = settings.brand_logo.read_bytes()
        except OSError as exc:
            raise BrandingError(
                f"CARDBOT_BRAND_LOGO: cannot read {settings.brand_logo} ({exc.strerror})"
            ) from exc
        _check_logo(logo, f"CARDBOT_BRAND_LOGO ({settings.brand_logo})")
    return Branding(
        settings.brand_name,
        parse_colour(
            settings.brand_primary_colour or DEFAULT_PRIMARY, "CARDBOT_BRAND_PRIMARY_COLOUR"
        ),
        parse_colour(
            settings.brand_secondary_colour or DEFAULT_SECONDARY, "CARDBOT_BRAND_SECONDARY_COLOUR"
        ),
        logo,
    )


# One Branding per Settings object: read (and the logo file loaded) once, not on every press.
_cache: dict[int, tuple[Settings, Branding]] = {}


def branding_for(settings: Settings) -> Branding:
    cached = _cache.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    branding = branding_from_settings(settings)
    if len(_cache) >= 32:  # tests build many Settings; a deployment has one or a few
        _cache.clear()
    _cache[id(settings)] = (settings, branding)
    return branding
