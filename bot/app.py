"""The composition root: the one place that builds settings, store, provider and services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.logging import configure_logging
from handlers.alerts import AlertPublisher
from handlers.conversation import Conversation
from handlers.texts import Texts
from services.admin import AdminService
from services.audit import AuditLog
from services.brand import BrandError, brand_files, brand_settings, load_brand
from services.cards import CardService
from services.container import Services
from services.deletions import DeletionService
from services.events import EventProcessor
from services.inbox import ProcessEvent, dispatcher
from services.ledger import Ledger
from services.onboarding import OnboardingService
from services.outbox import Outbox
from services.providers import registry
from services.providers.base import CardProvider
from services.providers.sandbox import SandboxProvider
from services.routing import Router
from services.settings import Settings
from services.staff import StaffService
from services.users import UserService
from services.wallet import WalletService
from storage.db import Database
from storage.keyring import KeyRing
from storage.migrate import upgrade
from storage.models import utcnow
from storage.vault import Vault


@dataclass
class App:
    settings: Settings
    db: Database
    ring: KeyRing
    services: Services
    conversation: Conversation
    # What the provider-events server (bot/events_server.py) does with each stored delivery.
    process_event: ProcessEvent

    async def close(self) -> None:
        for provider in self.services.router.providers.values():
            aclose = getattr(provider, "aclose", None)  # HTTP adapters hold a client
            if aclose is not None:
                await aclose()
        await self.db.dispose()


def build_provider(
    name: str, settings: Settings, db: Database, ring: KeyRing, clock: Callable[[], datetime]
) -> CardProvider:
    if name == "sandbox":
        return SandboxProvider(
            db,
            ring.derive("sandbox-card-secrets"),
            settings.tenant,
            settings.sandbox_delay_seconds,
            clock,
        )
    return registry.create(name, settings)


def build_router(
    settings: Settings, db: Database, ring: KeyRing, clock: Callable[[], datetime]
) -> Router:
    providers = {
        name: build_provider(name, settings, db, ring, clock) for name in settings.enabled_providers
    }
    try:
        return Router(providers, settings.routes)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


async def build_apps(settings: Settings | None = None, **options: Any) -> list[App]:
    """One app per brand served by this deployment (one without brand files), sharing the
    database; each brand is its own tenant with its own bot token."""
    settings = settings or Settings()
    paths = brand_files(settings)
    if not paths:
        return [await build_app(settings, **options)]
    brands = [load_brand(path) for path in paths]
    ids = [brand.id for brand in brands]
    if len(set(ids)) != len(ids):
        raise BrandError(f"two brand files share an id: {ids}")
    apps = []
    for n, brand in enumerate(brands):
        one = brand_settings(settings, brand).model_copy(update={"brand_file": None})
        # migrate once; the others share the schema
        apps.append(await build_app(one, **({**options, "migrate": False} if n else options)))
    return apps


async def build_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate: bool | None = None,
    configure_logs: bool = True,
) -> App:
    settings = settings or Settings()
    if settings.brand_file is not None and not settings.brand_files:
        settings = brand_settings(settings, load_brand(settings.brand_file))
    if configure_logs:
        configure_logging(settings.log_level)
    ring = KeyRing.load_or_create(
        settings.master_key.get_secret_value() if settings.master_key else None, settings.key_file
    )
    db = Database(settings.database_url)
    if migrate if migrate is not None else db.is_sqlite:
        await upgrade(db)
    vault = Vault(ring)
    router = build_router(settings, db, ring, clock)
    onboarding = OnboardingService(db, vault, router, settings.tenant, clock)
    texts = Texts.load()
    users = UserService(
        db, vault, settings.tenant, tuple(settings.languages), settings.default_language
    )
    outbox = Outbox(db, settings.tenant, clock)
    alerts = AlertPublisher(texts, users, outbox)  # rendered from the catalogue, then queued
    book = Ledger(db, settings.tenant, clock)
    wallet = WalletService(db, book, settings.tenant, clock)
    cards = CardService(db, router, onboarding, wallet, settings, clock)
    # Keyed, so database access alone cannot rewrite the chain (see services/audit.py).
    cards.audit = audit = AuditLog(db, settings.tenant, clock, key=ring.derive("audit"))
    events = EventProcessor(db, book, alerts, settings.tenant, clock)
    events.cards = cards
    cards.alerts = wallet.alerts = alerts
    staff = StaffService(db, settings, clock)
    admin = AdminService(
        db, vault, staff, users, onboarding, cards, wallet, alerts, settings, clock
    )
    admin.outbox, admin.router = outbox, router
    admin.audit = audit  # every admin command is recorded in the chained audit log
    services = Services(
        settings=settings,
        router=router,
        staff=staff,
        admin=admin,
        users=users,
        onboarding=onboarding,
        cards=cards,
        deletions=DeletionService(db, settings.tenant, clock),
        ledger=book,
        wallet=wallet,
        events=events,
        outbox=outbox,
        audit=audit,
    )
    for name, provider in router.providers.items():
        if isinstance(provider, SandboxProvider):  # its card activity, as webhooks would bring
            provider.events = functools.partial(events.apply, name)
    process_event = dispatcher(events.apply, wallet.apply_deposit)
    return App(settings, db, ring, services, Conversation(services, texts), process_event)
