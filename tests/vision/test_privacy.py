"""Calibration snapshots leave the box with every person blurred: on a real frame of a
busy clip, no person box the detector finds keeps its original detail in the JPEG that
would be uploaded, while the rest of the scene stays as it was."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from metrica.edge.control import encode_snapshot
from metrica.vision.detector import OnnxDetector
from metrica.vision.privacy import blur_people, padded_boxes
from metrica.vision.sources import FileSource
from tests.support.data import YOLOX_NANO, video

Image = npt.NDArray[np.uint8]


def _frame(name: str, index: int) -> Image:
    source = FileSource(video(name))
    try:
        for i, frame in enumerate(source.frames()):
            if i == index:
                return frame.image
    finally:
        source.close()
    raise AssertionError(f"{name} has fewer than {index + 1} frames")


def _detail(gray: npt.NDArray[np.float64]) -> float:
    """High-frequency energy: what makes a face or a pattern recognisable."""
    return float(np.var(cv2.Laplacian(gray, cv2.CV_64F)))


@pytest.mark.parametrize(
    ("clip", "index"), [("town_centre_short.mp4", 30), ("overhead_plaza.mp4", 60)]
)
def test_no_person_keeps_its_pixels_in_the_uploaded_snapshot(clip: str, index: int) -> None:
    detector = OnnxDetector(YOLOX_NANO)
    image = _frame(clip, index)
    people = detector.detect(image)
    assert len(people) >= 3, "the frame must show people for the test to mean anything"

    blurred, found = blur_people(image, detector)
    uploaded = cv2.imdecode(np.frombuffer(encode_snapshot(blurred), np.uint8), cv2.IMREAD_COLOR)
    assert uploaded.shape == image.shape  # the size the real upload has

    original_gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    uploaded_gray = cv2.cvtColor(uploaded, cv2.COLOR_BGR2GRAY).astype(np.float64)
    covered = np.zeros(image.shape[:2], bool)
    for left, top, right, bottom in padded_boxes(people.xyxy, image.shape, pad_fraction=0.0):
        before = original_gray[top:bottom, left:right]
        after = uploaded_gray[top:bottom, left:right]
        assert _detail(after) < 0.2 * _detail(before), (left, top, right, bottom)
        unchanged = np.abs(after - before) <= 2
        assert unchanged.mean() < 0.5, (left, top, right, bottom)
        covered[top:bottom, left:right] = True
    assert found >= len(people)
    outside = np.abs(uploaded_gray - original_gray)[~covered]
    assert np.median(outside) <= 4  # the scene itself only went through JPEG


def test_boxes_are_padded_and_clipped_to_the_frame() -> None:
    boxes = np.array([[10.0, 10.0, 30.0, 50.0], [-5.0, 90.0, 20.0, 130.0], [np.nan, 0, 1, 1]])
    assert padded_boxes(boxes, (100, 200, 3)) == [(7, 4, 33, 56), (0, 84, 24, 100)]
