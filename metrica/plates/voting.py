"""One text per vehicle track: character-wise voting over the track's reads. Pure.

Each read contributes its per-character distributions, weighted by its confidence. The
voted length is the one with the most weight; reads of another length (a character
dropped in a blurred frame, a screw read as `I`) are aligned to the consensus by edit
distance and add their votes only where their characters line up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrica.plates.chars import ALPHABET, CharProbs


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
    """The voted distributions `(n, len(ALPHABET))` and the share of weight behind them
    (0..1). `ValueError` when there is nothing to vote on."""
    useful = [v for v in votes if len(v.probs) and v.weight > 0]
    if not useful:
        raise ValueError("no reads to vote on")
    by_length: dict[int, float] = defaultdict(float)
    for v in useful:
        by_length[len(v.probs)] += v.weight
    length = max(by_length, key=lambda n: (by_length[n], n))
    total = np.zeros((length, len(ALPHABET)), np.float64)
    for v in useful:
        if len(v.probs) == length:
            total += v.weight * v.probs
    consensus = _text(total.astype(np.float32))
    for v in useful:
        if len(v.probs) != length:
            for i, j in align(_text(v.probs), consensus):
                total[j] += 0.5 * v.weight * v.probs[i]
    voted = (total / np.maximum(total.sum(axis=1, keepdims=True), 1e-9)).astype(np.float32)
    agreement = by_length[length] / sum(by_length.values())
    return voted, float(agreement)
