"""A card's statement as a CSV file and as a PDF.

Both list every transaction of the card, newest first. Money that came in (top-ups, refunds) is
positive, money that went out (purchases, withdrawals, fees) negative; a declined payment moved
nothing, so it is listed with its status and left out of the totals.

The PDF is made with fpdf2 (pure Python, no system libraries) with DejaVu Sans embedded (the
font shipped in fonts/, Latin script), so its text is real, selectable text in any Latin-script
language; a character outside the font is shown as "?".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_datetime
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from services.documents.branding import Branding
from services.documents.drawing import BOLD, REGULAR, ink_on, mix
from services.money import Money
from services.providers.base import ProviderTransaction

MONEY_IN = frozenset({"topup", "refund"})
MONEY_OUT = frozenset({"purchase", "withdraw", "fee", "decline"})
CSV_COLUMNS = (
    "date",
    "type",
    "description",
    "amount",
    "currency",
    "status",
    "decline_reason",
    "balance_after",
    "id",
)
# A spreadsheet runs a cell that starts with one of these as a formula; a merchant's name is
# chosen by the merchant, so such a cell gets a leading apostrophe (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes that were stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def newest_first(items: Sequence[ProviderTransaction]) -> list[ProviderTransaction]:
    return sorted(items, key=lambda t: utc(t.created_at), reverse=True)


def signed(txn: ProviderTransaction) -> Money:
    """The amount as it moves the balance: positive in, negative out."""
    return txn.amount if txn.kind in MONEY_IN else -txn.amount


def decimal_text(amount: Money) -> str:
    """'-6.00', '25.00': a plain decimal a spreadsheet reads in any locale."""
    return f"{Decimal(amount.minor) / 100:.2f}"


@dataclass(frozen=True)
class Totals:
    money_in: Money
    money_out: Money  # positive: what went out
    declined: int  # declined payments: listed, not charged

    @property
    def net(self) -> Money:
        return self.money_in - self.money_out


def totals(items: Sequence[ProviderTransaction], currency: str = "USD") -> Totals:
    money_in, money_out, declined = Money(0, currency), Money(0, currency), 0
    for txn in items:
        if txn.status != "approved":
            declined += 1
        elif txn.kind in MONEY_IN:
            money_in += txn.amount
        else:
            money_out += txn.amount
    return Totals(money_in, money_out, declined)


def period(items: Sequence[ProviderTransaction]) -> tuple[datetime, datetime] | None:
    """The first and the last transaction's time, or None for an empty statement."""
    if not items:
        return None
    moments = [utc(t.created_at) for t in items]
    return min(moments), max(moments)


def _cell(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def statement_csv(items: Sequence[ProviderTransaction]) -> bytes:
    """UTF-8 CSV with a header row; ISO 8601 UTC times; signed decimal amounts."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for txn in newest_first(items):
        writer.writerow(
            (
                utc(txn.created_at).isoformat(timespec="seconds").replace("+00:00", "Z"),
                txn.kind,
                _cell(txn.merchant),
                decimal_text(signed(txn)),
                txn.amount.currency,
                txn.status,
                _cell(txn.decline_reason),
                decimal_text(txn.balance_after) if txn.balance_after is not None else "",
                txn.id,
            )
        )
    return out.getvalue().encode("utf-8")


# -- PDF --
@dataclass(frozen=True)
class StatementLabels:
    """The words of the PDF, from the message catalogue (plain text)."""

    title: str  # "Card statement"
    card: str  # "Card"
    period: str  # "Period"
    generated: str  # "Generated"
    date: str  # the table's columns
    description: str
    kind: str
    amount: str
    money_in: str  # the totals
    money_out: str
    net: str
    declined: str  # "Declined (not charged)"
    declined_status: str  # "declined", after a declined line's type
    empty: str  # "No transactions yet."
    note: str  # under the table: what the amounts mean
    page: str  # "Page"
    kinds: Mapping[str, str] = field(default_factory=dict)  # purchase → "Purchase"
    networks: Mapping[str, str] = field(default_factory=dict)  # visa → "Visa"


@dataclass(frozen=True)
class StatementCard:
    """The card a statement is for: no more of its number than the last four digits."""

    last4: str
    network: str

    def __post_init__(self) -> None:
        if not (len(self.last4) == 4 and self.last4.isdigit()):
            raise ValueError("a statement names a card by its last four digits only")


FONT = "DejaVu"


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """The characters the embedded font can show."""
    with TTFont(REGULAR) as font:
        return frozenset(font.getBestCmap())


def _pdf_text(text: str) -> str:
    """The text with each character the font cannot show replaced by '?'."""
    covered = _covered()
    return "".join(ch if ord(ch) in covered or ch in "\n\r\t" else "?" for ch in text)


class _StatementPDF(FPDF):
    def __init__(self, branding: Branding, labels: StatementLabels) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FONT, "", str(REGULAR))
        self.add_font(FONT, "B", str(BOLD))
        self.branding = branding
        self.labels = labels
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(107, 114, 128)
        self.cell(0, 6, _pdf_text(self.branding.name), align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 6, _pdf_text(f"{self.labels.page} {self.page_no()}/{{nb}}"), align=Align.R)


def statement_pdf(
    card: StatementCard,
    items: Sequence[ProviderTransaction],
    branding: Branding,
    labels: StatementLabels,
    *,
    language: str,
    generated_at: datetime,
    currency: str = "USD",
) -> bytes:
    items = newest_first(items)
    pdf = _StatementPDF(branding, labels)
    pdf.set_title(_pdf_text(f"{branding.name} · {labels.title} · •••• {card.last4}"))
    pdf.set_author(_pdf_text(branding.name))
    pdf.set_creator(_pdf_text(branding.name))
    pdf.set_creation_date(utc(generated_at))  # the same statement gives the same bytes
    pdf.add_page()
    _header(pdf, branding, labels)
    _details(pdf, card, items, labels, language, generated_at)
    _summary(pdf, totals(items, currency), branding, labels, language)
    _table(pdf, items, branding, labels, language)
    return bytes(pdf.output())


def _header(pdf: FPDF, branding: Branding, labels: StatementLabels) -> None:
    band = 30.0
    pdf.set_fill_color(*branding.primary)
    pdf.rect(0, 0, pdf.w, band, style="F")
    pdf.set_fill_color(*branding.secondary)
    pdf.rect(0, band, pdf.w, 1.6, style="F")
    ink = ink_on(branding.primary)
    x = pdf.l_margin
    if branding.logo is not None:
        pdf.image(io.BytesIO(branding.logo), x=x, y=8, h=14, keep_aspect_ratio=True)
        x += 18
    pdf.set_text_color(*ink)
    pdf.set_xy(x, 9)
    pdf.set_font(FONT, style="B", size=18)
    pdf.cell(110, 12, _pdf_text(branding.name))
    pdf.set_font(FONT, size=12)
    pdf.set_xy(pdf.w - pdf.r_margin - 70, 9)
    pdf.cell(70, 12, _pdf_text(labels.title), align=Align.R)
    pdf.set_y(band + 8)


def _details(
    pdf: FPDF,
    card: StatementCard,
    items: Sequence[ProviderTransaction],
    labels: StatementLabels,
    language: str,
    generated_at: datetime,
) -> None:
    span = period(items)
    network = labels.networks.get(card.network, card.network.title())
    when = (
        f"{format_date(span[0], 'medium', locale=language)} – "
        f"{format_date(span[1], 'medium', locale=language)}"
        if span
        else labels.empty
    )
    generated = format_datetime(utc(generated_at), "medium", tzinfo=UTC, locale=language)
    for label, value in (
        (labels.card, f"{network} •••• {card.last4}"),
        (labels.period, when),
        (labels.generated, f"{generated} UTC"),
    ):
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(107, 114, 128)
        pdf.cell(28, 6, _pdf_text(label))
        pdf.set_font(FONT, style="B", size=10)
        pdf.set_text_color(17, 24, 39)
        pdf.cell(0, 6, _pdf_text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _summary(
    pdf: FPDF, sums: Totals, branding: Branding, labels: StatementLabels, language: str
) -> None:
    gap = 4.0
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 2 * gap) / 3
    top = pdf.get_y()
    boxes = (
        (labels.money_in, "+" + sums.money_in.format(language)),
        (labels.money_out, "-" + sums.money_out.format(language)),
        (labels.net, _signed_text(sums.net, language)),
    )
    tint = mix(branding.primary, (255, 255, 255), 0.9)
    for i, (label, value) in enumerate(boxes):
        x = pdf.l_margin + i * (width + gap)
        pdf.set_fill_color(*tint)
        pdf.rect(x, top, width, 18, style="F", round_corners=True, corner_radius=2)
        pdf.set_xy(x + 4, top + 2.5)
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(75, 85, 99)
        pdf.cell(width - 8, 5, _pdf_text(label))
        pdf.set_xy(x + 4, top + 8)
        pdf.set_font(FONT, style="B", size=13)
        pdf.set_text_color(17, 24, 39)
        pdf.cell(width - 8, 7, _pdf_text(value))
    pdf.set_y(top + 18 + 3)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(107, 114, 128)
    pdf.cell(0, 5, _pdf_text(f"{labels.declined}: {sums.declined}"))
    pdf.ln(9)


def _signed_text(amount: Money, language: str) -> str:
    sign = "-" if amount.minor < 0 else "+"
    return sign + Money(abs(amount.minor), amount.currency).format(language)


def _table(
    pdf: FPDF,
    items: Sequence[ProviderTransaction],
    branding: Branding,
    labels: StatementLabels,
    language: str,
) -> None:
    if not items:
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(107, 114, 128)
        pdf.cell(0, 8, _pdf_text(labels.empty))
        return
    header = ink_on(branding.primary)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(17, 24, 39)
    pdf.set_draw_color(229, 231, 235)
    with pdf.table(
        col_widths=(36, 76, 38, 28),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD", color=header, fill_color=branding.primary),
        cell_fill_color=mix(branding.primary, (255, 255, 255), 0.95),
        cell_fill_mode="ROWS",
        line_height=6.5,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        table.row([_pdf_text(t) for t in (labels.date, labels.description, labels.kind)] + [
            _pdf_text(labels.amount)
        ])  # fmt: skip
        for txn in items:
            declined = txn.status != "approved"
            kind = labels.kinds.get(txn.kind, txn.kind.title())
            if declined:
                kind = f"{kind} ({labels.declined_status})"
            style = FontFace(color=(156, 163, 175)) if declined else None
            when = format_datetime(utc(txn.created_at), "d MMM yyyy HH:mm", tzinfo=UTC,
                                   locale=language)  # fmt: skip
            row = table.row(style=style)
            for text in (when, txn.merchant or "", kind, _signed_text(signed(txn), language)):
                row.cell(_pdf_text(text))
    pdf.ln(4)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(107, 114, 128)
    pdf.multi_cell(0, 4.5, _pdf_text(labels.note), align=Align.L)
