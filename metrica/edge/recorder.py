"""Audit clips on the box: the next `seconds` of the stream, as the frame loop sees it,
written to a WebM (VP8) file that Chromium and Firefox play. OpenCV's wheels carry no
H.264 encoder (no `avc1`), and VP8 needs nothing beyond them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

FOURCC = "VP80"
SUFFIX = ".webm"


class RecorderError(ValueError):
    """The encoder could not be opened (a build of OpenCV without VP8)."""


class ClipRecorder:
    """Writes frames until `frames_wanted` are in; `add` says when it is done."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], frames_wanted: int) -> None:
        self.path, self.frames_wanted, self.frames = path, max(1, frames_wanted), 0
        self._size = size
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*FOURCC), fps, size)
        if not self._writer.isOpened():
            raise RecorderError(f"cannot open a {FOURCC} writer for {path}")

    def add(self, image: npt.NDArray[np.uint8]) -> bool:
        """Append a frame (resized if the stream changed size); True once complete."""
        height, width = image.shape[:2]
        if (width, height) != self._size:
            image = np.asarray(cv2.resize(image, self._size), dtype=np.uint8)
        self._writer.write(image)
        self.frames += 1
        return self.frames >= self.frames_wanted

    def close(self) -> None:
        self._writer.release()


def cut_clip(source: Path, destination: Path, seconds: float, start_s: float = 0.0) -> int:
    """Copy `seconds` of a video file into a WebM clip (tests and demos make clips with
    this); returns the frames written."""
    capture = cv2.VideoCapture(str(source))
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
        size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        first = round(start_s * fps)
        recorder = ClipRecorder(destination, fps, size, round(seconds * fps))
        try:
            index = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                if index >= first and recorder.add(np.asarray(image, dtype=np.uint8)):
                    break
                index += 1
        finally:
            recorder.close()
        return recorder.frames
    finally:
        capture.release()
