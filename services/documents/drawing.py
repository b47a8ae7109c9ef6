"""Small drawing helpers shared by the card picture and the spend chart (Pillow only).

Text is set in DejaVu Sans, shipped with cardbot (fonts/, cut down to Latin script), with
Pillow's basic layout: a picture comes out the same on every machine with the same Pillow,
whatever fonts or text-shaping libraries the system has.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from services.documents.branding import RGB

FONTS = Path(__file__).parent / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"

WHITE: RGB = (255, 255, 255)
INK: RGB = (17, 24, 39)  # near-black for text on light colours


@lru_cache(maxsize=128)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(BOLD if bold else REGULAR), size, layout_engine=ImageFont.Layout.BASIC
    )


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour `t` of the way from `a` to `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luminance(colour: RGB) -> float:
    """Relative luminance (WCAG), 0 for black to 1 for white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink_on(background: RGB) -> RGB:
    """White or near-black, whichever reads better on `background`."""
    light = luminance(background)
    on_white = (1.05) / (light + 0.05)
    on_ink = (light + 0.05) / (luminance(INK) + 0.05)
    return WHITE if on_white >= on_ink else INK


def diagonal_gradient(size: tuple[int, int], start: RGB, end: RGB) -> Image.Image:
    """`start` in the top-left corner fading to `end` in the bottom-right."""
    width, height = size
    # Pillow's ramp runs 0 → 255 from top to bottom; each pixel (x, y) reads it at the height
    # (x / width + y / height) / 2, so 0 in the top-left corner and 255 in the bottom-right.
    ramp = Image.linear_gradient("L")
    mask = ramp.transform(
        size,
        Image.Transform.AFFINE,
        (0, 0, 0, 255 / (2 * width), 255 / (2 * height), 0),
        resample=Image.Resampling.BILINEAR,
    )
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)


def text_width(
    draw: ImageDraw.ImageDraw, text: str, size: int, spacing: float = 0, *, bold: bool = False
) -> float:
    if not text:
        return 0
    face = font(size, bold)
    if not spacing:
        return draw.textlength(text, font=face)
    return sum(draw.textlength(ch, font=face) for ch in text) + spacing * (len(text) - 1)


def spaced_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: RGB | tuple[int, int, int, int],
    *,
    spacing: float = 0,
    bold: bool = False,
    anchor: str = "ls",
) -> None:
    """Text, optionally with extra space between its letters; `anchor` as Pillow's (left,
    middle or right; baseline, middle…)."""
    face = font(size, bold)
    x, y = xy
    if anchor[0] == "r":
        x -= text_width(draw, text, size, spacing, bold=bold)
    elif anchor[0] == "m":
        x -= text_width(draw, text, size, spacing, bold=bold) / 2
    letter_anchor = "l" + anchor[1]
    if not spacing:
        draw.text((x, y), text, font=face, fill=fill, anchor=letter_anchor)
        return
    for ch in text:
        draw.text((x, y), ch, font=face, fill=fill, anchor=letter_anchor)
        x += draw.textlength(ch, font=face) + spacing


def fit_text(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: float, *, bold: bool = False
) -> tuple[str, int]:
    """Shrink the font (down to 60 %) and then cut the text with an ellipsis to fit `width`."""
    smallest = max(8, int(size * 0.6))
    while size > smallest and text_width(draw, text, size, bold=bold) > width:
        size -= 1
    if text_width(draw, text, size, bold=bold) <= width:
        return text, size
    while text and text_width(draw, text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def png_bytes(image: Image.Image) -> bytes:
    """PNG without timestamps or other varying chunks: the same picture gives the same bytes."""
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
