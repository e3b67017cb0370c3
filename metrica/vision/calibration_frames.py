"""Frames to calibrate a quantised model on: a fixed, even spread over local clips.

Reading video is all this module does; `metrica.vision.quantize` never touches a file but
the models. The spread is deterministic (same clips, same frames), so two runs make the
same model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from metrica.vision.quantize import QuantizeError
from metrica.vision.shared_data import data_dir

# Clips outside every scored truth file's pooled figures: the Oxford Town Centre street
# (town_centre_1080p has a 5-crossing truth file of our own, a smoke class kept apart).
DEFAULT_CALIBRATION_CLIPS = ("town_centre_short.mp4", "town_centre_1080p.mp4")


def default_calibration_clips() -> list[Path]:
    """The shared data folder's default calibration clips that exist here."""
    clips = (data_dir() / "videos" / name for name in DEFAULT_CALIBRATION_CLIPS)
    return [clip for clip in clips if clip.is_file()]


def frame_counts(clips: Sequence[Path]) -> list[int]:
    """Each clip's frame count; `QuantizeError` for a missing or unreadable clip."""
    counts = []
    for clip in clips:
        if not clip.is_file():
            raise QuantizeError(f"calibration clip not found: {clip}")
        capture = cv2.VideoCapture(str(clip))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        capture.release()
        if count <= 0:
            raise QuantizeError(f"cannot read calibration clip {clip} (not a video?)")
        counts.append(count)
    return counts


def spread(counts: Sequence[int], total: int) -> list[list[int]]:
    """Frame indices per clip: `total` frames shared evenly (remainder to the first clips),
    each clip's share centred in equal slices of it, never more than it has."""
    if total < 1:
        raise QuantizeError(f"calibration frames must be at least 1, got {total}")
    share, extra = divmod(total, len(counts))
    picks = []
    for number, count in enumerate(counts):
        n = min(count, share + (1 if number < extra else 0))
        picks.append([int((k + 0.5) * count / n) for k in range(n)])
    return picks


def calibration_frames(clips: Sequence[Path], total: int) -> Iterator[npt.NDArray[np.uint8]]:
    """About `total` BGR frames spread evenly over `clips` (fewer if the clips are short)."""
    if not clips:
        raise QuantizeError("no calibration clips given")
    for clip, indices in zip(clips, spread(frame_counts(clips), total), strict=True):
        capture = cv2.VideoCapture(str(clip))
        try:
            for index in indices:
                capture.set(cv2.CAP_PROP_POS_FRAMES, index)
                ok, image = capture.read()
                if ok:
                    yield np.asarray(image, np.uint8)
        finally:
            capture.release()
