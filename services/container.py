"""The services one deployment (one brand) runs with, built by bot/app.py."""

from __future__ import annotations

from dataclasses import dataclass

from services.admin import AdminService
from services.audit import AuditLog
from services.cards import CardService
from services.deletions import DeletionService
from services.events import EventProcessor
from services.ledger import Ledger
from services.onboarding import OnboardingService
from services.outbox import Outbox
from services.providers.base import CardProvider
from services.routing import Router
from services.settings import Settings
from services.staff import StaffService
from services.users import UserService
from services.wallet import WalletService


@dataclass
class Services:
    settings: Settings
    router: Router
    staff: StaffService
    admin: AdminService
    users: UserService
    onboarding: OnboardingService
    cards: CardService
    deletions: DeletionService
    ledger: Ledger
    wallet: WalletService
    events: EventProcessor
    outbox: Outbox  # the outbound message queue (alerts); bot/outbox_sender.py delivers it
    audit: AuditLog  # the hash-chained log of admin actions and reveals (services/audit.py)

    @property
    def provider(self) -> CardProvider:
        """The first enabled issuer (the only one in a single-issuer deployment)."""
        return self.router.primary
