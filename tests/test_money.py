"""parse_amount: what a person may type as an amount, and what is refused with which text id.

Decisions (documented here, enforced by the tests):
- Digits with an optional decimal point; "$" before or "USD" after is fine; spaces are ignored.
- Commas are thousands separators only in groups of three ("1,250.00"). "25,50" is refused rather
  than silently read as $2,550 (a decimal comma would otherwise move 100 times the money).
- "12.340" is accepted as $12.34: trailing zeros add no precision. "12.345" is refused.
- Scientific notation ("1e3"), NaN, Infinity, underscores and non-ASCII digits are not amounts.
- Zero and negatives are "not positive", not "not a number", so the person reads the right hint.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.money import AmountError, Money, parse_amount, percent_of


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("25.50", 2550),
        ("$1,250.00", 125_000),
        ("1 250", 125_000),
        ("12.340", 1234),
        ("0.01", 1),
        (".5", 50),
        ("25.", 2500),
        ("  $25  ", 2500),
        ("25 USD", 2500),
        ("+5", 500),
        ("12,345,678.90", 1_234_567_890),
    ],
)
def test_accepted_amounts_become_exact_cents(text: str, minor: int) -> None:
    assert parse_amount(text) == Money(minor, "USD")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0", "amount-not-positive"),
        ("0.00", "amount-not-positive"),
        ("-5", "amount-not-positive"),
        ("-$5", "amount-not-positive"),
        ("$-5", "amount-not-positive"),
        ("12.345", "amount-too-precise"),
        ("0.001", "amount-too-precise"),
        ("abc", "amount-not-a-number"),
        ("", "amount-not-a-number"),
        ("   ", "amount-not-a-number"),
        ("$", "amount-not-a-number"),
        (".", "amount-not-a-number"),
        ("NaN", "amount-not-a-number"),
        ("sNaN", "amount-not-a-number"),
        ("Infinity", "amount-not-a-number"),
        ("-Infinity", "amount-not-a-number"),
        ("1e3", "amount-not-a-number"),
        ("1E-2", "amount-not-a-number"),
        ("25,50", "amount-not-a-number"),
        ("1,25", "amount-not-a-number"),
        ("1_000", "amount-not-a-number"),
        ("٣", "amount-not-a-number"),  # an Arabic-Indic digit
        ("12 dollars", "amount-not-a-number"),
    ],
)
def test_refused_amounts_say_why(text: str, code: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.code == code


def test_currency_is_carried() -> None:
    assert parse_amount("3", "EUR") == Money(300, "EUR")


def test_money_arithmetic_refuses_mixed_currencies() -> None:
    assert Money(100) + Money(250) == Money(350)
    assert Money(300) - Money(50) == Money(250)
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")


def test_percent_fee_rounds_half_up_to_the_cent() -> None:
    assert percent_of(Money(1000), Decimal("1.5")) == Money(15)
    assert percent_of(Money(100), Decimal("1.5")) == Money(2)  # 1.5 cents rounds up
    assert percent_of(Money(33), Decimal("1.5")) == Money(0)  # 0.495 cents rounds down


def test_format_in_english() -> None:
    assert Money(125_000).format("en") == "$1,250.00"
    assert Money(5).format("en") == "$0.05"
