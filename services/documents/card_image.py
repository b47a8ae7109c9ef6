"""A picture of a card in the brand's colours: logo and name, chip, network mark, the number with
only its last four digits, a status badge and, optionally, the holder's initials.

`render_card` takes a `CardFace`, which holds exactly four digits of the number: there is no
way to hand it a full card number. The same face, branding and labels always give the same
bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter

from services.documents.branding import RGB, Branding
from services.documents.drawing import (
    WHITE,
    diagonal_gradient,
    fit_text,
    ink_on,
    mix,
    png_bytes,
    spaced_text,
    text_width,
)

# ISO/IEC 7810 ID-1 (85.60 × 53.98 mm) at about 300 dpi.
CARD_SIZE = (1012, 638)
PHOTO_MARGIN = 40  # the chat photo: the card on a light backdrop, with a shadow
PHOTO_SIZE = (CARD_SIZE[0] + 2 * PHOTO_MARGIN, CARD_SIZE[1] + 2 * PHOTO_MARGIN)
PHOTO_BACKDROP: RGB = (236, 240, 245)
_SCALE = 2  # drawn at twice the size, then reduced: smooth edges without anti-aliased shapes
_RADIUS = 44
_PAD = 60

_LAST4 = re.compile(r"[0-9]{4}")

MASTERCARD_RED: RGB = (235, 0, 27)
MASTERCARD_YELLOW: RGB = (247, 158, 27)
MASTERCARD_ORANGE: RGB = (255, 95, 0)
BADGE = {
    "frozen": ((219, 234, 254), (30, 64, 175)),  # background, text
    "pending": ((254, 243, 199), (146, 64, 14)),
    "terminated": ((55, 65, 81), (243, 244, 246)),
}


@dataclass(frozen=True)
class CardFace:
    """What the picture shows of one card. `last4` is the last four digits and nothing more."""

    last4: str
    network: str  # visa, mastercard, or another name shown as text
    status: str  # pending active frozen terminated
    initials: str | None = None  # "AO"; None leaves the holder line off

    def __post_init__(self) -> None:
        if not _LAST4.fullmatch(self.last4):
            raise ValueError("a card face takes the last four digits of the number, nothing more")
        if self.initials is not None and not (
            1 <= len(self.initials) <= 3 and all(_capital(ch) for ch in self.initials)
        ):
            raise ValueError("initials are one to three capital letters")


@dataclass(frozen=True)
class CardLabels:
    """The words on the card, from the message catalogue."""

    virtual: str  # "Virtual", top right on an active card
    holder: str = ""  # "Cardholder", over the initials
    statuses: Mapping[str, str] = field(default_factory=dict)  # frozen → "Frozen"

    def badge(self, status: str) -> str:
        """The badge of a card that is not active ("" for an active one)."""
        return "" if status == "active" else self.statuses.get(status, status)


def _capital(ch: str) -> bool:
    """A capital letter of the Latin script (the card's font has no other)."""
    code = ord(ch)
    return ch.isalpha() and ch.isupper() and (code <= 0x24F or 0x1E00 <= code <= 0x1EFF)


def initials_of(*names: str | None) -> str | None:
    """'Ada', 'Okafor' → 'AO'; 'élodie' → 'É'; None when no name starts with a Latin letter."""
    letters = []
    for name in names:
        for part in re.split(r"[\s\-]+", (name or "").strip()):
            first = part[:1].upper()
            if len(first) == 1 and _capital(first):
                letters.append(first)
                break
    return "".join(letters[:3]) or None


def render_card(face: CardFace, branding: Branding, labels: CardLabels) -> bytes:
    """The card alone: a card-shaped PNG (transparent outside its rounded corners)."""
    return png_bytes(_card(face, branding, labels))


def render_card_photo(face: CardFace, branding: Branding, labels: CardLabels) -> bytes:
    """The card on a light backdrop with a soft shadow, for a chat photo (Telegram turns a
    photo's transparency into a flat colour)."""
    card = _card(face, branding, labels)
    photo = Image.new("RGB", PHOTO_SIZE, PHOTO_BACKDROP)
    shadow = Image.new("L", PHOTO_SIZE, 0)
    ImageDraw.Draw(shadow).rounded_rectangle(
        (
            PHOTO_MARGIN + 6,
            PHOTO_MARGIN + 14,
            PHOTO_MARGIN + CARD_SIZE[0] - 6,
            PHOTO_MARGIN + CARD_SIZE[1] + 6,
        ),
        radius=_RADIUS,
        fill=110,
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(16))
    photo.paste(Image.new("RGB", PHOTO_SIZE, (71, 85, 105)), (0, 0), shadow)
    photo.paste(card, (PHOTO_MARGIN, PHOTO_MARGIN), card)
    return png_bytes(photo)


# -- drawing --
def _card(face: CardFace, branding: Branding, labels: CardLabels) -> Image.Image:
    s = _SCALE
    width, height = CARD_SIZE[0] * s, CARD_SIZE[1] * s
    primary, secondary = branding.primary, branding.secondary
    if face.status == "terminated":  # a closed card is shown in greys
        primary, secondary = _grey(primary), _grey(secondary)
    base = diagonal_gradient((width, height), primary, secondary)
    ink = ink_on(mix(primary, secondary, 0.5))
    draw = ImageDraw.Draw(base, "RGBA")  # colours with an alpha blend into the card
    # large soft circles: depth without a busy pattern
    draw.ellipse((width * 0.52, -height * 0.55, width * 1.35, height * 0.75), fill=(*WHITE, 22))
    draw.ellipse((-width * 0.30, height * 0.45, width * 0.42, height * 1.55), fill=(*WHITE, 16))
    draw.ellipse((width * 0.70, height * 0.30, width * 1.20, height * 1.10), fill=(0, 0, 0, 14))

    pad = _PAD * s
    _brand(base, draw, branding, ink, pad)
    _top_right(draw, face, labels, ink, pad, width)
    chip_top = int(height * 0.36)
    _chip(draw, pad, chip_top, s)
    _contactless(draw, pad + 150 * s, chip_top + 45 * s, ink, s)
    _number(draw, face.last4, ink, pad, int(height * 0.70), s)
    _holder(draw, face, labels, ink, pad, height - pad)
    _network(base, face.network, ink, width - pad, height - pad, s)

    if face.status == "frozen":  # a cold, frosted film over the card
        draw.rectangle((0, 0, width, height), fill=(224, 242, 254, 72))
        _top_right(draw, face, labels, ink, pad, width)  # the badge stays crisp on top

    card = base.convert("RGBA")
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=_RADIUS * s, fill=255
    )
    card.putalpha(mask)
    return card.resize(CARD_SIZE, Image.Resampling.LANCZOS)


def _grey(colour: RGB) -> RGB:
    level = round(0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2])
    level = 70 + level * 80 // 255  # a mid grey; the text picks white or ink to suit
    return (level, level, level + 6)


def _brand(
    base: Image.Image, draw: ImageDraw.ImageDraw, branding: Branding, ink: RGB, pad: int
) -> None:
    s = _SCALE
    x, top = pad, pad
    height = 72 * s
    if branding.logo is not None:
        with Image.open(io.BytesIO(branding.logo)) as source:
            logo = source.convert("RGBA")
        logo.thumbnail((220 * s, height), Image.Resampling.LANCZOS)
        base.paste(logo, (x, top + (height - logo.height) // 2), logo)
        x += logo.width + 22 * s
    size = 50 * s if branding.logo is None else 42 * s
    room = CARD_SIZE[0] * s * 0.62 - (x - pad)
    name, size = fit_text(draw, branding.name, size, room, bold=True)
    spaced_text(draw, (x, top + height // 2), name, size, ink, bold=True, anchor="lm")


def _top_right(
    draw: ImageDraw.ImageDraw,
    face: CardFace,
    labels: CardLabels,
    ink: RGB,
    pad: int,
    width: int,
) -> None:
    s = _SCALE
    right, middle = width - pad, pad + 36 * s
    badge = labels.badge(face.status)
    if not badge:
        spaced_text(
            draw, (right, middle), labels.virtual.upper(), 22 * s, (*ink, 200),
            spacing=5 * s, anchor="rm",
        )  # fmt: skip
        return
    background, colour = BADGE.get(face.status, BADGE["pending"])
    text = badge.upper()
    size = 24 * s
    spacing = 4 * s
    text_w = text_width(draw, text, size, spacing, bold=True)
    box = (right - text_w - 68 * s, middle - 26 * s, right, middle + 26 * s)
    draw.rounded_rectangle(box, radius=26 * s, fill=background)
    dot_x = box[0] + 27 * s
    draw.ellipse((dot_x - 7 * s, middle - 7 * s, dot_x + 7 * s, middle + 7 * s), fill=colour)
    spaced_text(
        draw, (right - 20 * s, middle), text, size, colour, spacing=spacing, bold=True,
        anchor="rm",
    )  # fmt: skip


def _chip(draw: ImageDraw.ImageDraw, x: int, y: int, s: int) -> None:
    w, h = 118 * s, 88 * s
    gold, light, line = (212, 175, 90), (240, 214, 140), (160, 124, 52)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=16 * s, fill=gold)
    draw.rounded_rectangle((x + 6 * s, y + 6 * s, x + w - 6 * s, y + h // 2), 12 * s, fill=light)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=16 * s, outline=line, width=2 * s)
    for fraction in (1 / 3, 2 / 3):
        ly = y + int(h * fraction)
        draw.line((x, ly, x + w * 0.36, ly), fill=line, width=2 * s)
        draw.line((x + w * 0.64, ly, x + w, ly), fill=line, width=2 * s)
    draw.rounded_rectangle(
        (x + w * 0.36, y + h * 0.22, x + w * 0.64, y + h * 0.78),
        radius=8 * s,
        outline=line,
        width=2 * s,
    )
    draw.line((x + w / 2, y, x + w / 2, y + h * 0.22), fill=line, width=2 * s)
    draw.line((x + w / 2, y + h * 0.78, x + w / 2, y + h), fill=line, width=2 * s)


def _contactless(draw: ImageDraw.ImageDraw, x: int, cy: int, ink: RGB, s: int) -> None:
    for i, radius in enumerate((14, 26, 38, 50)):
        r = radius * s
        draw.arc(
            (x - r, cy - r, x + r, cy + r),
            start=-40,
            end=40,
            fill=(*ink, 210 - i * 25),
            width=5 * s,
        )


def _number(draw: ImageDraw.ImageDraw, last4: str, ink: RGB, x: int, baseline: int, s: int) -> None:
    """Three groups of four dots, then the last four digits."""
    size = 62 * s
    dot, gap, group_gap = 15 * s, 11 * s, 40 * s
    cy = baseline - 22 * s
    for _group in range(3):
        for _ in range(4):
            draw.ellipse((x, cy - dot / 2, x + dot, cy + dot / 2), fill=ink)
            x += dot + gap
        x += group_gap - gap
    spaced_text(draw, (x, baseline), last4, size, ink, spacing=7 * s, bold=True)


def _holder(
    draw: ImageDraw.ImageDraw,
    face: CardFace,
    labels: CardLabels,
    ink: RGB,
    x: int,
    bottom: int,
) -> None:
    s = _SCALE
    if face.initials is None:
        return
    if labels.holder:
        spaced_text(
            draw, (x, bottom - 56 * s), labels.holder.upper(), 18 * s, (*ink, 170),
            spacing=4 * s,
        )  # fmt: skip
    spaced_text(draw, (x, bottom), " ".join(face.initials), 40 * s, ink, spacing=4 * s, bold=True)


def _network(
    base: Image.Image,
    network: str,
    ink: RGB,
    right: int,
    bottom: int,
    s: int,
) -> None:
    if network == "mastercard":
        r = 44 * s
        cy = bottom - r
        left_cx, right_cx = right - r * 2.55, right - r
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        ld = ImageDraw.Draw(layer)
        ld.ellipse((left_cx - r, cy - r, left_cx + r, cy + r), fill=MASTERCARD_RED)
        ld.ellipse((right_cx - r, cy - r, right_cx + r, cy + r), fill=MASTERCARD_YELLOW)
        # the overlap in orange: the right circle drawn again through a mask of the left one
        overlap = Image.new("L", base.size, 0)
        ImageDraw.Draw(overlap).ellipse((left_cx - r, cy - r, left_cx + r, cy + r), fill=255)
        right_disc = Image.new("L", base.size, 0)
        ImageDraw.Draw(right_disc).ellipse((right_cx - r, cy - r, right_cx + r, cy + r), fill=255)
        both = Image.composite(overlap, Image.new("L", base.size, 0), right_disc)
        layer.paste(MASTERCARD_ORANGE, (0, 0), both)
        base.paste(layer, (0, 0), layer)
        return
    word = "VISA" if network == "visa" else network.upper()
    size = 78 * s if network == "visa" else 44 * s
    # Italic by shearing a layer with the word on it: the font has no italic.
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    spaced_text(ImageDraw.Draw(layer), (right, bottom), word, size, ink, bold=True, anchor="rs")
    shear = 0.2 if network == "visa" else 0.0
    if shear:
        layer = layer.transform(
            layer.size,
            Image.Transform.AFFINE,
            (1, shear, -shear * bottom, 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
        )
    base.paste(layer, (0, 0), layer)
