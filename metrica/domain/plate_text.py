"""Plate text as search sees it: normalised, confusion-folded, compared by edit distance.

Pure functions: the service folds the stored text and the query the same way, so a
search for `8O5` finds a read of `B05`. Folding maps each letter that OCR commonly
mistakes for a digit onto that digit (O/0, I/1, B/8, S/5, Z/2).
"""

from __future__ import annotations

import re

_NOT_PLATE = re.compile(r"[^A-Z0-9]")
_FOLD = str.maketrans({"O": "0", "I": "1", "B": "8", "S": "5", "Z": "2"})
MAX_PLATE_CHARS = 16


def normalize_plate(text: str) -> str:
    """Upper-case A-Z0-9 only (spaces, dashes and anything else dropped), at most 16."""
    return _NOT_PLATE.sub("", text.upper())[:MAX_PLATE_CHARS]


def fold_plate(normalized: str) -> str:
    """The normalised text with the usual OCR confusions folded onto digits."""
    return normalized.translate(_FOLD)


def edit_distance(a: str, b: str, *, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` as soon as it must exceed it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def fuzzy_limit(query: str) -> int:
    """How many edits (after folding) a fuzzy search allows: 2 from 8 characters, else 1.

    The confusions are folded before the distance is taken, so one edit already covers a
    confusion plus one real misread. Two edits in a 7-character plate can leave it sharing
    a single trigram with the query, which no trigram index narrows down (it matches about
    every plate that starts with the same letter)."""
    return 1 if len(query) < 8 else 2
