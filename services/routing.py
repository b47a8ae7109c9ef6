"""Which issuer serves a cardholder: by their country and by what the card needs.

A deployment enables providers in order of preference (`CARDBOT_PROVIDERS`, default the one
`CARDBOT_PROVIDER`) and may add routes (`CARDBOT_ROUTES`, JSON), e.g.
``[{"needs": ["disposable"], "providers": ["nuvion"]},
   {"countries": ["NG", "GH"], "providers": ["numero", "bitnob"]}]``.
The first route whose countries and needs match gives the order; providers that lack a needed
capability are dropped; without a matching route every enabled provider is eligible in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from services.errors import ServiceError
from services.providers.base import Capability, CardProvider


class Route(BaseModel):
    countries: list[str] | None = None  # ISO alpha-2; None matches every country
    needs: list[Capability] = Field(default_factory=list)
    providers: list[str]


@dataclass
class Router:
    providers: dict[str, CardProvider]  # enabled, in preference order
    routes: list[Route]

    def __post_init__(self) -> None:
        for route in self.routes:
            unknown = [name for name in route.providers if name not in self.providers]
            if unknown:
                raise ValueError(f"CARDBOT_ROUTES names providers not enabled: {unknown}")

    @property
    def primary(self) -> CardProvider:
        return next(iter(self.providers.values()))

    def get(self, name: str) -> CardProvider:
        try:
            return self.providers[name]
        except KeyError:
            raise ServiceError("provider-not-enabled") from None

    def can(self, capability: Capability) -> bool:
        """Whether any enabled issuer offers it (menus for a card ask the card's own issuer)."""
        return any(capability in p.info.capabilities for p in self.providers.values())

    def candidates(
        self, country: str | None, needs: Iterable[Capability] = ()
    ) -> list[CardProvider]:
        """Eligible issuers for a new card, best first."""
        wanted = set(needs)
        order = list(self.providers)
        for route in self.routes:
            if route.countries is not None and country not in route.countries:
                continue
            if not set(route.needs) <= wanted:
                continue
            order = route.providers
            break
        return [
            self.providers[name]
            for name in order
            if wanted <= self.providers[name].info.capabilities
        ]
