"""Per-region plate templates: which positions hold letters and which digits. Pure.

A template is a pattern of `L` (letter), `D` (digit) and `A` (either). Fitting reads, at
each position, the most likely character of the allowed class from the OCR's
per-character distribution: a template turns an unsure `5`/`S` or `8`/`B` into the class
its position requires. A specific template must beat the free reading (all `A`) by more
than `FREE_PRIOR`: a confident character is never forced into a template (vanity plates
stay as read, except that a free reading writes the digit 0 for the letter O: most plate
series leave the letter out or treat the two as one, and only a template knows a letter
belongs there). The priors are odds, not measured probabilities: a template fit needs
about 20 times less evidence than the free reading, a fit that drops an edge character
about 3 times more than one that keeps it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import numpy.typing as npt

from metrica.plates.chars import ALPHABET, CharProbs

FREE_PRIOR = 0.05
TRIM_PRIOR = 0.3  # a template on all but an edge character, against one on all of them
MIN_CHARS, MAX_CHARS = 4, 8

_CLASS_MASKS = {
    "L": np.array([c.isalpha() for c in ALPHABET]),
    "D": np.array([c.isdigit() for c in ALPHABET]),
    "A": np.ones(len(ALPHABET), bool),
}

# Common current formats. Sources: the countries' registration rules (Wikipedia's
# "Vehicle registration plates of ..." pages). Separators are not read, so not listed.
BUILTIN_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    # United States: no national format; the patterns most states issue.
    "us": ("DLLLDDD", "LLLDDDD", "LLLDDD", "DDDLLL", "DLLDDD", "LLDDDDD", "DDDDLLL"),
    "gb": ("LLDDLLL",),
    "ie": ("DDLDDDD", "DDDLDDDD", "DDLLDDDD", "DDDLLDDDD"),
    "fr": ("LLDDDLL",),
    "it": ("LLDDDLL",),
    "es": ("DDDDLLL",),
    "pt": ("LLDDLL", "DDLLDD"),
    "pl": ("LLDDDDD", "LLLDDDD", "LLDDDLL", "LLLDDLL", "LLDDLLL"),
    "hr": ("LLDDDLL", "LLDDDDL", "LLDDDDLL"),
    "si": ("LLLDDLL", "LLDDDLL"),
    "nl": ("LLDDDL", "DDLLLD", "LDDDLL", "LLLDDL", "DLLLDD", "LDDLLL", "DDLLDD", "LLDDLL"),
    "be": ("DLLLDDD",),
    "cz": ("DLDDDDD", "DLLDDDD"),
    "ro": ("LDDLLL", "LLDDLLL", "LDDDLLL"),
    "hu": ("LLLDDD", "LLLLDDD"),
    "br": ("LLLDDDD", "LLLDLDD"),  # old grey plates, Mercosul
}


# Letters a region's series do not issue because they look like digits or each other.
# Fitting that region's templates, their probability counts for the digit they resemble
# (an O on a US plate is a 0), so they never fill a letter position.
EXCLUDED_LETTERS: Mapping[str, str] = {
    "us": "O",
    "it": "IOQU",
    "fr": "IOU",
    "es": "AEIOUQ",
    "nl": "AEIOUCQ",
    "cz": "GOQW",
}
LOOKALIKE_DISCOUNT = 0.9
_AS_DIGIT = {"O": "0", "Q": "0", "I": "1", "U": "0", "G": "6", "W": "", "C": "", "A": "4", "E": ""}


@dataclass(frozen=True, slots=True)
class TemplateFit:
    """The text a template gives, its score (probability of that reading) and its name."""

    text: str
    score: float
    template: str  # "region:pattern", or "free"


def validate_pattern(pattern: str) -> str:
    """A pattern in upper case; `ValueError` unless it is 1..12 of L, D, A."""
    pattern = pattern.strip().upper()
    if not 0 < len(pattern) <= 12 or set(pattern) - set("LDA"):
        raise ValueError(f"template {pattern!r}: use 1 to 12 of L (letter), D (digit), A (any)")
    return pattern


# Pairs a plate font draws (nearly) alike: a digit position takes the digit for the
# letter's probability, discounted. Not the other way: series that start with letters
# are so common that a read 0 or 1 would become O or I far more often than it should.
_SAME_GLYPH = (("O", "0"), ("I", "1"))


def position_probs(
    row: npt.NDArray[np.float32], cls: str, excluded: str
) -> npt.NDArray[np.float32]:
    """One character's probabilities as a position of class `cls` sees them."""
    out = row.copy()
    if cls == "D":
        for letter, digit in _SAME_GLYPH:
            i, j = ALPHABET.index(letter), ALPHABET.index(digit)
            out[j] = max(row[j], LOOKALIKE_DISCOUNT * row[i])
    for letter in excluded:
        i = ALPHABET.index(letter)
        digit = _AS_DIGIT.get(letter, "")
        if digit:
            j = ALPHABET.index(digit)
            out[j] = max(out[j], LOOKALIKE_DISCOUNT * row[i])
        out[i] = 0.0
    return np.where(_CLASS_MASKS[cls], out, -1.0).astype(np.float32)


def fit_pattern(probs: CharProbs, pattern: str, excluded: str = "") -> tuple[str, float]:
    """Best reading of `probs` under `pattern` (same length) and its log-probability;
    `excluded` letters are never read (they count as their lookalike digit)."""
    text, log_p = [], 0.0
    for row, cls in zip(probs, pattern, strict=True):
        seen = position_probs(row, cls, excluded)
        best = int(seen.argmax())
        text.append(ALPHABET[best])
        log_p += math.log(max(float(seen[best]), 1e-9))
    return "".join(text), log_p


def _position_table(
    probs: CharProbs, cls: str, excluded: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """For every character of `probs`: its best index and log-probability as a position of
    class `cls` reads it (what `fit_pattern` does one row at a time)."""
    seen = np.stack([position_probs(row, cls, excluded) for row in probs])
    best = seen.argmax(axis=1)
    picked = seen[np.arange(len(best)), best].astype(np.float64)
    return best, np.log(np.maximum(picked, 1e-9))


def fit_templates(probs: CharProbs, templates: Mapping[str, Sequence[str]]) -> TemplateFit:
    """The best of the free reading and every template, on the whole reading or on the
    reading without one character at either end (a state logo, a stacked registration
    letter or a frame screw read as a character sits at the plate's edge)."""
    free_text, free_log = fit_pattern(probs, "A" * len(probs))
    best = TemplateFit(free_text.replace("O", "0"), math.exp(free_log), "free")
    best_log = free_log + math.log(FREE_PRIOR)
    n = len(probs)
    trims = [(0, n, 0.0)]
    if n > MIN_CHARS:
        trims += [(1, n, math.log(TRIM_PRIOR)), (0, n - 1, math.log(TRIM_PRIOR))]
    # Each (class, excluded letters) reading of each character is worked out once: the
    # ~16 regions' ~40 patterns reuse them (the same figures as fit_pattern, 20x cheaper).
    tables: dict[tuple[str, str], tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
    for region, patterns in templates.items():
        excluded = EXCLUDED_LETTERS.get(region, "")
        for (start, end, prior), pattern in product(trims, patterns):
            if len(pattern) != end - start:
                continue
            log_p, picks = 0.0, []
            for offset, cls in enumerate(pattern):
                table = tables.get((cls, excluded))
                if table is None:
                    table = tables[(cls, excluded)] = _position_table(probs, cls, excluded)
                picks.append(int(table[0][start + offset]))
                log_p += float(table[1][start + offset])
            if log_p + prior > best_log:
                best_log = log_p + prior
                text = "".join(ALPHABET[i] for i in picks)
                best = TemplateFit(text, math.exp(log_p), f"{region}:{pattern}")
    return best


def merge_templates(
    builtin: Mapping[str, Sequence[str]], extra: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """Built-in templates with a user's regions added (a region named again is replaced)."""
    merged = {region: tuple(patterns) for region, patterns in builtin.items()}
    for region, patterns in extra.items():
        merged[region.strip().lower()] = tuple(validate_pattern(p) for p in patterns)
    return merged


def select_regions(
    templates: Mapping[str, Sequence[str]], regions: Sequence[str] | None
) -> dict[str, tuple[str, ...]]:
    """Only the named regions (all when None); an unknown name is a `ValueError`."""
    if regions is None:
        return {r: tuple(p) for r, p in templates.items()}
    unknown = [r for r in regions if r not in templates]
    if unknown:
        raise ValueError(f"unknown plate regions {unknown}; known: {sorted(templates)}")
    return {r: tuple(templates[r]) for r in regions}
