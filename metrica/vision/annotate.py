"""Annotated debug video: tracked boxes, counting lines with their IN side, live counts.

People place counting lines by eye, and a line whose IN side points the wrong way
silently swaps IN and OUT; an overlay video shows both at a glance. Drawing is a pure
function of a frame (so it can also feed a calibration snapshot); `VideoAnnotator` only
adds the file writer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from metrica.domain.geometry import CountingLine
from metrica.vision.sources import Closing

"""(line_id, x1, y1, x2, y2) in normalised coordinates, directed P1→P2 as in
`metrica.domain.geometry`: IN is crossing from the left-hand to the right-hand side."""

LINE_BGR = (0, 215, 255)
IN_BGR = (80, 220, 60)
TEXT_BGR = (255, 255, 255)
PALETTE_BGR = (
    (230, 120, 40),
    (60, 60, 240),
    (200, 60, 200),
    (40, 200, 230),
    (120, 200, 60),
    (240, 180, 120),
    (90, 140, 255),
    (180, 180, 40),
)
FONT = cv2.FONT_HERSHEY_SIMPLEX


class AnnotateError(ValueError):
    """An output video that cannot be written, or a frame that does not fit it."""


def in_normal_px(line: CountingLine, width: int, height: int) -> tuple[float, float]:
    """Unit vector, in pixels, pointing from the line into its IN side.

    That is the side where cross(P2−P1, X−P1) > 0, i.e. the segment direction turned a
    quarter clockwise on screen (y points down).
    """
    dx, dy = (line.x2 - line.x1) * width, (line.y2 - line.y1) * height
    length = math.hypot(dx, dy)
    if length == 0.0:
        raise AnnotateError(f"line {line.line_id} has zero length on a {width}x{height} frame")
    return (-dy / length, dx / length)


def _scale(image: npt.NDArray[np.uint8]) -> float:
    """Stroke and font scale that stay readable from 360p to 4K."""
    return max(0.4, float(min(image.shape[:2])) / 720.0)


def _label(
    image: npt.NDArray[np.uint8], text: str, org: tuple[int, int], bgr: tuple[int, int, int]
) -> None:
    scale = _scale(image)
    font_scale, thickness = 0.6 * scale, max(1, round(1.5 * scale))
    (w, h), base = cv2.getTextSize(text, FONT, font_scale, thickness)
    x = min(max(org[0], 0), max(image.shape[1] - w, 0))
    y = min(max(org[1], h + base), image.shape[0] - 1)
    cv2.rectangle(image, (x, y - h - base), (x + w, y + base // 2), bgr, cv2.FILLED)
    cv2.putText(image, text, (x, y - base // 2), FONT, font_scale, TEXT_BGR, thickness, cv2.LINE_AA)


def draw_overlay(
    frame_bgr: npt.NDArray[np.uint8],
    *,
    boxes_xyxy: npt.NDArray[np.floating] | npt.NDArray[np.integer],
    track_ids: npt.NDArray[np.integer],
    lines: Sequence[CountingLine],
    counts: Mapping[str, tuple[int, int]],
) -> npt.NDArray[np.uint8]:
    """A copy of `frame_bgr` (h, w, 3) with boxes `(n, 4)` in pixels labelled by
    `track_ids` `(n,)`, each line with an IN arrow, and `counts[line_id] = (in, out)`."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    ids = np.asarray(track_ids).reshape(-1)
    if len(boxes) != len(ids):
        raise AnnotateError(f"{len(boxes)} boxes but {len(ids)} track ids")
    image = frame_bgr.copy()
    height, width = image.shape[:2]
    thickness = max(1, round(2 * _scale(image)))
    for (x1, y1, x2, y2), track_id in zip(boxes.round().astype(int), ids, strict=True):
        bgr = PALETTE_BGR[int(track_id) % len(PALETTE_BGR)]
        cv2.rectangle(image, (x1, y1), (x2, y2), bgr, thickness)
        _label(image, f"#{int(track_id)}", (x1, y1 - thickness), bgr)
    for line in lines:
        line_id = line.line_id
        p1 = (round(line.x1 * width), round(line.y1 * height))
        p2 = (round(line.x2 * width), round(line.y2 * height))
        cv2.line(image, p1, p2, LINE_BGR, thickness + 1, cv2.LINE_AA)
        nx, ny = in_normal_px(line, width, height)
        arrow_px = 40 * _scale(image)
        mid = ((p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2)
        tip = (round(mid[0] + nx * arrow_px), round(mid[1] + ny * arrow_px))
        cv2.arrowedLine(
            image, (round(mid[0]), round(mid[1])), tip, IN_BGR, thickness + 1, cv2.LINE_AA, 0, 0.35
        )
        _label(image, "IN", (tip[0] + thickness, tip[1] + thickness), IN_BGR)
        n_in, n_out = counts.get(line_id, (0, 0))
        _label(
            image, f"{line_id} in {n_in} / out {n_out}", (p1[0], p1[1] - 2 * thickness), (0, 0, 0)
        )
    return image


class VideoAnnotator(Closing):
    """Writes annotated frames to an mp4 at the source's fps and size."""

    def __init__(self, path: Path, *, fps: float, width: int, height: int) -> None:
        if not (math.isfinite(fps) and fps > 0) or width <= 0 or height <= 0:
            raise AnnotateError(f"bad output format for {path}: {width}x{height} @ {fps} fps")
        self.path, self.size = path, (width, height)
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        self._writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
        if not self._writer.isOpened():
            raise AnnotateError(f"cannot write video: {path}")
        self.frames_written = 0

    def draw(
        self,
        frame_bgr: npt.NDArray[np.uint8],
        *,
        boxes_xyxy: npt.NDArray[np.floating] | npt.NDArray[np.integer],
        track_ids: npt.NDArray[np.integer],
        lines: Sequence[CountingLine],
        counts: Mapping[str, tuple[int, int]],
    ) -> npt.NDArray[np.uint8]:
        """See `draw_overlay`; nothing is written."""
        return draw_overlay(
            frame_bgr, boxes_xyxy=boxes_xyxy, track_ids=track_ids, lines=lines, counts=counts
        )

    def write(self, frame_bgr: npt.NDArray[np.uint8]) -> None:
        """Append a frame; a wrong size is an error (OpenCV would drop it silently)."""
        height, width = frame_bgr.shape[:2]
        if (width, height) != self.size or frame_bgr.ndim != 3:
            raise AnnotateError(f"frame {width}x{height} does not fit {self.path} {self.size}")
        self._writer.write(frame_bgr)
        self.frames_written += 1

    def close(self) -> None:
        self._writer.release()
