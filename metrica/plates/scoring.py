"""Which text line is the plate: scoring candidates from their shape and reading. Pure.

A vehicle carries other text: fleet lettering, a dealer's phone number, stickers, a
state name. The plate is the line that reads like a plate (4-8 characters, digits among
them, fits a template), is shaped like one, and sits low and central on the vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass

from metrica.plates.templates import MAX_CHARS, MIN_CHARS


@dataclass(frozen=True, slots=True)
class Candidate:
    """What is known about one text line when it is scored."""

    text: str
    read_confidence: float  # mean per-character probability, 0..1
    templated: bool  # a region template (not the free reading) fits
    aspect: float  # text box width / height
    centre_x_rel: float  # in the vehicle box, 0 = left edge, 1 = right edge
    centre_y_rel: float  # 0 = top, 1 = bottom
    height_rel: float  # text height / vehicle box height
    in_vehicle: bool  # False when no vehicle was found and the whole image was searched


def length_factor(n: int) -> float:
    if MIN_CHARS + 1 <= n <= MAX_CHARS - 1:
        return 1.0
    if n in (MIN_CHARS, MAX_CHARS):
        return 0.8
    if n == MIN_CHARS - 1 or n == MAX_CHARS + 1:
        return 0.3
    return 0.0


def shape_factor(aspect: float) -> float:
    """Single-line plate text is 1.5-8 times as wide as high."""
    if 1.5 <= aspect <= 8.0:
        return 1.0
    return 0.4 if 1.0 <= aspect <= 12.0 else 0.1


def position_factor(c: Candidate) -> float:
    """Plates sit in the lower part of a vehicle seen from front or back, not at its edge;
    their characters are a small part of its height (lettering is bigger or higher)."""
    factor = 1.0
    if not c.in_vehicle:  # a photo is framed on its vehicle: only "not at the top" holds
        return 0.75 if c.centre_y_rel < 0.35 else 1.0
    if c.centre_y_rel < 0.35:  # soft: a detector's box can reach far above a van's roof
        factor *= 0.75
    if not 0.1 <= c.centre_x_rel <= 0.9:
        factor *= 0.8
    if c.height_rel > 0.25:
        factor *= 0.6
    return factor


def candidate_score(c: Candidate) -> float:
    """0..1: how likely this line is the vehicle's plate, read right."""
    # A free reading writes 0 for O, so a lone 0 is no evidence of a digit ("ETS0").
    digits = [ch for ch in c.text if ch.isdigit()]
    has_digit = bool(digits) and (digits != ["0"] * len(digits) or len(digits) == len(c.text))
    has_letter = any(ch.isalpha() for ch in c.text)
    mix = 1.0 if has_digit and has_letter else 0.85 if has_digit else 0.7
    return (
        c.read_confidence
        * length_factor(len(c.text))
        * shape_factor(c.aspect)
        * position_factor(c)
        * (1.0 if c.templated else 0.9)
        * mix
    )
