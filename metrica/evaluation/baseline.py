"""The reference we compare against: supervision 0.30 `ByteTrack` + `LineZone`.

This is what most people count with today (bottom-centre anchor, default settings).
supervision calls crossing *down* a left-to-right line "out"; our convention (and the
truth files') calls it "in", so the directions are swapped here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import supervision as sv

from metrica.domain.geometry import CountingLine
from metrica.evaluation.scoring import FrameCrossing
from metrica.vision.detections import Detections

BASELINE_SCORE_THRESHOLD = 0.25


class SupervisionBaseline:
    """Tracks with `sv.ByteTrack` and counts with one `sv.LineZone` per line."""

    def __init__(
        self, lines: Sequence[CountingLine], *, frame_size: tuple[int, int], fps: float
    ) -> None:
        width, height = frame_size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._tracker = sv.ByteTrack(frame_rate=round(fps))
        self._zones: list[tuple[str, sv.LineZone]] = []
        for line in lines:
            x1, y1, x2, y2 = line.to_pixels(width, height)
            zone = sv.LineZone(
                start=sv.Point(x1, y1),
                end=sv.Point(x2, y2),
                triggering_anchors=[sv.Position.BOTTOM_CENTER],
            )
            self._zones.append((line.line_id, zone))

    def process_detections(self, frame: int, detections: Detections) -> list[FrameCrossing]:
        keep = detections.confidence >= BASELINE_SCORE_THRESHOLD
        sv_detections = sv.Detections(
            xyxy=detections.xyxy[keep].astype(np.float32),
            confidence=detections.confidence[keep],
            class_id=detections.class_id[keep],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tracked = self._tracker.update_with_detections(sv_detections)
        events: list[FrameCrossing] = []
        for line_id, zone in self._zones:
            crossed_in, crossed_out = zone.trigger(tracked)
            events += [FrameCrossing(line_id, "out", frame) for _ in range(int(np.sum(crossed_in)))]
            events += [FrameCrossing(line_id, "in", frame) for _ in range(int(np.sum(crossed_out)))]
        return events
