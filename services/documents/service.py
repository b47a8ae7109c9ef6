"""Documents about one card, for its cardholder: the card's picture, the statement as CSV and
PDF, the monthly spending chart.

Every read goes through `CardService` with the cardholder's account, so the same ownership and
capability rules apply as on the chat screens. Pictures and PDFs are drawn in a worker thread
so the event loop keeps serving other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from services.cards import CardService, CardView
from services.documents.branding import Branding, branding_for
from services.documents.card_image import (
    CardFace,
    CardLabels,
    initials_of,
    render_card,
    render_card_photo,
)
from services.documents.chart import ChartLabels, MonthSpend, monthly_spend, render_chart
from services.documents.statement import (
    StatementCard,
    StatementLabels,
    newest_first,
    statement_csv,
    statement_pdf,
)
from services.errors import ServiceError
from services.money import Money
from services.onboarding import OnboardingService
from services.providers.base import ProviderTransaction
from services.users import Account, UserService
from storage.db import Database
from storage.models import Card, User, utcnow

if TYPE_CHECKING:
    from services.container import Services

MAX_STATEMENT_PAGES = 2_000  # 10,000 transactions at five a page: a guard, not a real limit
# One drawing at a time: the shared fonts are not for concurrent use, and a burst of presses
# should not take every core from the chats.
_drawing = threading.Lock()


async def _draw(function: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
    def locked() -> bytes:
        with _drawing:
            return function(*args, **kwargs)

    return await asyncio.to_thread(locked)


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mime_type: str
    card: CardView
    transactions: int  # how many it lists


@dataclass(frozen=True)
class Chart:
    image: bytes
    months: list[MonthSpend]  # oldest first
    card: CardView

    @property
    def total(self) -> Money:
        return Money(sum(m.total.minor for m in self.months), self.card.balance.currency)

    @property
    def purchases(self) -> int:
        return sum(m.count for m in self.months)


class DocumentService:
    def __init__(
        self,
        cards: CardService,
        onboarding: OnboardingService,
        users: UserService,
        db: Database,
        branding: Branding,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.cards = cards
        self.onboarding = onboarding
        self.users = users
        self.db = db
        self.branding = branding
        self.clock = clock

    @classmethod
    def of(cls, services: Services) -> DocumentService:
        """Built from a deployment's services, with the brand's look from its settings."""
        return cls(
            services.cards,
            services.onboarding,
            services.users,
            services.cards.db,
            branding_for(services.settings),
            services.cards.clock,
        )

    # -- reading --
    async def history(
        self, account: Account, card_id: str
    ) -> tuple[CardView, list[ProviderTransaction]]:
        """The card and every transaction of its statement, newest first."""
        card = await self.cards.view(account, card_id)
        seen: set[str] = set()
        items: list[ProviderTransaction] = []
        for page in range(MAX_STATEMENT_PAGES):
            result = await self.cards.statement(account, card_id, page)
            for txn in result.items:
                if txn.id not in seen:  # a payment arriving mid-way shifts the pages
                    seen.add(txn.id)
                    items.append(txn)
            if not result.has_more or not result.items:
                break
        return card, newest_first(items)

    async def initials(self, account: Account) -> str | None:
        """The cardholder's initials from their verified name; None when there is none."""
        answers = await self.onboarding.answers(account)
        return initials_of(answers.get("first_name"), answers.get("last_name"))

    # -- documents --
    async def card_picture(
        self, account: Account, card_id: str, labels: CardLabels, *, photo: bool = True
    ) -> tuple[CardView, bytes]:
        """The card's picture: for a chat photo (on a backdrop) or alone (card-shaped)."""
        card = await self.cards.view(account, card_id)
        return card, await self.picture(account, card, labels, photo=photo)

    async def picture(
        self, account: Account, card: CardView, labels: CardLabels, *, photo: bool = True
    ) -> bytes:
        """The picture of a card just read for this account (`CardService.view`)."""
        face = self.face(card, await self.initials(account))
        return await _draw(render_card_photo if photo else render_card, face, self.branding, labels)

    @staticmethod
    def face(card: CardView, initials: str | None = None) -> CardFace:
        if not card.last4.isdigit() or len(card.last4) != 4:
            raise ServiceError("document-card-not-numbered")
        return CardFace(card.last4, card.brand, card.status, initials)

    async def statement_csv(self, account: Account, card_id: str) -> Document:
        card, items = await self.history(account, card_id)
        self.face(card)  # named by its last four digits: it needs them
        return Document(
            self._filename(card, "csv"), statement_csv(items), "text/csv", card, len(items)
        )

    async def statement_pdf(
        self, account: Account, card_id: str, labels: StatementLabels, language: str
    ) -> Document:
        card, items = await self.history(account, card_id)
        content = await _draw(
            statement_pdf,
            StatementCard(self.face(card).last4, card.brand),
            items,
            self.branding,
            labels,
            language=language,
            generated_at=self.clock(),
            currency=card.balance.currency,
        )
        return Document(self._filename(card, "pdf"), content, "application/pdf", card, len(items))

    async def spending_chart(
        self, account: Account, card_id: str, labels: ChartLabels, language: str
    ) -> Chart:
        card, items = await self.history(account, card_id)
        months = monthly_spend(items, self.clock(), currency=card.balance.currency)
        image = await _draw(
            render_chart,
            months,
            StatementCard(self.face(card).last4, card.brand),
            self.branding,
            labels,
            language=language,
        )
        return Chart(image, months, card)

    def _filename(self, card: CardView, extension: str) -> str:
        day = self.clock().date().isoformat()
        return f"{self.branding.slug}-card-{card.last4}-statement-{day}.{extension}"

    # -- operator tools (`cardbot documents …`) --
    async def sandbox_card(self, last4: str) -> tuple[Account, CardView]:
        """A sandbox card by its last four digits, with its cardholder's account."""
        tenant = self.cards.tenant
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(Card).where(
                        Card.tenant == tenant, Card.last4 == last4, Card.provider == "sandbox"
                    )
                )
            ).all()
            if len(rows) != 1:
                raise ServiceError("card-not-found" if not rows else "card-ambiguous")
            user = await session.get(User, rows[0].user_id)
        assert user is not None
        account = await self.users.load(user.telegram_id)
        return account, await self.cards.view(account, rows[0].id)
