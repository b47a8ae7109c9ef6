"""Generated documents: the card's picture (Pillow), the statement as CSV and PDF (fpdf2), the
monthly spending chart; the chat buttons that send them, the Telegram runtimes that carry a
picture as a protected photo, the terminal chat that saves it, and `cardbot documents …`.

Nothing generated may hold a full card number: the picture's renderer cannot take one, and the
bytes of every document are searched for the number revealed in the same chat."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pypdf
import pytest
from PIL import Image

from bot.app import App
from bot.terminal import TerminalChat
from handlers.documents import card_labels, chart_labels, statement_labels
from handlers.events import (
    Action,
    AnswerButton,
    Button,
    Edit,
    Incoming,
    Kind,
    Send,
    SendDocument,
    SendPhoto,
)
from handlers.texts import Texts
from services.documents import Branding, BrandingError, DocumentService
from services.documents.branding import branding_from_settings, parse_colour
from services.documents.card_image import (
    CARD_SIZE,
    PHOTO_BACKDROP,
    PHOTO_SIZE,
    CardFace,
    initials_of,
    render_card,
    render_card_photo,
)
from services.documents.chart import CHART_SIZE, monthly_spend, render_chart
from services.documents.drawing import INK, WHITE, ink_on
from services.documents.statement import (
    CSV_COLUMNS,
    StatementCard,
    statement_csv,
    statement_pdf,
)
from services.money import Money
from services.providers.base import ProviderTransaction
from services.providers.sandbox import SandboxProvider
from storage.models import Card
from tests.chat import ChatUser
from tests.conftest import FakeClock, make_settings
from tests.fakebotapi import DEFAULT_TOKEN, FakeBotAPI, FakeUser
from tests.journey import issue_card, onboard
from tests.runtime_support import FRAMEWORKS, make_app, running
from tests.test_cli import journey_lines, run

TEXTS = Texts.load()
RED, BLUE = (200, 30, 30), (30, 40, 200)
BRAND = Branding("Acme Pay", RED, BLUE)
LABELS = card_labels(TEXTS, "en")
DAY = 24 * 3600


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def close(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


Box = tuple[int, int, int, int]


def count_near(image: Image.Image, colour: tuple[int, int, int], box: Box) -> int:
    return len([pixel for pixel in pixels(image.crop(box)) if close(pixel, colour)])


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- the card picture -----------------------------------------------------------------------


def test_the_picture_takes_four_digits_and_never_a_card_number() -> None:
    assert list(inspect.signature(render_card).parameters) == ["face", "branding", "labels"]
    assert list(inspect.signature(render_card_photo).parameters) == [
        "face",
        "branding",
        "labels",
    ]
    assert [f.name for f in dataclasses.fields(CardFace)] == [
        "last4",
        "network",
        "status",
        "initials",
    ]
    for bad in ("4000001234567899", "400000123456", "12345", "123", "12a4", "", "１２３４"):
        with pytest.raises(ValueError, match="last four digits"):
            CardFace(bad, "visa", "active")
    for bad_initials in ("Ada Okafor", "ao", "ABCD", "", "A1"):
        with pytest.raises(ValueError, match="initials"):
            CardFace("1234", "visa", "active", bad_initials)
    with pytest.raises(ValueError, match="last four digits"):
        StatementCard("4000001234567899", "visa")


def test_the_picture_is_card_shaped_in_the_brand_colours() -> None:
    image = png(render_card(CardFace("4242", "visa", "active", "AO"), BRAND, LABELS))
    assert image.size == CARD_SIZE and image.mode == "RGBA"
    # rounded corners: transparent outside, opaque inside
    assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert image.getpixel((CARD_SIZE[0] - 1, CARD_SIZE[1] - 1))[3] == 0  # type: ignore[index]
    assert image.getpixel((CARD_SIZE[0] // 2, CARD_SIZE[1] // 2))[3] == 255  # type: ignore[index]
    # the gradient runs from the primary colour (top left) to the secondary (bottom right)
    top_left = image.getpixel((30, 150))
    bottom_right = image.getpixel((CARD_SIZE[0] - 30, CARD_SIZE[1] - 150))
    assert top_left[0] > top_left[2] + 80, top_left  # type: ignore[index]
    assert bottom_right[2] > bottom_right[0] + 80, bottom_right  # type: ignore[index]
    # white text on these dark colours: twelve dots, then the last four digits
    dots, digits = (60, 380, 470, 450), (470, 380, 720, 450)
    assert 1500 < count_near(image, WHITE, dots) < 3000
    assert count_near(image, WHITE, digits) > 2000


def test_the_chat_photo_puts_the_card_on_a_backdrop() -> None:
    image = png(render_card_photo(CardFace("4242", "visa", "active"), BRAND, LABELS))
    assert image.size == PHOTO_SIZE and image.mode == "RGB"
    assert image.getpixel((2, 2)) == PHOTO_BACKDROP
    assert close(image.getpixel((PHOTO_SIZE[0] // 2, 4)), PHOTO_BACKDROP)  # type: ignore[arg-type]
    inside = image.getpixel((70, 190))  # the card's top-left area: the primary colour
    assert inside[0] > inside[2] + 80, inside  # type: ignore[index]


def test_the_same_card_gives_the_same_bytes_and_its_state_shows() -> None:
    face = CardFace("4242", "mastercard", "active", "AO")
    first = render_card(face, BRAND, LABELS)
    assert render_card(face, BRAND, LABELS) == first
    frozen = render_card(dataclasses.replace(face, status="frozen"), BRAND, LABELS)
    assert frozen != first
    badge_area = (700, 40, 960, 120)
    assert count_near(png(frozen), (219, 234, 254), badge_area) > 500  # the "FROZEN" badge
    assert count_near(png(first), (219, 234, 254), badge_area) == 0
    # a terminated card is drawn in greys
    closed = png(render_card(dataclasses.replace(face, status="terminated"), BRAND, LABELS))
    r, g, b, _ = closed.getpixel((30, 150))  # type: ignore[misc]
    assert max(r, g, b) - min(r, g, b) <= 8
    # Mastercard's circles: red, yellow and the orange where they overlap
    mark = png(first).convert("RGB").crop((780, 480, 960, 600))
    colours = set(pixels(mark))
    assert any(close(c, (235, 0, 27), 20) for c in colours)
    assert any(close(c, (247, 158, 27), 20) for c in colours)
    assert any(close(c, (255, 95, 0), 20) for c in colours)


def test_the_logo_is_drawn_and_text_stays_readable_on_light_colours(tmp_path: Path) -> None:
    logo = Image.new("RGBA", (120, 120), (0, 200, 0, 255))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    branded = Branding("Sahel", parse_colour("#FACC15"), parse_colour("#FB923C"), buffer.getvalue())
    face = CardFace("0019", "visa", "active")
    with_logo = png(render_card(face, branded, LABELS))
    top_left = (40, 40, 200, 150)
    assert count_near(with_logo, (0, 200, 0), top_left) > 2000
    plain = png(render_card(face, dataclasses.replace(branded, logo=None), LABELS))
    assert count_near(plain, (0, 200, 0), top_left) == 0
    # yellow and orange: the text turns dark
    assert ink_on(branded.primary) == INK and ink_on(BRAND.primary) == WHITE
    assert count_near(with_logo, INK, (470, 380, 720, 450)) > 2000
    assert count_near(with_logo, WHITE, (470, 380, 720, 450)) == 0


def test_initials_come_from_the_names() -> None:
    assert initials_of("Ada", "Okafor") == "AO"
    assert initials_of("jean-paul", "N'Diaye") == "JN"
    assert initials_of("Ada", None) == "A"
    assert initials_of(None, "") is None
    assert initials_of("élodie", "Okafor") == "ÉO"
    assert initials_of("Ada", "Оkafor") == "A"  # a Cyrillic O: the card's font is Latin only


# -- branding from the settings -------------------------------------------------------------


def test_branding_reads_its_settings_with_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRIMARY_COLOUR", "SECONDARY_COLOUR", "LOGO"):
        monkeypatch.delenv(f"CARDBOT_BRAND_{name}", raising=False)
    default = branding_from_settings(make_settings(tmp_path, brand_name="Acme Pay"))
    assert default == Branding.default("Acme Pay")
    assert default.slug == "acme-pay"

    logo = tmp_path / "logo.png"
    Image.new("RGB", (10, 10), (1, 2, 3)).save(logo)
    # as the environment (or a brand file) gives them to Settings
    monkeypatch.setenv("CARDBOT_BRAND_PRIMARY_COLOUR", "#112233")
    monkeypatch.setenv("CARDBOT_BRAND_SECONDARY_COLOUR", "abc")
    monkeypatch.setenv("CARDBOT_BRAND_LOGO", str(logo))
    branding = branding_from_settings(make_settings(tmp_path, brand_name="Acme Pay"))
    assert (branding.primary, branding.secondary) == ((0x11, 0x22, 0x33), (0xAA, 0xBB, 0xCC))
    assert branding.logo == logo.read_bytes()

    monkeypatch.setenv("CARDBOT_BRAND_PRIMARY_COLOUR", "blue")
    with pytest.raises(BrandingError, match="CARDBOT_BRAND_PRIMARY_COLOUR must be a hex colour"):
        branding_from_settings(make_settings(tmp_path))
    monkeypatch.setenv("CARDBOT_BRAND_PRIMARY_COLOUR", "#112233")
    jpeg = tmp_path / "logo.jpg"
    Image.new("RGB", (10, 10)).save(jpeg, "JPEG")
    monkeypatch.setenv("CARDBOT_BRAND_LOGO", str(jpeg))
    with pytest.raises(BrandingError, match="must be a PNG image, not JPEG"):
        branding_from_settings(make_settings(tmp_path))
    monkeypatch.setenv("CARDBOT_BRAND_LOGO", str(tmp_path / "missing.png"))
    with pytest.raises(BrandingError, match="CARDBOT_BRAND_LOGO: cannot read"):
        branding_from_settings(make_settings(tmp_path))


# -- statements and the chart, from made-up transactions --------------------------------------


def txn(
    id: str,
    kind: str,
    minor: int,
    when: datetime,
    merchant: str | None = None,
    status: str = "approved",
    reason: str | None = None,
) -> ProviderTransaction:
    return ProviderTransaction(id, kind, Money(minor), status, when, merchant, reason, Money(0))


HISTORY = [
    txn("t1", "topup", 2500, datetime(2026, 9, 30, 23, 59)),  # naive: stored as UTC
    txn("t2", "purchase", 300, datetime(2026, 10, 1, 8, 0, tzinfo=UTC), "Café Lumière"),
    txn("t3", "purchase", 50_000, datetime(2026, 10, 2, tzinfo=UTC), "Big Shop", "declined",
        "insufficient_funds"),
    txn("t4", "purchase", 450, datetime(2026, 12, 5, tzinfo=UTC), "Jumia"),
    txn("t5", "refund", 200, datetime(2026, 12, 6, tzinfo=UTC), "Jumia"),
    txn("t6", "purchase", 100, datetime(2026, 12, 31, 23, 0, tzinfo=UTC), '=HYPERLINK("x")'),
]  # fmt: skip


def test_monthly_spend_counts_approved_purchases_per_month() -> None:
    months = monthly_spend(HISTORY, datetime(2027, 1, 15, tzinfo=UTC))
    assert [(m.month, m.total.minor, m.count) for m in months] == [
        (date(2026, 10, 1), 300, 1),  # the declined $500 is not spending
        (date(2026, 11, 1), 0, 0),  # a month without purchases still has its place
        (date(2026, 12, 1), 550, 2),  # the refund is not a purchase
        (date(2027, 1, 1), 0, 0),
    ]
    # at most twelve months, ending with the current one
    long_ago = [txn("old", "purchase", 100, datetime(2024, 1, 1, tzinfo=UTC))]
    window = monthly_spend(long_ago + HISTORY, datetime(2027, 1, 15, tzinfo=UTC))
    assert len(window) == 12 and window[0].month == date(2026, 2, 1)
    assert monthly_spend([], datetime(2027, 1, 15, tzinfo=UTC))[0].count == 0


def test_the_chart_draws_a_bar_per_month_in_the_brand_colours() -> None:
    months = monthly_spend(HISTORY, datetime(2027, 1, 15, tzinfo=UTC))
    labels = chart_labels(TEXTS, "en")
    image = png(render_chart(months, StatementCard("4242", "visa"), BRAND, labels, language="en"))
    assert image.size == CHART_SIZE and image.mode == "RGB"
    plot_top, plot_bottom = 190, CHART_SIZE[1] - 120
    slot = (CHART_SIZE[0] - 50 - 120) / len(months)

    def bar_height(index: int) -> int:
        x = round(120 + slot * (index + 0.5))
        column = pixels(image.crop((x, plot_top - 10, x + 1, plot_bottom - 2)))
        return len([p for p in column if max(p) - min(p) > 60])  # a bar, not text or grid

    heights = [bar_height(i) for i in range(len(months))]
    assert heights[1] == heights[3] == 0  # no purchases, no bar
    assert heights[0] > 50 and heights[2] > heights[0]  # $5.50 stands taller than $3.00
    assert abs(heights[2] / heights[0] - 550 / 300) < 0.15
    assert count_near(image, RED, (0, 0, CHART_SIZE[0], 12)) > 5000  # the brand's band
    assert render_chart(months, StatementCard("4242", "visa"), BRAND, labels, language="en") == (
        render_chart(months, StatementCard("4242", "visa"), BRAND, labels, language="en")
    )


def test_the_csv_lists_every_transaction_newest_first() -> None:
    rows = list(csv.reader(io.StringIO(statement_csv(HISTORY).decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["id"] for r in body] == ["t6", "t5", "t4", "t3", "t2", "t1"]
    assert body[0]["description"] == '\'=HYPERLINK("x")'  # never a formula in a spreadsheet
    assert body[0]["date"] == "2026-12-31T23:00:00Z"
    assert body[-1]["date"] == "2026-09-30T23:59:00Z"
    assert [(r["type"], r["amount"], r["status"]) for r in body] == [
        ("purchase", "-1.00", "approved"),
        ("refund", "2.00", "approved"),
        ("purchase", "-4.50", "approved"),
        ("purchase", "-500.00", "declined"),
        ("purchase", "-3.00", "approved"),
        ("topup", "25.00", "approved"),
    ]
    assert body[3]["decline_reason"] == "insufficient_funds"
    assert body[4]["description"] == "Café Lumière"
    assert {r["currency"] for r in body} == {"USD"}


def test_the_pdf_has_selectable_text_with_the_table_and_totals() -> None:
    labels = statement_labels(TEXTS, "en")
    data = statement_pdf(
        StatementCard("4242", "visa"),
        HISTORY,
        BRAND,
        labels,
        language="en",
        generated_at=datetime(2027, 1, 15, 9, 30, tzinfo=UTC),
    )
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (
        "Acme Pay",
        "Card statement",
        "Visa •••• 4242",
        "Sep 30, 2026 – Dec 31, 2026",
        "Café Lumière",
        "Big Shop",
        "Jumia",
        "Purchase (declined)",
        "+$27.00",  # money in: top-up and refund
        "-$8.50",  # money out: approved purchases only
        "+$18.50",  # net
        "Declined payments (not charged): 1",
        "Page 1/1",
    ):
        assert expected in text, (expected, text)
    assert text.index("HYPERLINK") < text.index("Jumia") < text.index("Café Lumière")
    # the same statement gives the same bytes
    again = statement_pdf(
        StatementCard("4242", "visa"),
        HISTORY,
        BRAND,
        labels,
        language="en",
        generated_at=datetime(2027, 1, 15, 9, 30, tzinfo=UTC),
    )
    assert again == data
    empty = pdf_text(
        statement_pdf(
            StatementCard("4242", "visa"), [], BRAND, labels, language="en",
            generated_at=datetime(2027, 1, 15, tzinfo=UTC),
        )
    )  # fmt: skip
    assert "No transactions yet." in empty and "+$0.00" in empty


def test_a_long_statement_runs_over_pages() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    many = [
        txn(f"p{i}", "purchase", 100 + i, start.replace(day=1 + i % 28, hour=i % 24), f"Shop {i}")
        for i in range(90)
    ]
    data = statement_pdf(
        StatementCard("4242", "visa"),
        many,
        BRAND,
        statement_labels(TEXTS, "en"),
        language="en",
        generated_at=start,
    )
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3
    text = pdf_text(data)
    assert all(f"Shop {i}\n" in text or f"Shop {i} " in text for i in range(90))
    assert f"Page 1/{len(reader.pages)}" in text
    assert text.count("Description") == len(reader.pages)  # the heading on every page


# -- in the chat ------------------------------------------------------------------------------


def sandbox(app: App) -> SandboxProvider:
    provider = app.services.provider
    assert isinstance(provider, SandboxProvider)
    return provider


async def carded(app: App, clock: FakeClock, user_id: int = 1001) -> tuple[ChatUser, Card]:
    user = ChatUser(app, user_id=user_id)
    await onboard(user, clock)
    await issue_card(user, clock)
    account = await app.services.users.load(user_id)
    [card] = [c for c in await app.services.cards.list(account) if c.status == "active"]
    async with app.db.session() as session:
        row = await session.get(Card, card.id)
    assert row is not None
    return user, row


async def shop(app: App, clock: FakeClock, card: Card) -> None:
    """Eight transactions over three months (the card was topped up with $25.00)."""
    provider, pid = sandbox(app), card.provider_card_id
    clock.advance(DAY)
    await provider.simulate_purchase(pid, Money(300), "Café Lumière")
    clock.advance(DAY)
    await provider.simulate_purchase(pid, Money(50_000), "Big Shop")  # declined
    clock.advance(14 * DAY)  # December
    await provider.simulate_purchase(pid, Money(450), "Jumia")
    await provider.simulate_purchase(pid, Money(100), '=HYPERLINK("http://x")')
    clock.advance(DAY)
    await provider.simulate_refund(pid, Money(200), "Jumia")
    clock.advance(30 * DAY)  # January
    await provider.simulate_purchase(pid, Money(225), "Konga")
    clock.advance(DAY)
    await provider.simulate_purchase(pid, Money(125), "Konga")


async def press(user: ChatUser, label: str) -> list[Any]:
    return await user.press(label)


def of(actions: list[Any], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


async def forge(user: ChatUser, route: str) -> list[Any]:
    """A press of `route` on the current screen: only the route is forged."""
    message = max(
        (m for m in user.messages.values() if m.from_bot and m.buttons),
        key=lambda m: int(m.buttons[0][0].data.partition("|")[0]),  # type: ignore[index]
    )
    seq = message.buttons[0][0].data.partition("|")[0]  # type: ignore[index]
    return await user.press_data(message.id, f"{seq}|{route}")


async def test_opening_a_card_shows_its_picture_above_its_screen(
    app: App, clock: FakeClock
) -> None:
    user, card = await carded(app, clock)
    await user.type("/cards")
    list_id = user.screen.id
    actions = await press(user, "••••")
    assert isinstance(actions[0], AnswerButton)
    [photo] = of(actions, SendPhoto)
    [view] = of(actions, Send)
    assert actions.index(photo) < actions.index(view)  # the picture, then the screen below
    assert not of(actions, Edit)
    assert photo.protect_content is True and photo.buttons is None
    assert f"•••• {card.last4}" in photo.caption
    image = png(photo.image)
    assert image.size == PHOTO_SIZE
    # the cardholder's initials (Ada Okafor) and the default brand colours
    expected = png(
        render_card_photo(CardFace(card.last4, "visa", "active", "AO"), Branding.default(), LABELS)
    )
    assert image.tobytes() == expected.tobytes()
    labels = [b.label for row in view.buttons for b in row]
    assert "🖼 Card picture" in labels and "📊 Spending chart" in labels
    assert list_id in user.messages  # the list stays where it was
    assert user.screen.image is None and "Balance: $25.00" in user.screen.plain

    # coming back to the card from another screen does not send the picture again
    await press(user, "Statement")
    actions = await press(user, "Back to card")
    assert not of(actions, SendPhoto)


async def test_the_picture_button_sends_a_protected_photo(app: App, clock: FakeClock) -> None:
    user, _ = await carded(app, clock)
    await user.type("/cards")
    await press(user, "••••")
    view_id = user.screen.id
    actions = await press(user, "Card picture")
    assert [type(a) for a in actions] == [AnswerButton, SendPhoto]
    assert actions[1].protect_content is True
    assert png(actions[1].image).size == PHOTO_SIZE
    # the card's screen above keeps working
    await user.press_data(view_id, user.find("Freeze")[1])
    assert "is frozen" in user.screen.plain
    actions = await press(user, "Card picture")
    frozen = png(actions[1].image)
    badge_area = (740, 80, 1000, 160)
    assert count_near(frozen, (219, 234, 254), badge_area) > 500


async def test_statement_downloads_as_csv_and_pdf(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await shop(app, clock, card)
    everything = await sandbox(app).transactions(card.provider_card_id, 0, 100)
    assert len(everything.items) == 8  # two statement pages of five in the chat

    await user.type("/cards")
    await press(user, "••••")
    await press(user, "Statement")
    labels = user.labels()
    assert "⬇️ CSV" in labels and "⬇️ PDF" in labels

    actions = await press(user, "CSV")
    assert [type(a) for a in actions] == [AnswerButton, SendDocument]
    document = actions[1]
    assert re.fullmatch(
        rf"cardbot-card-{card.last4}-statement-2027-01-\d\d\.csv", document.filename
    )
    assert "8 transactions" in document.caption
    rows = list(csv.DictReader(io.StringIO(document.content.decode("utf-8"))))
    assert [r["id"] for r in rows] == [t.id for t in everything.items]  # newest first, all pages
    assert [r["description"] for r in rows] == [
        "Konga",
        "Konga",
        "Jumia",
        '\'=HYPERLINK("http://x")',
        "Jumia",
        "Big Shop",
        "Café Lumière",
        "",
    ]
    assert [r["amount"] for r in rows] == [
        "-1.25", "-2.25", "2.00", "-1.00", "-4.50", "-500.00", "-3.00", "25.00",
    ]  # fmt: skip
    assert rows[5]["status"] == "declined" and rows[5]["decline_reason"] == "insufficient_funds"
    assert rows[0]["balance_after"] == "15.00"
    for row, item in zip(rows, everything.items, strict=True):
        when = datetime.fromisoformat(row["date"].replace("Z", "+00:00"))
        stored = item.created_at.replace(tzinfo=UTC) if item.created_at.tzinfo is None else (
            item.created_at
        )  # fmt: skip
        assert when == stored.replace(microsecond=0)

    actions = await press(user, "PDF")
    assert [type(a) for a in actions] == [AnswerButton, SendDocument]
    document = actions[1]
    assert document.filename.endswith(".pdf") and document.content.startswith(b"%PDF-")
    text = pdf_text(document.content)
    for expected in (
        "cardbot",
        f"Visa •••• {card.last4}",
        "Café Lumière",
        "Konga",
        "Big Shop",
        "+$27.00",
        "-$12.00",
        "+$15.00",
        "Declined payments (not charged): 1",
    ):
        assert expected in text, (expected, text)
    # the statement's screen is still there, its buttons still live
    await press(user, "Older")
    assert "page 2" in user.screen.plain


async def test_the_spending_chart_in_the_chat(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await shop(app, clock, card)
    await user.type("/cards")
    await press(user, "••••")
    actions = await press(user, "Spending chart")
    assert [type(a) for a in actions] == [AnswerButton, SendPhoto]
    chart = actions[1]
    assert png(chart.image).size == CHART_SIZE
    assert "<b>$12.00</b> in 5 purchases" in chart.caption
    account = await app.services.users.load(user.user_id)
    months = (
        await DocumentService.of(app.services).spending_chart(
            account, card.id, chart_labels(TEXTS, "en"), "en"
        )
    ).months
    assert [(m.month, m.total.minor, m.count) for m in months] == [
        (date(2026, 11, 1), 300, 1),
        (date(2026, 12, 1), 550, 2),
        (date(2027, 1, 1), 350, 2),
    ]


async def test_a_new_card_without_transactions(app: App, clock: FakeClock) -> None:
    user = ChatUser(app)
    await onboard(user, clock)
    await issue_card(user, clock, initial="No initial amount")
    await press(user, "Statement")
    assert "No transactions yet" in user.screen.plain
    assert "⬇️ CSV" not in user.labels() and "⬇️ PDF" not in user.labels()
    await press(user, "Back to card")
    actions = await press(user, "Spending chart")
    assert "<b>$0.00</b> in 0 purchases" in actions[1].caption


async def test_another_persons_card_is_out_of_reach(app: App, clock: FakeClock) -> None:
    _, theirs = await carded(app, clock, user_id=2002)
    user, _ = await carded(app, clock)
    await user.type("/cards")
    await press(user, "••••")
    for route in ("d.pic", "d.chart", "d.csv", "d.pdf", "c.v:{id}:pic"):
        route = route.format(id=theirs.id) if "{id}" in route else f"{route}:{theirs.id}"
        actions = await forge(user, route)
        assert not of(actions, SendPhoto) and not of(actions, SendDocument), route
        assert "That card was not found" in user.last.plain, route


async def test_no_document_holds_the_card_number(app: App, clock: FakeClock) -> None:
    user, card = await carded(app, clock)
    await shop(app, clock, card)
    await user.type("/cards")
    await press(user, "••••")
    reveal = await press(user, "Show card details")
    pan = re.search(r"<code>(\d{13,19})</code>", of(reveal, Send)[0].text)
    assert pan is not None
    number = pan.group(1)
    assert number.endswith(card.last4)
    made: list[bytes] = []
    for label in ("Card picture", "Spending chart"):
        made.extend(a.image for a in of(await press(user, label), SendPhoto))
    await press(user, "Statement")
    for label in ("CSV", "PDF"):
        made.extend(a.content for a in of(await press(user, label), SendDocument))
    assert len(made) == 4
    middle = number[6:12]  # the digits no screen shows
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    for data in made:
        for needle in (number, spaced, middle):
            assert needle.encode() not in data
            assert needle.encode("utf-16-be") not in data
    text = pdf_text(made[3])
    assert number not in re.sub(r"\s", "", text) and middle not in text
    assert f"•••• {card.last4}" in text
    # and the pictures show the last four digits the same way whatever the number
    face = CardFace(card.last4, "visa", "active", "AO")
    assert (
        png(made[0]).tobytes() == png(render_card_photo(face, Branding.default(), LABELS)).tobytes()
    )


# -- the terminal chat ------------------------------------------------------------------------


async def test_the_terminal_chat_saves_a_picture(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    terminal = TerminalChat(app, out=out)
    image = render_card_photo(CardFace("4242", "visa", "active"), BRAND, LABELS)
    message_id = await terminal.send_photo_action(
        SendPhoto(1, image, "🖼 Visa •••• 4242", [[Button("Back", "1|c.list")]], True)
    )
    saved = tmp_path / f"cardbot-photo-{message_id}.png"
    assert saved.read_bytes() == image
    assert f"picture saved to {saved}" in out.getvalue()
    assert "Visa •••• 4242" in out.getvalue()
    assert terminal.choices() == [("Back", "1|c.list")]


# -- over the Telegram runtimes ---------------------------------------------------------------

ADA = FakeUser(id=5001, first_name="Ada")


class Script:
    """Stands in for the conversation: answers "card" with the card's picture."""

    def __init__(self, image: bytes) -> None:
        self.image = image

    async def handle(self, incoming: Incoming) -> list[Action]:
        if incoming.kind is Kind.TEXT and incoming.text == "card":
            keyboard = [[Button("⬅️ Back to card", "7|c.v:abc")]]
            return [SendPhoto(incoming.chat_id, self.image, "🖼 <b>Visa</b> •••• 4242", keyboard,
                              protect_content=True)]  # fmt: skip
        return []


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_card_picture_goes_out_as_a_protected_photo(
    tmp_path: Path, server: FakeBotAPI, framework: str, clock: FakeClock
) -> None:
    image = render_card_photo(CardFace("4242", "visa", "active"), BRAND, LABELS)
    app = await make_app(tmp_path, server, framework, clock)
    app.conversation = Script(image)  # type: ignore[assignment]
    try:
        async with running(app):
            mark = server.mark()
            server.user_sends_text(ADA, "card")
            call = await server.wait_for_call("sendPhoto", since=mark)
    finally:
        await app.close()
    upload = call.upload("photo")
    assert upload is not None and upload.content == image
    assert upload.filename is not None and upload.filename.endswith(".png")
    assert call.params["protect_content"] is True
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "⬅️ Back to card", "callback_data": "7|c.v:abc"}]]
    }
    shown = server.message(ADA.id, call.result["message_id"])
    assert shown.protect_content and shown.text == "🖼 Visa •••• 4242"
    assert call.result["has_protected_content"] is True
    sizes = call.result["photo"]
    assert [(s["width"], s["height"]) for s in sizes][-1] == PHOTO_SIZE  # under 1280: as sent
    assert sizes[0]["width"] == 90
    assert server.failed_calls(since=mark) == []


async def test_the_fake_bot_api_refuses_what_telegram_refuses_for_photos(
    server: FakeBotAPI,
) -> None:
    server.user_sends_text(ADA, "hi")  # opens the chat
    url = f"{server.base_url}/bot{DEFAULT_TOKEN}/sendPhoto"

    async def send(**fields: Any) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(ADA.id))
        for name, value in fields.items():
            if isinstance(value, bytes):
                form.add_field(name, value, filename="p.png", content_type="image/png")
            else:
                form.add_field(name, value)
        async with aiohttp.ClientSession() as http, http.post(url, data=form) as response:
            body: dict[str, Any] = await response.json()
            return body

    assert (await send())["description"] == "Bad Request: there is no photo in the request"
    assert (await send(photo=b"%PDF-1.4 not a picture"))["description"] == (
        "Bad Request: IMAGE_PROCESS_FAILED"
    )
    narrow = io.BytesIO()
    Image.new("RGB", (2000, 40)).save(narrow, "PNG")
    assert (await send(photo=narrow.getvalue()))["description"] == (
        "Bad Request: PHOTO_INVALID_DIMENSIONS"
    )
    big = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 20, 30)).save(big, "PNG")
    sent = await send(photo=big.getvalue(), caption="x" * 1025)
    assert sent["description"] == "Bad Request: message caption is too long"
    sent = await send(photo=big.getvalue())
    assert sent["ok"], sent
    sizes = sent["result"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1280, 640),
    ]
    again = await send(photo=sizes[-1]["file_id"])  # a photo's file_id, sent again
    assert again["ok"], again


# -- the command ------------------------------------------------------------------------------


def test_cardbot_documents_commands_write_the_files(tmp_path: Path) -> None:
    photo = tmp_path / "id.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9")
    assert run(tmp_path, "chat", stdin=journey_lines(photo)).returncode == 0
    cards = run(tmp_path, "sandbox", "cards")
    last4 = cards.stdout.split("•••• ")[1][:4]
    for merchant, amount in (("Jumia", "3.50"), ("Café Lumière", "1.25")):
        assert (
            run(tmp_path, "sandbox", "refund", last4, amount, "--merchant", merchant).returncode
            == 0
        )

    image = run(tmp_path, "documents", "card-image", last4, "--out", "card.png")
    assert image.returncode == 0, image.stderr
    assert f"wrote {tmp_path / 'card.png'}: 1012×638 PNG" in image.stdout
    assert f"Visa •••• {last4}, frozen" in image.stdout
    assert png((tmp_path / "card.png").read_bytes()).size == CARD_SIZE

    csv_run = run(tmp_path, "documents", "statement", last4, "--format", "csv", "--out", "s.csv")
    assert csv_run.returncode == 0, csv_run.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text("utf-8"))))
    assert [r["description"] for r in rows[:2]] == ["Café Lumière", "Jumia"]
    assert f"{len(rows)} transactions" in csv_run.stdout

    pdf_run = run(tmp_path, "documents", "statement", last4, "--format", "pdf", "--out", "s.pdf")
    assert pdf_run.returncode == 0, pdf_run.stderr
    assert "PDF, 1 page(s)" in pdf_run.stdout
    assert "Café Lumière" in pdf_text((tmp_path / "s.pdf").read_bytes())

    chart = run(tmp_path, "documents", "chart", last4, "--out", "chart.png")
    assert chart.returncode == 0, chart.stderr
    assert "1200×720 PNG" in chart.stdout and "approved purchases" in chart.stdout
    assert png((tmp_path / "chart.png").read_bytes()).size == CHART_SIZE

    branded = run(
        tmp_path,
        "documents",
        "card-image",
        last4,
        "--photo",
        CARDBOT_BRAND_NAME="Acme Pay",
        CARDBOT_BRAND_PRIMARY_COLOUR="#C81E1E",
    )
    assert branded.returncode == 0, branded.stderr
    picture = png((tmp_path / f"card-{last4}.png").read_bytes())
    assert picture.size == PHOTO_SIZE
    assert picture.getpixel((70, 190))[0] > 150  # type: ignore[index]

    missing = run(tmp_path, "documents", "chart", "0000")
    assert missing.returncode == 1 and "card-not-found" in missing.stderr
    bad = run(tmp_path, "documents", "chart", last4, CARDBOT_BRAND_PRIMARY_COLOUR="red")
    assert bad.returncode == 2 and "CARDBOT_BRAND_PRIMARY_COLOUR" in bad.stderr

    # in the terminal chat, the picture is saved next to the conversation
    chat = run(tmp_path, "chat", stdin="/cards\n1\nCard picture\n")
    saved = re.findall(r"picture saved to (\S+\.png)", chat.stdout)
    assert len(saved) == 2, chat.stdout  # on opening the card, and on the button
    assert all(png(Path(p).read_bytes()).size == PHOTO_SIZE for p in saved)
