"""Country names people actually type resolve to the right ISO code, or are refused."""

from __future__ import annotations

import pytest

from services import kyc_rules
from services.errors import ServiceError


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Nigeria", "NG"),
        ("ng", "NG"),
        ("NGA", "NG"),
        ("Republic of Korea", "KR"),  # fuzzy search alone would say KP
        ("South Korea", "KR"),
        ("UK", "GB"),
        ("Ivory Coast", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("DRC", "CD"),
        ("Russia", "RU"),
    ],
)
def test_country_names_resolve(typed: str, code: str) -> None:
    assert kyc_rules.country(typed) == code


@pytest.mark.parametrize("typed", ["Narnia", "", "   ", "XX", "Korea Congo"])
def test_unknown_countries_are_refused(typed: str) -> None:
    with pytest.raises(ServiceError) as refused:
        kyc_rules.country(typed)
    assert refused.value.code == "kyc-country-unknown"
