"""A card's spending per month as a bar chart (Pillow): approved purchases only, a bar for every
month from the first purchase (at most the last twelve months) to the current month, months
without purchases included."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_compact_currency
from PIL import Image, ImageDraw

from services.documents.branding import Branding
from services.documents.drawing import fit_text, mix, png_bytes, spaced_text
from services.documents.statement import StatementCard, utc
from services.money import Money
from services.providers.base import ProviderTransaction

CHART_SIZE = (1200, 720)
MAX_MONTHS = 12
_SCALE = 2
INK = (17, 24, 39)
MUTED = (107, 114, 128)
GRID = (229, 231, 235)


@dataclass(frozen=True)
class MonthSpend:
    month: date  # the first day of the month
    total: Money
    count: int  # approved purchases


@dataclass(frozen=True)
class ChartLabels:
    """The words of the chart, from the message catalogue (plain text)."""

    title: str  # "Monthly spending"
    total: str  # "Total"
    empty: str  # "No purchases yet"
    purchases: Callable[[int], str]  # 3 → "3 purchases"
    networks: Mapping[str, str] = field(default_factory=dict)  # visa → "Visa"


def _month(moment: datetime) -> date:
    moment = utc(moment)
    return date(moment.year, moment.month, 1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def monthly_spend(
    items: Sequence[ProviderTransaction],
    now: datetime,
    *,
    currency: str = "USD",
    max_months: int = MAX_MONTHS,
) -> list[MonthSpend]:
    """Approved purchases per month, oldest month first."""
    purchases = [t for t in items if t.kind == "purchase" and t.status == "approved"]
    last = max([_month(now), *(_month(t.created_at) for t in purchases)])
    first = min([last, *(_month(t.created_at) for t in purchases)])
    first = max(first, _add_months(last, -(max_months - 1)))
    months: dict[date, tuple[int, int]] = {}
    month = first
    while month <= last:
        months[month] = (0, 0)
        month = _add_months(month, 1)
    for txn in purchases:
        key = _month(txn.created_at)
        if key in months:
            total, count = months[key]
            months[key] = (total + txn.amount.minor, count + 1)
    return [MonthSpend(m, Money(total, currency), count) for m, (total, count) in months.items()]


def _nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for the axis and its step: 37 → (40, 10)."""
    if value <= 0:
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(value))
    for step_factor in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0):
        step = step_factor * magnitude
        top = math.ceil(value / step) * step
        if top / step <= 5:
            return top, step
    return 10 * magnitude, 2 * magnitude  # pragma: no cover - the loop always finds one


def render_chart(
    spend: Sequence[MonthSpend],
    card: StatementCard,
    branding: Branding,
    labels: ChartLabels,
    *,
    language: str,
) -> bytes:
    s = _SCALE
    width, height = CHART_SIZE[0] * s, CHART_SIZE[1] * s
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    primary, secondary = branding.primary, branding.secondary
    left, right = 120 * s, width - 50 * s
    top, bottom = 190 * s, height - 120 * s

    # heading: brand, title, card; the total on the right
    draw.rectangle((0, 0, width, 10 * s), fill=primary)
    draw.rectangle((0, 10 * s, width, 14 * s), fill=secondary)
    spaced_text(draw, (50 * s, 62 * s), branding.name.upper(), 20 * s, primary,
                spacing=3 * s, bold=True)  # fmt: skip
    spaced_text(draw, (50 * s, 112 * s), labels.title, 40 * s, INK, bold=True)
    network = labels.networks.get(card.network, card.network.title())
    spaced_text(draw, (50 * s, 150 * s), f"{network} •••• {card.last4}", 24 * s, MUTED)
    currency = spend[0].total.currency if spend else "USD"
    total = Money(sum(m.total.minor for m in spend), currency)
    count = sum(m.count for m in spend)
    spaced_text(draw, (right, 70 * s), labels.total, 22 * s, MUTED, anchor="rs")
    spaced_text(draw, (right, 116 * s), total.format(language), 40 * s, INK, bold=True,
                anchor="rs")  # fmt: skip
    spaced_text(draw, (right, 150 * s), labels.purchases(count), 22 * s, MUTED, anchor="rs")

    peak = max((m.total.minor for m in spend), default=0) / 100
    axis_top, step = _nice_ceiling(peak)
    # grid and axis labels
    steps = round(axis_top / step) if count else 0  # no purchases: the base line alone
    for i in range(steps + 1):
        value = step * i
        y = bottom - (bottom - top) * (value / axis_top)
        draw.line((left, y, right, y), fill=GRID if i else (156, 163, 175), width=2 * s if not i
                  else s)  # fmt: skip
        tick = format_compact_currency(Decimal(str(value)), currency, locale=language)
        spaced_text(draw, (left - 16 * s, y), tick, 20 * s, MUTED, anchor="rm")

    if not count:
        spaced_text(draw, ((left + right) / 2, (top + bottom) / 2), labels.empty, 30 * s, MUTED,
                    anchor="mm")  # fmt: skip

    slot = (right - left) / max(1, len(spend))
    bar = min(84 * s, slot * 0.62)
    for i, month in enumerate(spend):
        cx = left + slot * (i + 0.5)
        value = month.total.minor / 100
        if month.total.minor:
            bar_top = bottom - (bottom - top) * (value / axis_top)
            _bar(image, (cx - bar / 2, bar_top, cx + bar / 2, bottom), primary, secondary)
            label, size = fit_text(
                draw, month.total.format(language), 20 * s, slot - 6 * s, bold=True
            )
            spaced_text(draw, (cx, bar_top - 12 * s), label, size, INK, bold=True, anchor="ms")
        name = format_date(month.month, "LLL", locale=language).rstrip(".").title()
        spaced_text(draw, (cx, bottom + 36 * s), name, 22 * s, INK, anchor="ms")
        if i == 0 or month.month.month == 1:
            spaced_text(draw, (cx, bottom + 62 * s), str(month.month.year), 18 * s, MUTED,
                        anchor="ms")  # fmt: skip
        if month.count:
            text, size = fit_text(draw, labels.purchases(month.count), 17 * s, slot - 4 * s)
            spaced_text(draw, (cx, bottom + 90 * s), text, size, mix(secondary, INK, 0.35),
                        anchor="ms")  # fmt: skip
    return png_bytes(image.resize(CHART_SIZE, Image.Resampling.LANCZOS))


def _bar(
    image: Image.Image,
    box: tuple[float, float, float, float],
    primary: tuple[int, int, int],
    secondary: tuple[int, int, int],
) -> None:
    """A bar with rounded top corners, the secondary colour at its foot fading to the primary."""
    x0, y0, x1, y1 = (round(v) for v in box)
    h = max(1, y1 - y0)
    w = max(1, x1 - x0)
    ramp = Image.linear_gradient("L").resize((w, h))  # 0 at the top → 255 at the foot
    fill = Image.composite(Image.new("RGB", (w, h), secondary), Image.new("RGB", (w, h), primary),
                           ramp)  # fmt: skip
    mask = Image.new("L", (w, h), 0)
    radius = min(w // 4, h)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h + radius), radius=radius, fill=255)
    image.paste(fill, (x0, y0), mask)
