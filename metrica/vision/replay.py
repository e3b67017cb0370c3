"""A video file replayed as a live camera: looped, in real time, newest frame only.

For benches and demos that must behave exactly as an RTSP camera does: frames are decoded
on the source's reader thread at the clip's own rate whether or not anybody takes them,
and a pipeline slower than the camera gets the newest frame and drops the rest
(`LiveSource`'s semantics, through its `opener`). The clip loops without a gap, so the
stream never "reconnects"; time keeps running across loops.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import cv2

from metrica.vision.sources import LiveSource, SourceError

MAX_LATE_FRAMES = 2  # a reader this far behind its clock skips ahead instead of bursting


class PacedFileCapture:
    """A `cv2.VideoCapture` look-alike that hands out a file's frames at its own frame
    rate, forever (it rewinds at the end), as a camera's stream would arrive."""

    def __init__(self, path: Path) -> None:
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise SourceError(f"cannot decode video: {path}")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        if not 0 < fps <= 1000:
            self._cap.release()
            raise SourceError(f"cannot read frame rate of video: {path}")
        self._period_s = 1.0 / fps
        self._next_s = time.monotonic()

    def get(self, prop: int) -> float:
        return float(self._cap.get(prop))

    def grab(self) -> bool:
        """Decode the next frame once its time has come (a camera cannot send frames early)."""
        wait_s = self._next_s - time.monotonic()
        if wait_s > 0:
            time.sleep(wait_s)  # at most one frame period: the reader notices a stop soon
        now_s = time.monotonic()
        if now_s - self._next_s > MAX_LATE_FRAMES * self._period_s:
            self._next_s = now_s  # starved of CPU: resume from now, as a camera's clock does
        self._next_s += self._period_s
        if self._cap.grab():
            return True
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return bool(self._cap.grab())

    def retrieve(self) -> tuple[bool, Any]:
        """The grabbed frame as a BGR image (the conversion a busy reader skips)."""
        ok, image = self._cap.retrieve()
        return bool(ok and image is not None), image

    def read(self) -> tuple[bool, Any]:
        """grab() and retrieve(), as cv2.VideoCapture.read."""
        if not self.grab():
            return False, None
        return self.retrieve()

    def release(self) -> None:
        self._cap.release()


def open_replayed_camera(path: Path, *, stop: threading.Event | None = None) -> LiveSource:
    """`path` served as a live camera (see the module doc); read it like any `LiveSource`."""
    if not path.is_file():
        raise SourceError(f"video not found: {path}")

    def opener(target: str | int, open_timeout_s: float, read_timeout_s: float) -> Any:
        del target, open_timeout_s, read_timeout_s  # a file opens at once
        try:
            return PacedFileCapture(path)
        except SourceError:
            return None  # LiveSource logs it and retries with backoff, as for a camera

    return LiveSource(str(path), stop=stop, opener=opener)
