"""`UploadProcessor` for the plate service: a video gives one plate per vehicle track,
a photo one per plate. Load once (seconds), then `process` each upload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from metrica.domain.plates import PlateFound, Progress, UploadKind
from metrica.plates.loading import PlateSettings, load_reader
from metrica.plates.reader import PlateReader
from metrica.plates.scan import PlateScanner, ScanConfig
from metrica.vision.sources import SourceError

MAX_IMAGE_PIXELS = 100_000_000  # a decompression bomb is refused, not decoded


def normalized(text: str) -> str:
    """What search matches on: upper-case A-Z and 0-9 only."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


def read_image(path: Path) -> np.ndarray:
    """A BGR image from a file; `ValueError` when it is not one we can decode."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    header = cv2.imdecode(data, cv2.IMREAD_REDUCED_GRAYSCALE_8) if data.size else None
    if header is None or header.size * 64 > MAX_IMAGE_PIXELS:
        raise ValueError(f"not a readable image (or over {MAX_IMAGE_PIXELS} pixels): {path}")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"not a readable image: {path}")
    return np.asarray(image, np.uint8)


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return bytes(data) if ok else b""


class PlateUploadProcessor:
    """Reads every plate in an uploaded video or photo (see `metrica.domain.plates`)."""

    def __init__(
        self,
        reader: PlateReader | None = None,
        settings: PlateSettings | None = None,
        scan: ScanConfig | None = None,
    ) -> None:
        self._reader, self._settings, self._scan = reader, settings, scan
        self._scanner: PlateScanner | None = None
        self._loading = threading.Lock()

    @property
    def reader(self) -> PlateReader:
        """Loaded on the first upload, not when a server starts: a server whose machine
        lacks a model still starts, and its jobs fail naming the missing file
        (`PlateSetupError` is a `ValueError`, which the job runner does not retry)."""
        with self._loading:
            if self._reader is None:
                self._reader = load_reader(self._settings)
            return self._reader

    @property
    def scanner(self) -> PlateScanner:
        reader = self.reader
        with self._loading:
            if self._scanner is None:
                self._scanner = PlateScanner(reader, self._scan)
            return self._scanner

    def process(self, path: Path, kind: UploadKind, progress: Progress) -> Iterator[PlateFound]:
        if kind == "image":
            yield from self._image(path, progress)
        else:
            yield from self._video(path, progress)

    def _image(self, path: Path, progress: Progress) -> Iterator[PlateFound]:
        image = read_image(path)
        h, w = image.shape[:2]
        for key, plate in enumerate(self.reader.read(image)):
            vx, vy, vw, vh = plate.vehicle_box
            yield PlateFound(
                track_key=key,
                text=plate.text,
                normalized=normalized(plate.text),
                confidence=plate.confidence,
                box=plate.box,
                vehicle_class=plate.vehicle_class,
                first_seen_s=0.0,
                last_seen_s=0.0,
                crop_jpeg=_jpeg(image[vy : min(h, vy + vh), vx : min(w, vx + vw)]),
            )
        progress(1, 1)

    def _video(self, path: Path, progress: Progress) -> Iterator[PlateFound]:
        try:
            for event in self.scanner.scan(path, progress):
                yield PlateFound(
                    track_key=event.track_key,
                    text=event.text,
                    normalized=normalized(event.text),
                    confidence=event.confidence,
                    box=event.box,
                    vehicle_class=event.vehicle_class,
                    first_seen_s=event.first_seen_s,
                    last_seen_s=event.last_seen_s,
                    crop_jpeg=event.best_crop_jpeg,
                )
        except SourceError as exc:
            raise ValueError(str(exc)) from None
