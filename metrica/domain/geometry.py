"""Counting-line geometry in normalised image coordinates (0..1, x right, y down).

A line is a directed *segment* P1→P2. "In" is crossing from its left-hand side to its
right-hand side as seen in the image, i.e. the sign of cross(P2−P1, X−P1) going from
negative to positive. Normalised coordinates survive a change of stream resolution.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_LINE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MIN_LENGTH = 1e-3


class LineSpecError(ValueError):
    """A counting line that cannot be used (bad syntax, out of range, zero length)."""


@dataclass(frozen=True, slots=True)
class CountingLine:
    """A named, directed counting segment in normalised coordinates."""

    line_id: str
    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        if not _LINE_ID.match(self.line_id):
            raise LineSpecError(
                f"line id {self.line_id!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        for name, value in (("x1", self.x1), ("y1", self.y1), ("x2", self.x2), ("y2", self.y2)):
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                raise LineSpecError(f"line {self.line_id}: {name}={value} is outside 0..1")
        if self.length < MIN_LENGTH:
            raise LineSpecError(f"line {self.line_id} has zero length")

    @property
    def length(self) -> float:
        return math.hypot(self.x2 - self.x1, self.y2 - self.y1)

    def flipped(self) -> CountingLine:
        """The same segment with IN and OUT swapped."""
        return CountingLine(self.line_id, self.x2, self.y2, self.x1, self.y1)

    def to_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        """End points in pixels for a frame of `width` x `height`."""
        return (self.x1 * width, self.y1 * height, self.x2 * width, self.y2 * height)

    def as_arg(self) -> str:
        """The `ID=x1,y1,x2,y2` form accepted by `parse_line`."""
        return f"{self.line_id}={self.x1:g},{self.y1:g},{self.x2:g},{self.y2:g}"


def parse_line(text: str) -> CountingLine:
    """Parse `ID=x1,y1,x2,y2` (normalised) into a `CountingLine`.

    Raises `LineSpecError` with a message fit for a one-line CLI error.
    """
    line_id, sep, coords = text.partition("=")
    if not sep:
        raise LineSpecError(f"--line {text!r}: expected ID=x1,y1,x2,y2")
    parts = coords.split(",")
    if len(parts) != 4:
        raise LineSpecError(f"--line {text!r}: expected 4 comma-separated numbers after '='")
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise LineSpecError(f"--line {text!r}: coordinates must be numbers") from None
    return CountingLine(line_id.strip(), x1, y1, x2, y2)
