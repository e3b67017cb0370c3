"""Accuracy audits of a camera: the clip counter the server is handed, and the score of its
crossings against an admin's marks (pure; the matching rule is `crossing_match`'s, the same
as `metrica eval`: one-to-one within ±0.5 s, same line and direction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from metrica.domain.crossing_match import (
    DIRECTIONS,
    EMPTY_SCORE,
    FrameCrossing,
    Score,
    matched_pairs,
    score_line,
)
from metrica.domain.geometry import CountingLine

TOLERANCE_S = 0.5
RECORDING_MIN_S = 60
RECORDING_MAX_S = 600
MAX_MARKS = 20_000  # a busy door for 10 minutes is a few hundred crossings
MAX_CLIP_FRAMES = 60 * 60 * 60  # an hour at 60 fps: the counter stops reading past this


@dataclass(frozen=True, slots=True)
class CountingSettings:
    """How a camera's worker counts, as far as it changes what is counted: the detector's
    model (a name the worker's model lookup resolves; None = the default model), its input
    size (long side in pixels; None = the detector's automatic size) and the stride
    (detect every n-th frame). The server reads it from a fleet camera's settings."""

    model: str | None = None
    input_size: int | None = None
    stride: int = 1

    def __post_init__(self) -> None:
        if self.stride < 1:
            raise ValueError(f"stride {self.stride}: must be at least 1")
        if self.input_size is not None and self.input_size < 1:
            raise ValueError(f"input size {self.input_size}: must be positive")


DEFAULT_COUNTING = CountingSettings()


@dataclass(frozen=True, slots=True)
class ClipCount:
    """What the camera's counting configuration finds in a clip; `counted_with` says
    which, as the counter resolved it (e.g. "yolox_nano @ 640, every frame")."""

    fps: float
    frames: int
    width: int
    height: int
    crossings: list[FrameCrossing]
    counted_with: str = ""


class ClipCounter(Protocol):
    """Counts a clip with given lines and the camera's counting settings (the server never
    imports the vision code: the command that starts it passes one in). Raises
    `ValueError` for a clip it cannot read or settings it cannot apply (a model this
    machine lacks), with a message an admin can act on."""

    def count(
        self,
        path: Path,
        lines: Sequence[CountingLine],
        settings: CountingSettings = DEFAULT_COUNTING,
    ) -> ClipCount: ...


def every_nth(stride: int) -> str:
    """`1` -> "every frame", `3` -> "every 3rd frame" (for `counted_with`)."""
    if stride == 1:
        return "every frame"
    suffix = (
        "th" if 10 <= stride % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(stride % 10, "th")
    )
    return f"every {stride}{suffix} frame"


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """The score, and the moments to look at: marks the counter missed and its extras."""

    score: Score
    misses: list[FrameCrossing]
    extras: list[FrameCrossing]


def tolerance_frames(fps: float, tolerance_s: float = TOLERANCE_S) -> int:
    """The ±window in frames, rounded as `metrica eval` rounds it."""
    return round(tolerance_s * fps)


def score_audit(
    line_ids: Sequence[str],
    marks: Sequence[FrameCrossing],
    predicted: Sequence[FrameCrossing],
    fps: float,
) -> AuditOutcome:
    """Score the counter's crossings against the marks over the camera's lines."""
    tolerance = tolerance_frames(fps)
    score = EMPTY_SCORE
    misses: list[FrameCrossing] = []
    extras: list[FrameCrossing] = []
    for line_id in line_ids:
        score = score + score_line(line_id, marks, predicted, tolerance)
        for direction in DIRECTIONS:
            t = [m for m in marks if m.line_id == line_id and m.direction == direction]
            p = [c for c in predicted if c.line_id == line_id and c.direction == direction]
            pairs = matched_pairs([m.frame for m in t], [c.frame for c in p], tolerance)
            hit_t = {i for i, _ in pairs}
            hit_p = {j for _, j in pairs}
            misses += [m for i, m in enumerate(t) if i not in hit_t]
            extras += [c for j, c in enumerate(p) if j not in hit_p]
    return AuditOutcome(
        score,
        sorted(misses, key=lambda c: (c.frame, c.line_id)),
        sorted(extras, key=lambda c: (c.frame, c.line_id)),
    )
