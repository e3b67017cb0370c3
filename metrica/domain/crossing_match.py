"""Scoring predicted crossings against ground truth, event by event: pure logic.

One implementation for `metrica eval` (truth files) and the server's accuracy audits
(marks an admin made on a recorded clip): both must give the same figures.

Each predicted crossing is matched one-to-one to an unmatched true crossing on the same
line and direction within a time tolerance; unmatched predictions are false positives,
unmatched truth events are misses. Count accuracy compares totals per line and direction:
1 − Σ|pred − true| / Σ true.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from metrica.domain.counting import Crossing
from metrica.domain.events import Direction

DIRECTIONS: tuple[Direction, Direction] = ("in", "out")


@dataclass(frozen=True, slots=True)
class FrameCrossing:
    """A crossing, predicted or true: line, direction and frame index."""

    line_id: str
    direction: Direction
    frame: int


def frame_crossings(crossings: Iterable[Crossing]) -> list[FrameCrossing]:
    """Counted crossings as scored: line, direction and the frame the line was met."""
    return [FrameCrossing(c.line_id, c.direction, c.frame) for c in crossings]


@dataclass(frozen=True, slots=True)
class Score:
    """Event-level and count-level agreement over one or more (line, direction) pairs."""

    true_in: int
    true_out: int
    pred_in: int
    pred_out: int
    tp: int
    count_error: int

    @property
    def fp(self) -> int:
        return self.pred_in + self.pred_out - self.tp

    @property
    def fn(self) -> int:
        return self.true_in + self.true_out - self.tp

    @property
    def precision(self) -> float:
        predicted = self.pred_in + self.pred_out
        return self.tp / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        true = self.true_in + self.true_out
        return self.tp / true if true else 1.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0

    @property
    def count_accuracy(self) -> float:
        true = self.true_in + self.true_out
        if true == 0:
            return 1.0 if self.count_error == 0 else 0.0
        return 1.0 - self.count_error / true

    def __add__(self, other: Score) -> Score:
        return Score(
            self.true_in + other.true_in,
            self.true_out + other.true_out,
            self.pred_in + other.pred_in,
            self.pred_out + other.pred_out,
            self.tp + other.tp,
            self.count_error + other.count_error,
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "true_in": self.true_in,
            "true_out": self.true_out,
            "pred_in": self.pred_in,
            "pred_out": self.pred_out,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "count_accuracy": round(self.count_accuracy, 4),
        }


EMPTY_SCORE = Score(0, 0, 0, 0, 0, 0)


def matched_pairs(
    true_frames: Sequence[int], pred_frames: Sequence[int], tolerance: int
) -> list[tuple[int, int]]:
    """Largest one-to-one matching of frames within ±tolerance, as (true index, predicted
    index) pairs into the given sequences (greedy on sorted times).

    Greedy over sorted truth, taking the earliest still-usable prediction, is optimal for
    matching points on a line with a symmetric window.
    """
    preds = sorted(range(len(pred_frames)), key=lambda i: (pred_frames[i], i))
    pairs = []
    j = 0
    for t in sorted(range(len(true_frames)), key=lambda i: (true_frames[i], i)):
        frame = true_frames[t]
        while j < len(preds) and pred_frames[preds[j]] < frame - tolerance:
            j += 1
        if j < len(preds) and pred_frames[preds[j]] <= frame + tolerance:
            pairs.append((t, preds[j]))
            j += 1
    return pairs


def match_frames(true_frames: Sequence[int], pred_frames: Sequence[int], tolerance: int) -> int:
    """How many frames `matched_pairs` matches."""
    return len(matched_pairs(true_frames, pred_frames, tolerance))


def score_line(
    line_id: str,
    truth: Iterable[FrameCrossing],
    predicted: Iterable[FrameCrossing],
    tolerance_frames: int,
) -> Score:
    """Score one line's predicted crossings against its true ones."""
    truth_list = [e for e in truth if e.line_id == line_id]
    pred_list = [e for e in predicted if e.line_id == line_id]
    counts: dict[str, int] = {}
    tp = 0
    error = 0
    for direction in DIRECTIONS:
        t = [e.frame for e in truth_list if e.direction == direction]
        p = [e.frame for e in pred_list if e.direction == direction]
        counts[f"true_{direction}"], counts[f"pred_{direction}"] = len(t), len(p)
        tp += match_frames(t, p, tolerance_frames)
        error += abs(len(p) - len(t))
    return Score(
        counts["true_in"], counts["true_out"], counts["pred_in"], counts["pred_out"], tp, error
    )
