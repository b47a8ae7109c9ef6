"""What a valid KYC answer is: names, birth date (18+), country, phone (E.164), address, ID."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import phonenumbers
import pycountry

from services.errors import ServiceError

MIN_AGE = 18
FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "country",
    "phone",
    "address_line1",
    "city",
    "region",
    "postal_code",
    "id_type",
    "id_number",
    "id_photo",
    "selfie",
)
PHOTO_FIELDS = ("id_photo", "selfie")
MAX_PHOTO_BYTES = 10 * 1024 * 1024

_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
_DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %m %Y")


@dataclass(frozen=True)
class IdType:
    code: str  # also the message id suffix: id-type-<code>
    pattern: str
    example: str

    def normalise(self, text: str) -> str:
        value = re.sub(r"[\s]", "", text).upper()
        if not re.fullmatch(self.pattern, value):
            raise ServiceError("kyc-id-number-invalid", example=self.example)
        return value


PASSPORT = IdType("passport", r"[A-Z0-9]{6,9}", "A12345678")
NATIONAL_ID = IdType("national_id", r"[A-Z0-9\-]{5,20}", "123456789")
DRIVERS = IdType("drivers_licence", r"[A-Z0-9\-]{5,20}", "ABC12345")
ID_TYPES: dict[str, tuple[IdType, ...]] = {
    "NG": (
        IdType("bvn", r"\d{11}", "22123456789"),
        IdType("nin", r"\d{11}", "12345678901"),
        PASSPORT,
        DRIVERS,
    ),
    "GH": (IdType("ghana_card", r"GHA-?\d{9}-?\d", "GHA-123456789-0"), PASSPORT),
    "KE": (IdType("national_id", r"\d{7,8}", "12345678"), PASSPORT),
    "CM": (IdType("national_id", r"\d{9,17}", "123456789"), PASSPORT),
    "SN": (IdType("national_id", r"\d{13,17}", "1234567890123"), PASSPORT),
    "CI": (IdType("national_id", r"[A-Z]{1,2}\d{8,11}", "CI001234567"), PASSPORT),
}


def id_types_for(country: str) -> tuple[IdType, ...]:
    return ID_TYPES.get(country, (PASSPORT, NATIONAL_ID, DRIVERS))


def id_type(country: str, code: str) -> IdType:
    for candidate in id_types_for(country):
        if candidate.code == code:
            return candidate
    raise ServiceError("kyc-id-type-invalid")


def name(text: str) -> str:
    value = " ".join(text.split())
    if not value:
        raise ServiceError("kyc-name-empty")
    if len(value) > 50 or not _NAME.match(value):
        raise ServiceError("kyc-name-invalid")
    return value


def birth_date(text: str, today: date) -> date:
    value = text.strip()
    parsed = None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    if parsed is None:
        raise ServiceError("kyc-dob-format")
    if parsed > today:
        raise ServiceError("kyc-dob-future")
    age = today.year - parsed.year - ((today.month, today.day) < (parsed.month, parsed.day))
    if age < MIN_AGE:
        raise ServiceError("kyc-dob-under-age", age=MIN_AGE)
    if age > 120:
        raise ServiceError("kyc-dob-format")
    return parsed


# Everyday names ISO does not list, or that fuzzy search would get wrong ("Republic of Korea"
# fuzzily matches the Democratic People's Republic), keyed by their folded form.
COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "cote divoire": "CI",
    "republic of korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "drc": "CD",
    "dr congo": "CD",
    "congo kinshasa": "CD",
    "democratic republic of congo": "CD",
    "congo brazzaville": "CG",
    "republic of congo": "CG",
    "cape verde": "CV",
    "swaziland": "SZ",
    "turkey": "TR",
    "holland": "NL",
    "america": "US",
    "united states of america": "US",
}


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z]+", " ", plain.lower()).split())


def country(text: str) -> str:
    """ISO 3166-1 alpha-2 from a code (NG, NGA) or a name (Nigeria, côte d'ivoire)."""
    value = text.strip()
    if not value:
        raise ServiceError("kyc-country-unknown", given=text)
    found: Any = None
    if _fold(value) in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[_fold(value)]
    if value.isalpha() and len(value) == 2:
        found = pycountry.countries.get(alpha_2=value.upper())
    elif value.isalpha() and len(value) == 3:
        found = pycountry.countries.get(alpha_3=value.upper())
    if found is None:
        try:
            found = pycountry.countries.lookup(value)
        except LookupError:
            matches = []
            if len(value) > 3:  # a short unknown code is a typo, not a name to guess from
                try:
                    matches = pycountry.countries.search_fuzzy(value)
                except LookupError:
                    matches = []
            found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ServiceError("kyc-country-unknown", given=value[:40])
    return str(found.alpha_2)


def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return str(getattr(found, "common_name", None) or found.name) if found else code


def phone(text: str, region: str | None) -> str:
    """A valid phone number in E.164; a local number is read in the person's country."""
    raw = text.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ServiceError("kyc-phone-invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ServiceError("kyc-phone-invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_number(text: str) -> str:
    """A number shared with Telegram's contact button is international, though Telegram often
    sends it without the leading plus ("2348031234567"): never read it as a local number."""
    digits = text.strip()
    return digits if digits.startswith("+") or not digits else "+" + digits


def address_part(field: str, text: str) -> str:
    value = " ".join(text.split())
    limits = {"address_line1": (3, 100), "city": (2, 60), "region": (2, 60)}
    low, high = limits[field]
    if not low <= len(value) <= high or not any(ch.isalpha() for ch in value):
        raise ServiceError(f"kyc-{field.replace('_', '-')}-invalid")
    return value


def postal_code(text: str) -> str:
    value = " ".join(text.split()).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 \-]{1,9}", value):
        raise ServiceError("kyc-postal-code-invalid")
    return value


def photo(data: bytes | None) -> bytes:
    if not data:
        raise ServiceError("kyc-photo-expected")
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError("kyc-photo-too-large")
    is_image = (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )
    if not is_image:
        raise ServiceError("kyc-photo-not-image")
    return data
