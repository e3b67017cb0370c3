"""One text per vehicle track: character-wise voting over the track's reads. Pure.

Each read contributes its per-character distributions, weighted by its confidence. The
voted length is the one with the most weight; a read one character shorter or longer
(a character dropped in a blurred frame, a screw read as `I`) is aligned to the
consensus by edit distance and, when the rest agrees, adds half a vote where its
characters line up; other lengths (another text read in that frame) are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrica.plates.chars import ALPHABET, CharProbs

PROB_FLOOR = 1e-4  # one frame's zero must not veto a character every other frame read


@dataclass(frozen=True, slots=True)
class Vote:
    """One read of a track's plate: its distributions and its weight (confidence)."""

    probs: CharProbs
    weight: float


def _text(probs: CharProbs) -> str:
    return "".join(ALPHABET[i] for i in probs.argmax(axis=1))


def align(source: str, target: str) -> list[tuple[int, int]]:
    """Pairs `(i, j)`: `source[i]` lines up with `target[j]` in a minimum-edit alignment
    (matches and substitutions; insertions and deletions pair with nothing)."""
    n, m = len(source), len(target)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
                cost[i - 1, j - 1] + (source[i - 1] != target[j - 1]),
            )
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (source[i - 1] != target[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def vote(votes: Sequence[Vote]) -> tuple[CharProbs, float]:
    """The voted distributions `(n, len(ALPHABET))` and the share of weight behind the
    voted length (0..1). `ValueError` when there is nothing to vote on.

    The reads are pooled in log space (a weighted product of experts): a character that
    several frames read with confidence wins over one frame's confident slip, which a
    weighted average would let through as often as the best single frame does.
    """
    useful = [v for v in votes if len(v.probs) and v.weight > 0]
    if not useful:
        raise ValueError("no reads to vote on")
    by_length: dict[int, float] = defaultdict(float)
    for v in useful:
        by_length[len(v.probs)] += v.weight
    length = max(by_length, key=lambda n: (by_length[n], n))
    log_total = np.zeros((length, len(ALPHABET)), np.float64)
    for v in useful:
        if len(v.probs) == length:
            log_total += v.weight * np.log(np.maximum(v.probs, PROB_FLOOR))
    consensus = _text(log_total.astype(np.float32))
    for v in useful:  # one character dropped or added: vote where the rest lines up
        if len(v.probs) != length and abs(len(v.probs) - length) == 1:
            pairs = align(_text(v.probs), consensus)
            if len(pairs) >= min(len(v.probs), length) and _mismatches(v, pairs, consensus) == 0:
                for i, j in pairs:
                    log_total[j] += 0.5 * v.weight * np.log(np.maximum(v.probs[i], PROB_FLOOR))
    voted = np.exp(log_total - log_total.max(axis=1, keepdims=True))
    voted /= voted.sum(axis=1, keepdims=True)
    agreement = by_length[length] / sum(by_length.values())
    return voted.astype(np.float32), float(agreement)


def _mismatches(v: Vote, pairs: list[tuple[int, int]], consensus: str) -> int:
    text = _text(v.probs)
    return sum(text[i] != consensus[j] for i, j in pairs)
