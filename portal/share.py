"""Images for sharing and bookmarks, drawn with Pillow: the portal's mark as favicon and touch
icon, and share cards (1200 × 630, what WeChat, Weibo and link previews show) for the site and
for each guide (its name, department and section).

The mark is the drawing of the printed sheets (the theme's img/logo.svg that printing.render.logo_svg reads, also
static/icons/favicon.svg): a window of four panes, drawn from rectangles, so it needs no font.
Card text is set in the system's CJK font (fonts-noto-cjk, found as the sheets find it).
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from printing.fonts import find_source_face

CARD_SIZE = (1200, 630)
# Bump when the drawing changes, so cached cards are drawn again.
CARD_FORMAT = 1
MARK_BLUE = (31, 95, 168)
PANE_LIGHT = (207, 224, 245)
BRAND_RED = (179, 38, 30)
INK = (31, 35, 41)
MUTED = (76, 82, 92)
WHITE = (255, 255, 255)


def draw_mark(draw: ImageDraw.ImageDraw, left: float, top: float, size: float) -> None:
    """The mark of the logo (a 32-unit square) at ``size`` pixels."""

    def box(x: float, y: float, width: float, height: float, radius: float, fill) -> None:
        scale = size / 32
        draw.rounded_rectangle(
            (left + x * scale, top + y * scale, left + (x + width) * scale, top + (y + height) * scale),
            radius=radius * scale,
            fill=fill,
        )

    box(1.5, 1.5, 29, 29, 6, MARK_BLUE)
    box(7, 7, 8, 8, 1, WHITE)
    box(17, 7, 8, 8, 1, WHITE)
    box(7, 17, 8, 8, 1, WHITE)
    box(17, 17, 8, 8, 1, PANE_LIGHT)


def mark_image(size: int) -> Image.Image:
    # Drawn four times larger and reduced: smooth corners at 16 pixels too.
    large = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw_mark(ImageDraw.Draw(large), 0, 0, size * 4)
    return large.resize((size, size), Image.Resampling.LANCZOS)


def _encoded(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def favicon_ico() -> bytes:
    return _encoded(mark_image(48), "ICO", sizes=[(16, 16), (32, 32), (48, 48)])


@lru_cache(maxsize=1)
def touch_icon_png() -> bytes:
    """180 × 180 on white: iOS fills transparent corners with black."""
    icon = Image.new("RGB", (180, 180), WHITE)
    mark = mark_image(150)
    icon.paste(mark, (15, 15), mark)
    return _encoded(icon, "PNG", optimize=True)


@lru_cache(maxsize=4)
def _font(style: str, size: int) -> ImageFont.FreeTypeFont:
    face = find_source_face(style) or find_source_face("Regular")
    if face is None:
        raise OSError("no CJK font installed (apt-get install fonts-noto-cjk)")
    return ImageFont.truetype(face.file, size, index=face.index)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Lines of at most ``width`` pixels, character by character (Chinese has no spaces), the
    last one cut with an ellipsis when the text is longer."""
    lines: list[str] = []
    current = ""
    for character in text:
        if font.getlength(current + character) <= width:
            current += character
            continue
        lines.append(current)
        current = character
        if len(lines) == max_lines:
            break
    if len(lines) < max_lines and current:
        lines.append(current)
    consumed = sum(len(line) for line in lines)
    if consumed < len(text):
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def share_card(title: str, lines: list[str], site_name: str) -> bytes:
    """A 1200 × 630 PNG: the site's name with the mark, the title large, a few lines below."""
    card = Image.new("RGB", CARD_SIZE, WHITE)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_SIZE[0], 16), fill=BRAND_RED)
    draw_mark(draw, 72, 64, 72)
    draw.text((164, 78), site_name, font=_font("Bold", 40), fill=INK)
    title_font = _font("Bold", 68)
    top = 200
    for line in _wrap(title, title_font, CARD_SIZE[0] - 144, 2):
        draw.text((72, top), line, font=title_font, fill=INK)
        top += 92
    detail_font = _font("Regular", 36)
    top += 24
    for line in lines:
        for wrapped in _wrap(line, detail_font, CARD_SIZE[0] - 144, 1):
            draw.text((72, top), wrapped, font=detail_font, fill=MUTED)
            top += 52
    return _encoded(card, "PNG", optimize=True)
