"""The services one deployment (one brand) runs with, built by bot/app.py."""

from __future__ import annotations

from dataclasses import dataclass

from services.cards import CardService
from services.deletions import DeletionService
from services.onboarding import OnboardingService
from services.providers.base import CardProvider
from services.settings import Settings
from services.users import UserService


@dataclass
class Services:
    settings: Settings
    provider: CardProvider
    users: UserService
    onboarding: OnboardingService
    cards: CardService
    deletions: DeletionService
