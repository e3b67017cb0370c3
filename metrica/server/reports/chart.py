"""The weekly report's chart: IN per day as bars, drawn server-side with Pillow (an email
cannot run the app's JavaScript charts)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from metrica.server.reports.figures import WeekFigures

WIDTH_PX, HEIGHT_PX = 1200, 480  # shown at half size: sharp on high-density screens
SCALE = 2
BAR = (37, 99, 235)  # the app's IN blue
TEXT = (15, 23, 42)
MUTED = (100, 116, 139)
GRID = (226, 232, 240)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def daily_in_png(figures: WeekFigures) -> bytes:
    """A PNG of WIDTH_PX x HEIGHT_PX: one bar per day, its IN above it."""
    image = Image.new("RGB", (WIDTH_PX, HEIGHT_PX), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13 * SCALE)
    small = ImageFont.load_default(size=11 * SCALE)
    left, right, top, bottom = 24 * SCALE, 24 * SCALE, 40 * SCALE, 40 * SCALE
    draw.text((left, 10 * SCALE), "Visitors (IN) per day", fill=TEXT, font=font)
    plot_h = HEIGHT_PX - top - bottom
    peak = max((r.footfall_in for r in figures.days), default=0) or 1
    base_y = HEIGHT_PX - bottom
    draw.line((left, base_y, WIDTH_PX - right, base_y), fill=GRID, width=SCALE)
    slot = (WIDTH_PX - left - right) / max(1, len(figures.days))
    for i, row in enumerate(figures.days):
        x0 = left + i * slot + slot * 0.18
        x1 = left + (i + 1) * slot - slot * 0.18
        bar_h = plot_h * row.footfall_in / peak
        if row.footfall_in:
            draw.rectangle((x0, base_y - bar_h, x1, base_y), fill=BAR)
        centre = (x0 + x1) / 2
        value = f"{row.footfall_in:,}"
        draw.text((centre, base_y - bar_h - 4 * SCALE), value, fill=TEXT, font=small, anchor="md")
        label = f"{DAY_NAMES[row.day.weekday()]} {row.day.day}"
        draw.text((centre, base_y + 8 * SCALE), label, fill=MUTED, font=small, anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
