"""The report's chart: a bar chart of queries per day, as PNG bytes.

Drawn with Pillow's ImageDraw and the scalable font Pillow bundles (no system fonts, so
the picture is the same everywhere): a 6.9 MB wheel and 0.03 s to import, against about
24 MB of wheels (100 MB installed) and half a second for matplotlib and its dependencies,
for one kind of chart. Discord shows PNG inline, not SVG, which ruled out the small SVG
libraries. Pillow is imported only when a chart is drawn, so start-up does not pay for it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from PIL import ImageFont

WIDTH, HEIGHT = 1000, 440
LEFT, RIGHT, TOP, BOTTOM = 84, 24, 56, 76  # margins around the plot area
BACKGROUND = (255, 255, 255)
INK = (40, 40, 48)
GRID = (226, 228, 234)
BAR = (88, 101, 242)  # the bot's brand colour
FILENAME = "report.png"


def nice_step(largest: int, ticks: int = 5) -> int:
    """A whole step of 1, 2 or 5 times a power of ten giving at most ``ticks`` steps up
    to ``largest``."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def chart_png(per_day: Sequence[tuple[date, int]], title: str) -> bytes:
    """A bar per day (``per_day`` in order), with the title, a count axis with gridlines,
    dates along the bottom and both axes labelled."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    title_font = ImageFont.load_default(size=20)
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM  # y1: the baseline

    draw.text((WIDTH // 2, 16), title, font=title_font, fill=INK, anchor="mt")
    largest = max((count for _, count in per_day), default=0)
    step = nice_step(largest)
    top = max(step, math.ceil(largest / step) * step)
    for value in range(0, top + 1, step):
        y = y1 - (y1 - y0) * value / top
        draw.line([(x0, y), (x1, y)], fill=GRID if value else INK, width=1)
        draw.text((x0 - 8, y), str(value), font=font, fill=INK, anchor="rm")
    _vertical_text(image, "queries", font, (22, (y0 + y1) // 2))

    slot = (x1 - x0) / max(1, len(per_day))
    gap = max(slot * 0.2, slot - 48) if slot >= 4 else 0  # bars at most 48 px wide
    every = max(1, math.ceil(len(per_day) * 70 / (x1 - x0)))  # ~70 px per date label
    for n, (day, count) in enumerate(per_day):
        left = x0 + n * slot
        if count:
            height = (y1 - y0) * count / top
            draw.rectangle(
                [round(left + gap / 2), round(y1 - height), round(left + slot - gap / 2) - 1, y1],
                fill=BAR,
            )
        if n % every == 0:
            middle = left + slot / 2
            draw.line([(middle, y1), (middle, y1 + 5)], fill=INK)
            draw.text((middle, y1 + 8), day_label(day), font=font, fill=INK, anchor="mt")
    draw.line([(x0, y0), (x0, y1)], fill=INK)
    draw.text(((x0 + x1) // 2, HEIGHT - 14), "day", font=font, fill=INK, anchor="mb")

    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _vertical_text(
    image: PILImage.Image, text: str, font: ImageFont.FreeTypeFont, centre: tuple[int, int]
) -> None:
    """``text`` turned a quarter left (read bottom to top), centred at ``centre``."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    label = Image.new("RGB", (right - left + 4, bottom - top + 4), BACKGROUND)
    pen = ImageDraw.Draw(label)
    pen.text((2 - left, 2 - top), text, font=font, fill=INK)
    turned = label.rotate(90, expand=True)
    image.paste(turned, (centre[0] - turned.width // 2, centre[1] - turned.height // 2))
