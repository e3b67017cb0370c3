"""Scoring against ground truth: the one implementation lives in `metrica.domain.crossing_match`
(the server's accuracy audits use it too); re-exported here for the evaluation code."""

from metrica.domain.crossing_match import (
    DIRECTIONS,
    EMPTY_SCORE,
    FrameCrossing,
    Score,
    frame_crossings,
    match_frames,
    matched_pairs,
    score_line,
)

__all__ = [
    "DIRECTIONS",
    "EMPTY_SCORE",
    "FrameCrossing",
    "Score",
    "frame_crossings",
    "match_frames",
    "matched_pairs",
    "score_line",
]
