"""Which adapter serves which `CARDBOT_PROVIDER` name.

Each adapter module exposes ``create(settings: Settings) -> CardProvider`` and reads its own
``CARDBOT_<NAME>_…`` settings; the sandbox needs the database and is built by bot/app.py.
"""

from __future__ import annotations

import importlib

from services.providers.base import CardProvider
from services.settings import Settings

ADAPTERS = {
    "numero": "services.providers.numero",
    "bitnob": "services.providers.bitnob",
    "cartevo": "services.providers.cartevo",
    "cardprogram": "services.providers.cardprogram",
    "nuvion": "services.providers.nuvion",
}
NAMES = ("sandbox", *ADAPTERS)


def create(name: str, settings: Settings) -> CardProvider:
    if name not in ADAPTERS:
        raise SystemExit(
            f"CARDBOT_PROVIDER={name!r} is not known; choose one of {', '.join(NAMES)}."
        )
    module = importlib.import_module(ADAPTERS[name])
    provider: CardProvider = module.create(settings)
    return provider
