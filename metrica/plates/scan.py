"""A video in, one plate event per vehicle track out, its text voted over the track.

Vehicles are detected and tracked with ByteTrack (as people are in `metrica.vision`);
each tracked vehicle's plate is read on sampled frames, and when the track ends its reads
are voted into one text. Per-track state is dropped when the track is emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from metrica.domain.plates import VehicleClass
from metrica.plates.reader import VEHICLE_CLASSES, Box, PlateRead, PlateReader
from metrica.plates.templates import fit_templates
from metrica.plates.voting import Vote, vote
from metrica.vision.detections import Detections
from metrica.vision.sources import FileSource
from metrica.vision.tracking import PersonTracker, TrackerConfig

ScanProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanConfig:
    """Sampling and track settings; times in seconds."""

    sample_fps: float = 5.0  # frames read per second of video (OCR is the cost)
    lost_track_s: float = 1.5  # a vehicle unseen this long has left
    max_reads_per_track: int = 30  # enough to vote; bounds memory on a parked car


@dataclass(frozen=True, slots=True)
class PlateEvent:
    """One vehicle's plate over its track."""

    track_key: int  # order of emission, stable for the same file and settings
    text: str
    confidence: float
    box: Box  # the plate in the best frame
    vehicle_class: VehicleClass
    first_seen_s: float
    last_seen_s: float
    reads: int
    best_crop_jpeg: bytes = field(repr=False)


@dataclass
class _Track:
    first_s: float
    last_s: float
    votes: list[Vote] = field(default_factory=list)
    classes: dict[VehicleClass, float] = field(default_factory=dict)
    best: PlateRead | None = None
    best_crop: bytes = b""


def _crop_jpeg(image: np.ndarray, box: Box) -> bytes:
    x, y, w, h = box
    ok, data = cv2.imencode(".jpg", image[y : y + h, x : x + w], [cv2.IMWRITE_JPEG_QUALITY, 85])
    return bytes(data) if ok else b""


def frame_count(path: Path) -> int:
    """The container's frame count (0 when it does not say), for progress."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        return max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    finally:
        cap.release()


def merge_overlaps(dets: Detections, iou: float = 0.6) -> Detections:
    """One box per vehicle: the detector may call one vehicle both a car and a truck."""
    if len(dets) < 2:
        return dets
    order = np.argsort(-dets.confidence)
    keep: list[int] = []
    for i in order:
        a = dets.xyxy[i]
        if all(_box_iou(a, dets.xyxy[k]) < iou for k in keep):
            keep.append(int(i))
    mask = np.zeros(len(dets), bool)
    mask[keep] = True
    return dets.filter(mask)


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    iy = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = ix * iy
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def _class_of(xyxy: np.ndarray, dets: Detections) -> VehicleClass:
    """The class of the detection that overlaps a tracked box most."""
    if len(dets) == 0:
        return "unknown"
    ix = np.clip(
        np.minimum(xyxy[2], dets.xyxy[:, 2]) - np.maximum(xyxy[0], dets.xyxy[:, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(xyxy[3], dets.xyxy[:, 3]) - np.maximum(xyxy[1], dets.xyxy[:, 1]), 0, None
    )
    return VEHICLE_CLASSES.get(int(dets.class_id[int((ix * iy).argmax())]), "unknown")


class PlateScanner:
    """Scans one video at a time with a loaded reader (its detector finds the vehicles)."""

    def __init__(self, reader: PlateReader, config: ScanConfig | None = None) -> None:
        if reader.detector is None:
            raise ValueError("scanning a video needs a reader with a vehicle detector")
        self.reader = reader
        self.detector = reader.detector
        self.config = config or ScanConfig()

    def scan(self, path: Path, progress: ScanProgress | None = None) -> Iterator[PlateEvent]:
        """Plate events in the order their tracks end; `SourceError` for an unreadable file."""
        cfg = self.config
        with FileSource(path) as source:
            total = frame_count(path)
            step = max(1, round(source.fps / cfg.sample_fps))
            tracker = PersonTracker(
                source.fps / step,
                TrackerConfig(
                    lost_track_s=cfg.lost_track_s,
                    activation_threshold=0.3,
                    high_confidence_threshold=0.3,
                    min_iou=0.2,
                    confirm_frames=1,
                    single_pass=False,  # measured on people counting only; plates keep stock
                ),
            )
            tracks: dict[int, _Track] = {}
            emitted = 0
            for frame in source.frames():
                if progress is not None:
                    progress(frame.index + 1, max(total, frame.index + 1))
                if frame.index % step:
                    continue
                dets = merge_overlaps(self.detector.detect(frame.image))
                tracked = tracker.update(dets, frame.t_s)
                for xyxy, track_id in zip(tracked.xyxy, tracked.track_id, strict=True):
                    track = tracks.setdefault(int(track_id), _Track(frame.t_s, frame.t_s))
                    track.last_s = frame.t_s
                    self._observe(track, frame.image, xyxy, _class_of(xyxy, dets))
                for track_id in [
                    t for t, tr in tracks.items() if frame.t_s - tr.last_s > cfg.lost_track_s
                ]:
                    event = self._finish(tracks.pop(track_id), emitted)
                    if event is not None:
                        emitted += 1
                        yield event
            for track_id in sorted(tracks):
                event = self._finish(tracks.pop(track_id), emitted)
                if event is not None:
                    emitted += 1
                    yield event

    def _observe(
        self, track: _Track, image: np.ndarray, xyxy: np.ndarray, cls: VehicleClass
    ) -> None:
        track.classes[cls] = track.classes.get(cls, 0.0) + 1.0
        if len(track.votes) >= self.config.max_reads_per_track:
            return
        x0, y0, x1, y1 = (float(v) for v in xyxy)
        plates = self.reader.read_vehicle(image, (x0, y0, x1, y1), cls)
        if not plates:
            return
        plate = plates[0]
        track.votes.append(Vote(plate.probs, plate.score))
        if track.best is None or plate.score > track.best.score:
            track.best = plate
            h, w = image.shape[:2]
            vx, vy = max(0, int(x0)), max(0, int(y0))
            track.best_crop = _crop_jpeg(
                image, (vx, vy, min(w, int(x1)) - vx, min(h, int(y1)) - vy)
            )

    def _finish(self, track: _Track, key: int) -> PlateEvent | None:
        if track.best is None:
            return None
        probs, agreement = vote(track.votes)
        fit = fit_templates(probs, self.reader.templates)
        confidence = float(np.exp(np.log(np.maximum(probs.max(axis=1), 1e-9)).mean()))
        cls = max(track.classes, key=lambda c: track.classes[c])
        return PlateEvent(
            track_key=key,
            text=fit.text,
            confidence=round(confidence * agreement, 4),
            box=track.best.box,
            vehicle_class=cls,
            first_seen_s=track.first_s,
            last_seen_s=track.last_s,
            reads=len(track.votes),
            best_crop_jpeg=track.best_crop,
        )
