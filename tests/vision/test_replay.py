"""A file replayed as a live camera: paced, looped without a gap, newest frame only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from metrica.vision.replay import PacedFileCapture, open_replayed_camera
from metrica.vision.sources import LiveSource, SourceError

FPS = 20.0
FRAMES = 6  # 0.3 s of clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny clip whose frame n is filled with grey level 40 * n (readable after decode)."""
    path = tmp_path_factory.mktemp("replay") / "tiny.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (64, 48))
    for n in range(FRAMES):
        writer.write(np.full((48, 64, 3), 40 * n, np.uint8))
    writer.release()
    return path


def grey(image: np.ndarray) -> int:
    return round(float(image.mean()) / 40)


def test_frames_come_no_faster_than_the_clip_plays_and_it_loops_in_order(clip: Path) -> None:
    capture = PacedFileCapture(clip)
    started = time.monotonic()
    seen = []
    for _ in range(2 * FRAMES + 2):
        ok, image = capture.read()
        assert ok
        seen.append(grey(image))
    elapsed_s = time.monotonic() - started
    capture.release()
    assert seen == [n % FRAMES for n in range(2 * FRAMES + 2)]  # rewinds, no gap
    assert elapsed_s >= (2 * FRAMES + 1) / FPS * 0.95  # a camera cannot send early


def test_a_slow_reader_gets_the_newest_frame_and_the_rest_are_dropped(clip: Path) -> None:
    with open_replayed_camera(clip) as source:
        assert source.wait_status(lambda s: s.frames_read >= 3 * FRAMES, timeout_s=20.0)
        frame = next(iter(source.frames()))
        status = source.status
        assert status.frames_dropped >= 2 * FRAMES  # nobody took them
        assert status.reconnects == 0  # looping is not a reconnect
        assert frame.index >= 3 * FRAMES - 1  # the newest, not the oldest
        assert frame.connection == 1
        assert (source.width, source.height, source.fps) == (64, 48, FPS)


class CountingCapture(PacedFileCapture):
    """The paced clip, counting the BGR conversions the reader asks for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.retrieved = 0

    def retrieve(self) -> tuple[bool, Any]:
        self.retrieved += 1
        return super().retrieve()


def test_frames_that_arrive_while_the_consumer_is_busy_are_never_converted(clip: Path) -> None:
    capture = CountingCapture(clip)
    with LiveSource(str(clip), opener=lambda *_: capture) as source:
        frames = source.frames()
        first = next(frames)
        # busy: the reader keeps grabbing the camera's frames without converting them
        busy_until = first.index + 3 * FRAMES
        assert source.wait_status(lambda s: s.frames_read > busy_until, timeout_s=20.0)
        second = next(frames)
        status = source.status
    assert second.index >= busy_until  # the newest frame, not one from while we were busy
    assert grey(second.image) == second.index % FRAMES  # and its own image
    assert status.frames_dropped >= 3 * FRAMES - 1  # counted as dropped ...
    assert capture.retrieved < FRAMES  # ... though at most a few were converted (not 3 * FRAMES)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        open_replayed_camera(tmp_path / "nope.mp4")
