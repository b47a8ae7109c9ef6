"""Money: integer minor units with a currency; parsing of what a person types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str = "USD"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def format(self, locale: str = "en") -> str:
        return format_currency(Decimal(self.minor) / 100, self.currency, locale=locale)


class AmountError(ValueError):
    """Why a typed amount is refused; ``code`` is a message-catalogue id."""

    def __init__(self, code: str, **args: object) -> None:
        super().__init__(code)
        self.code = code
        self.args_for_text = args


# Digits with an optional decimal part; commas only as thousands separators ("1,250.00").
# No exponents ("1e3"), no NaN/Infinity, no underscores, ASCII digits only.
_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+")


def parse_amount(text: str, currency: str = "USD") -> Money:
    """Parse '25', '25.5', '$1,250.00' into cents; refuse zero, negatives, >2 decimals, words.

    A decimal comma ("25,50") is refused rather than read as 2,550: the person retypes it.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    sign = ""
    if cleaned[:1] in ("-", "+", "−"):
        sign, cleaned = ("-" if cleaned[0] != "+" else ""), cleaned[1:]
    cleaned = cleaned.removeprefix("$")
    if cleaned[-3:].upper() == "USD":
        cleaned = cleaned[:-3]
    cleaned = cleaned.removesuffix("$")
    if cleaned[:1] in ("-", "−"):  # "$-5"
        sign, cleaned = "-", cleaned[1:]
    if not _AMOUNT.fullmatch(cleaned):
        raise AmountError("amount-not-a-number", given=text.strip()[:20])
    try:
        value = Decimal(sign + cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise AmountError("amount-not-a-number", given=text.strip()[:20]) from exc
    if value <= 0:
        raise AmountError("amount-not-positive")
    if value != value.quantize(Decimal("0.01")):
        raise AmountError("amount-too-precise")
    return Money(int(value * 100), currency)


def percent_of(amount: Money, percent: Decimal) -> Money:
    """A percentage fee, rounded half-up to the cent."""
    cents = (Decimal(amount.minor) * percent / 100).quantize(Decimal("1"), rounding="ROUND_HALF_UP")
    return Money(int(cents), amount.currency)
