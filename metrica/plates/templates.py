"""Per-region plate templates: which positions hold letters and which digits. Pure.

A template is a pattern of `L` (letter), `D` (digit) and `A` (either). Fitting reads, at
each position, the most likely character of the allowed class from the OCR's
per-character distribution: a template turns an unsure `5`/`S` or `8`/`B` into the class
its position requires. A specific template must beat the free reading (all `A`) by more
than `FREE_PRIOR`: a confident character is never forced into a template (vanity plates
stay as read).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from metrica.plates.chars import ALPHABET, CharProbs

FREE_PRIOR = 0.05
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


def fit_pattern(probs: CharProbs, pattern: str) -> tuple[str, float]:
    """Best reading of `probs` under `pattern` (same length) and its log-probability."""
    text, log_p = [], 0.0
    for row, cls in zip(probs, pattern, strict=True):
        masked = np.where(_CLASS_MASKS[cls], row, -1.0)
        best = int(masked.argmax())
        text.append(ALPHABET[best])
        log_p += math.log(max(float(row[best]), 1e-9))
    return "".join(text), log_p


def fit_templates(probs: CharProbs, templates: Mapping[str, Sequence[str]]) -> TemplateFit:
    """The best of the free reading and every template of the same length."""
    free_text, free_log = fit_pattern(probs, "A" * len(probs))
    best = TemplateFit(free_text, math.exp(free_log), "free")
    best_log = free_log + math.log(FREE_PRIOR)
    for region, patterns in templates.items():
        for pattern in patterns:
            if len(pattern) != len(probs):
                continue
            text, log_p = fit_pattern(probs, pattern)
            if log_p > best_log:
                best_log = log_p
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
