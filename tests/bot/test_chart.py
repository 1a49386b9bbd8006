"""The report's chart: a PNG of the expected size, drawn, the same every time, and
Pillow imported only when a chart is drawn."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from PIL import Image

from articlebot.bot.chart import BACKGROUND, BAR, HEIGHT, WIDTH, chart_png, nice_step

PNG = b"\x89PNG\r\n\x1a\n"


def days(counts: list[int]) -> list[tuple[date, int]]:
    return [(date(2024, 3, 1) + timedelta(days=n), c) for n, c in enumerate(counts)]


def test_a_png_of_the_expected_size_with_bars_and_text() -> None:
    data = chart_png(days([3, 0, 7, 1, 0, 2, 5]), "Queries per day, last 7 days")
    assert data.startswith(PNG)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = {colour for _, colour in image.getcolors(maxcolors=WIDTH * HEIGHT)}
    assert BAR in colours and BACKGROUND in colours
    assert len(colours) > 10  # anti-aliased text: title, ticks, labels
    assert chart_png(days([3, 0, 7, 1, 0, 2, 5]), "Queries per day, last 7 days") == data


@pytest.mark.parametrize("counts", [[0] * 30, [1], [10_000] * 365])
def test_any_series_draws(counts: list[int]) -> None:
    image = Image.open(io.BytesIO(chart_png(days(counts), "t")))
    assert image.size == (WIDTH, HEIGHT)
    has_bars = BAR in {c for _, c in image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)}
    assert has_bars == any(counts)


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (5, 1), (6, 2), (12, 5), (48, 10), (101, 50), (9999, 2000)]
)
def test_nice_steps(largest: int, step: int) -> None:
    assert nice_step(largest) == step


def test_starting_the_bot_does_not_import_pillow() -> None:
    code = (
        "import sys, articlebot.bot.app, articlebot.bot.cogs.report, articlebot.bot.terminal; "
        "print('PIL' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
