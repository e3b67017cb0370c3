"""Overlay drawing and the annotated video file, on real frames."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from metrica.domain.geometry import CountingLine
from metrica.vision.annotate import AnnotateError, VideoAnnotator, draw_overlay, in_normal_px
from metrica.vision.sources import Frame, open_source
from tests.support.data import video

CLIP = video("town_centre_short.mp4")  # 690x388, 10 fps, 41 frames
LINE = CountingLine("L1", 0.1, 0.6, 0.9, 0.6)


@pytest.fixture
def frames() -> list[Frame]:
    with open_source(str(CLIP)) as source:
        return list(itertools.islice(source.frames(), 5))


def _line_pixels(line: CountingLine, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel coordinates sampled along the middle 80% of a line."""
    x1, y1, x2, y2 = line.x1, line.y1, line.x2, line.y2
    s = np.linspace(0.1, 0.9, 50)
    xs = np.round((x1 + (x2 - x1) * s) * width).astype(int)
    ys = np.round((y1 + (y2 - y1) * s) * height).astype(int)
    return ys, xs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (CountingLine("a", 0.0, 0.5, 1.0, 0.5), (0.0, 1.0)),  # → : IN is below
        (CountingLine("b", 1.0, 0.5, 0.0, 0.5), (0.0, -1.0)),  # ← : IN is above
        (CountingLine("c", 0.5, 0.0, 0.5, 1.0), (-1.0, 0.0)),  # ↓ : IN is to the left
        (CountingLine("d", 0.5, 1.0, 0.5, 0.0), (1.0, 0.0)),  # ↑ : IN is to the right
    ],
)
def test_in_normal_points_to_the_positive_cross_side(
    line: CountingLine, expected: tuple[float, float]
) -> None:
    nx, ny = in_normal_px(line, 640, 360)
    assert (nx, ny) == pytest.approx(expected)
    dx, dy = (line.x2 - line.x1) * 640, (line.y2 - line.y1) * 360
    assert dx * ny - dy * nx > 0  # cross(P2−P1, n) > 0, the domain's IN side


def test_a_line_with_zero_length_in_pixels_is_an_error() -> None:
    # A CountingLine is never zero length; on a frame with no width a level one is.
    with pytest.raises(AnnotateError, match="line z has zero length"):
        in_normal_px(CountingLine("z", 0.3, 0.3, 0.8, 0.3), 0, 360)


def test_annotated_video_round_trips(frames: list[Frame], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    height, width = frames[0].image.shape[:2]
    boxes = np.array([[100, 80, 160, 220], [400, 150, 450, 300]], dtype=np.float32)
    ids = np.array([3, 17])
    drawn = []
    with VideoAnnotator(out, fps=10.0, width=width, height=height) as annotator:
        for i, frame in enumerate(frames):
            image = annotator.draw(
                frame.image, boxes_xyxy=boxes, track_ids=ids, lines=[LINE], counts={"L1": (i, 2)}
            )
            assert image is not frame.image
            annotator.write(image)
            drawn.append(image)
        assert annotator.frames_written == len(frames)

    cap = cv2.VideoCapture(str(out))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
        width,
        height,
    )
    decoded = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        decoded.append(image)
    cap.release()
    assert len(decoded) == len(frames)

    ys, xs = _line_pixels(LINE, width, height)
    line_bgr = np.array([0, 215, 255], dtype=float)
    for original, written in zip(frames, decoded, strict=True):
        before = original.image[ys, xs].astype(float)
        after = written[ys, xs].astype(float)
        assert np.abs(after - before).mean() > 40  # the line is really there, after encoding
        assert np.abs(after - line_bgr).mean() < 40  # and it is the line colour
    # Box outlines are drawn; the box interiors and the source frames are left alone.
    assert not np.array_equal(drawn[0][80, 100:160], frames[0].image[80, 100:160])
    assert np.array_equal(drawn[0][150, 130], frames[0].image[150, 130])


def test_draw_rejects_mismatched_ids(frames: list[Frame]) -> None:
    with pytest.raises(AnnotateError, match="2 boxes but 1 track ids"):
        draw_overlay(
            frames[0].image,
            boxes_xyxy=np.zeros((2, 4)),
            track_ids=np.array([1]),
            lines=[],
            counts={},
        )


def test_empty_detections_and_missing_counts(frames: list[Frame]) -> None:
    image = draw_overlay(
        frames[0].image,
        boxes_xyxy=np.zeros((0, 4)),
        track_ids=np.zeros(0, dtype=int),
        lines=[LINE],
        counts={},
    )
    assert image.shape == frames[0].image.shape
    assert not np.array_equal(image, frames[0].image)


def test_write_rejects_a_frame_of_the_wrong_size(frames: list[Frame], tmp_path: Path) -> None:
    with (
        VideoAnnotator(tmp_path / "out.mp4", fps=10.0, width=320, height=240) as annotator,
        pytest.raises(AnnotateError, match="does not fit"),
    ):
        annotator.write(frames[0].image)


def test_unwritable_output_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AnnotateError, match="cannot write video"):
        VideoAnnotator(tmp_path / "no" / "such" / "dir" / "out.mp4", fps=10, width=64, height=64)
