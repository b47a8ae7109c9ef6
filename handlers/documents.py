"""Documents in the chat: the card's picture, the spending chart, and the statement as CSV or
PDF. Drawing and data live in services/documents/; this module picks the words and sends."""

from __future__ import annotations

from handlers.context import Ctx, Rows
from handlers.events import SendDocument, SendPhoto
from handlers.routes import Router
from handlers.texts import Texts
from services.cards import CardView
from services.documents import (
    CardLabels,
    ChartLabels,
    DocumentService,
    StatementLabels,
)
from services.providers.base import Capability, CardStatus

# The card list opens a card with this mark: the picture comes with the card's screen.
OPENED_FROM_LIST = "pic"


def register(router: Router) -> None:
    router.buttons["d.pic"] = card_picture
    router.buttons["d.chart"] = spending_chart
    router.buttons["d.csv"] = statement_csv
    router.buttons["d.pdf"] = statement_pdf


def _documents(ctx: Ctx) -> DocumentService:
    return DocumentService.of(ctx.services)


# -- buttons on other screens --
def _numbered(card: CardView) -> bool:
    """Some issuers number a card only once it is active; documents name it by its number."""
    return len(card.last4) == 4 and card.last4.isdigit()


def pictured(card: CardView) -> bool:
    """Whether the card's screen shows its picture: a card in use (active or frozen) with its
    number (a terminated card's screen keeps to its statement)."""
    return card.status in (CardStatus.ACTIVE, CardStatus.FROZEN) and _numbered(card)


def card_rows(ctx: Ctx, card: CardView) -> Rows:
    """On the card's screen: its picture and its spending chart."""
    if not pictured(card):
        return []
    row = [ctx.choice("btn-card-picture", f"d.pic:{card.id}")]
    if ctx.services.cards.can(Capability.STATEMENT, card):
        row.append(ctx.choice("btn-spending-chart", f"d.chart:{card.id}"))
    return [row]


def statement_rows(ctx: Ctx, card: CardView, has_transactions: bool) -> Rows:
    """On the statement's screen: the whole statement as a file."""
    if not has_transactions or not _numbered(card):
        return []
    return [
        [
            ctx.choice("btn-statement-csv", f"d.csv:{card.id}"),
            ctx.choice("btn-statement-pdf", f"d.pdf:{card.id}"),
        ]
    ]


async def picture_above(ctx: Ctx, card: CardView) -> None:
    """A card opened from the list: its picture, with the card's screen sent below it (the
    list stays in the chat above, as it was)."""
    if not pictured(card):
        return
    image = await _documents(ctx).picture(
        ctx.account, card, card_labels(ctx.texts, ctx.account.language)
    )
    ctx.attach(_photo(ctx, card, image))


# -- the buttons --
async def card_picture(ctx: Ctx, args: list[str]) -> None:
    card, image = await _documents(ctx).card_picture(
        ctx.account, args[0], card_labels(ctx.texts, ctx.account.language)
    )
    ctx.attach(_photo(ctx, card, image))


def _photo(ctx: Ctx, card: CardView, image: bytes) -> SendPhoto:
    caption = ctx.t("doc-picture-caption", brand=card.brand.title(), last4=card.last4)
    return SendPhoto(ctx.incoming.chat_id, image, caption, protect_content=True)


async def spending_chart(ctx: Ctx, args: list[str]) -> None:
    language = ctx.account.language
    chart = await _documents(ctx).spending_chart(
        ctx.account, args[0], chart_labels(ctx.texts, language), language
    )
    caption = ctx.t(
        "doc-chart-caption",
        last4=chart.card.last4,
        total=ctx.money(chart.total),
        count=chart.purchases,
    )
    ctx.attach(SendPhoto(ctx.incoming.chat_id, chart.image, caption))


async def statement_csv(ctx: Ctx, args: list[str]) -> None:
    document = await _documents(ctx).statement_csv(ctx.account, args[0])
    caption = ctx.t("doc-csv-caption", last4=document.card.last4, count=document.transactions)
    ctx.attach(SendDocument(ctx.incoming.chat_id, document.filename, document.content, caption))


async def statement_pdf(ctx: Ctx, args: list[str]) -> None:
    language = ctx.account.language
    labels = statement_labels(ctx.texts, language, ctx.services.settings.currency)
    document = await _documents(ctx).statement_pdf(ctx.account, args[0], labels, language)
    caption = ctx.t("doc-pdf-caption", last4=document.card.last4, count=document.transactions)
    ctx.attach(SendDocument(ctx.incoming.chat_id, document.filename, document.content, caption))


# -- the words (also used by `cardbot documents …`) --
def card_labels(texts: Texts, language: str) -> CardLabels:
    return CardLabels(
        virtual=texts.get(language, "doc-card-virtual", html_args=False),
        holder=texts.get(language, "doc-card-holder", html_args=False),
        statuses={
            str(status): texts.get(language, f"card-status-{status}", html_args=False)
            for status in CardStatus
        },
    )


def _networks(texts: Texts, language: str) -> dict[str, str]:
    return {
        "visa": texts.get(language, "brand-visa", html_args=False),
        "mastercard": texts.get(language, "brand-mastercard", html_args=False),
    }


def chart_labels(texts: Texts, language: str) -> ChartLabels:
    def purchases(count: int) -> str:
        return texts.get(language, "doc-chart-purchases", html_args=False, count=count)

    return ChartLabels(
        title=texts.get(language, "doc-chart-title", html_args=False),
        total=texts.get(language, "doc-chart-total", html_args=False),
        empty=texts.get(language, "doc-chart-empty", html_args=False),
        purchases=purchases,
        networks=_networks(texts, language),
    )


def statement_labels(texts: Texts, language: str, currency: str = "USD") -> StatementLabels:
    return StatementLabels(
        title=texts.get(language, "doc-pdf-title", html_args=False),
        card=texts.get(language, "doc-pdf-card", html_args=False),
        period=texts.get(language, "doc-pdf-period", html_args=False),
        generated=texts.get(language, "doc-pdf-generated", html_args=False),
        date=texts.get(language, "doc-pdf-date", html_args=False),
        description=texts.get(language, "doc-pdf-description", html_args=False),
        kind=texts.get(language, "doc-pdf-type", html_args=False),
        amount=texts.get(language, "doc-pdf-amount", html_args=False),
        money_in=texts.get(language, "doc-pdf-money-in", html_args=False),
        money_out=texts.get(language, "doc-pdf-money-out", html_args=False),
        net=texts.get(language, "doc-pdf-net", html_args=False),
        declined=texts.get(language, "doc-pdf-declined", html_args=False),
        declined_status=texts.get(language, "doc-pdf-declined-status", html_args=False),
        empty=texts.get(language, "doc-pdf-empty", html_args=False),
        note=texts.get(language, "doc-pdf-note", html_args=False, currency=currency),
        page=texts.get(language, "doc-pdf-page", html_args=False),
        kinds={
            "topup": texts.get(language, "doc-kind-topup", html_args=False),
            "withdraw": texts.get(language, "doc-kind-withdraw", html_args=False),
            "purchase": texts.get(language, "doc-kind-purchase", html_args=False),
            "refund": texts.get(language, "doc-kind-refund", html_args=False),
            "fee": texts.get(language, "doc-kind-fee", html_args=False),
        },
        networks=_networks(texts, language),
    )
