"""What a plate reader hands the plate service: the contract between `metrica.plates`
(reading, on ONNX Runtime) and `metrica.server.plates` (jobs, storage, search).

The server never imports the reader (a backend installs without OpenCV or ONNX Runtime);
the command that starts a server or a plate worker passes an `UploadProcessor` in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

UploadKind = Literal["video", "image"]
VehicleClass = Literal["car", "bus", "truck", "motorcycle", "unknown"]

Progress = Callable[[int, int], None]
"""Called as `progress(done, total)` while an upload is processed (frames or images)."""


@dataclass(frozen=True, slots=True)
class PlateFound:
    """One plate read from an upload: one per vehicle track in a video, one per plate in
    a photo. `track_key` is stable when the same upload is processed again (the track's
    index in processing order, or the plate's index in a photo), so that a job that is
    rerun after a crash stores each plate once (event id = f(job id, track_key))."""

    track_key: int
    text: str  # as read, after the region template (e.g. "AB123CD")
    normalized: str  # upper-case A-Z0-9 only, what search matches on
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # x, y, w, h of the plate in the best frame
    vehicle_class: VehicleClass
    first_seen_s: float  # media time in the upload (0 for a photo)
    last_seen_s: float
    crop_jpeg: bytes  # the best crop of the vehicle with its plate, JPEG


class UploadProcessor(Protocol):
    """Reads every plate in an uploaded file. Deterministic for the same file."""

    def process(self, path: Path, kind: UploadKind, progress: Progress) -> Iterator[PlateFound]:
        """Yield plates as they are found; raise `ValueError` for a file it cannot read."""
        ...
