"""Detector decoding, checked on a real frame of a shared clip with both model families."""

from pathlib import Path

import numpy as np
import pytest

from metrica.vision.detector import (
    AUTO_INPUT_SIZE,
    DetectorConfig,
    DetectorError,
    OnnxDetector,
    input_shape_for,
    letterbox,
    yolox_grid,
)
from tests.support.data import YOLOV8N_INT8, YOLOX_NANO, plaza_frame


@pytest.mark.parametrize(
    ("model", "family"), [(YOLOX_NANO, "yolox"), (YOLOV8N_INT8, "ultralytics")]
)
def test_decodes_people_on_a_real_overhead_frame(model: Path, family: str) -> None:
    detector = OnnxDetector(model, DetectorConfig(score_threshold=0.3))
    assert detector.family == family
    frame = plaza_frame()
    found = detector.detect(frame)
    # The plaza shows 20-30 walkers at this moment (SOURCES.md: 21 and 32 at t=5 s).
    assert 15 <= len(found) <= 40
    assert set(found.class_id.tolist()) == {0}
    assert np.all(found.confidence >= 0.3)
    height, width = frame.shape[:2]
    x1, y1, x2, y2 = found.xyxy.T
    assert np.all((x2 > x1) & (y2 > y1))
    assert np.all((x1 > -20) & (y1 > -20) & (x2 < width + 20) & (y2 < height + 20))
    # Seen from above, people are roughly 40-200 px tall in this 1280x720 clip.
    assert 40 < float(np.median(y2 - y1)) < 200


def test_both_families_agree_on_where_people_are() -> None:
    frame = plaza_frame()
    a = OnnxDetector(YOLOX_NANO, DetectorConfig(score_threshold=0.4)).detect(frame)
    b = OnnxDetector(YOLOV8N_INT8, DetectorConfig(score_threshold=0.4)).detect(frame)
    centres_a = (a.xyxy[:, :2] + a.xyxy[:, 2:]) / 2
    centres_b = (b.xyxy[:, :2] + b.xyxy[:, 2:]) / 2
    nearest = np.linalg.norm(centres_a[:, None] - centres_b[None], axis=2).min(axis=1)
    # Most confident YOLOX people have a YOLOv8 box within 15 px: the letterbox maths agree.
    assert np.mean(nearest < 15) > 0.8


def test_class_filter_keeps_only_the_asked_classes() -> None:
    detector = OnnxDetector(YOLOX_NANO, DetectorConfig(score_threshold=0.3, classes=(2,)))
    assert len(detector.detect(plaza_frame())) < 3  # no cars on a pedestrian plaza


def test_letterbox_maps_boxes_back_to_the_source() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    for centred in (True, False):
        canvas, box = letterbox(image, (416, 416), centred=centred)
        assert canvas.shape == (416, 416, 3)
        corner = np.array([[box.pad_x, box.pad_y, 416 - box.pad_x, 416 - box.pad_y]], np.float32)
        if not centred:
            corner[0, 2:] = [1280 * box.scale, 720 * box.scale]
        assert box.to_source(corner)[0] == pytest.approx([0, 0, 1280, 720], abs=1.5)


def test_yolox_grid_matches_the_model_output_length() -> None:
    assert yolox_grid((416, 416)).shape == (52 * 52 + 26 * 26 + 13 * 13, 3) == (3549, 3)


def test_unreadable_model_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="cannot load model"):
        OnnxDetector(junk)


@pytest.mark.parametrize(
    ("frame_hw", "long_side", "expected"),
    [
        ((720, 1280), 640, (384, 640)),  # 16:9 → 640x360, padded up to a stride multiple
        ((720, 1280), 416, (256, 416)),
        ((360, 480), 640, (480, 640)),  # 4:3 is upscaled, exact multiple
        ((1080, 1920), 640, (384, 640)),
        ((1280, 720), 640, (640, 384)),  # portrait
        ((500, 500), 416, (416, 416)),
    ],
)
def test_input_shape_keeps_the_aspect_ratio_in_stride_multiples(
    frame_hw: tuple[int, int], long_side: int, expected: tuple[int, int]
) -> None:
    assert input_shape_for(frame_hw, long_side) == expected


def test_yolox_runs_at_a_16_9_input_by_default_and_finds_more_small_people() -> None:
    frame = plaza_frame()
    native = OnnxDetector(
        YOLOX_NANO, DetectorConfig(score_threshold=0.3, rect=False, input_size=416)
    )
    auto = OnnxDetector(YOLOX_NANO, DetectorConfig(score_threshold=0.3))
    assert native.input_hw_for(frame.shape[:2]) == (416, 416)
    assert auto.flexible
    assert auto.input_hw_for(frame.shape[:2]) == (384, AUTO_INPUT_SIZE)
    found_native, found_auto = native.detect(frame), auto.detect(frame)
    # The larger input resolves far walkers the 416 square merges or misses.
    assert len(found_auto) > len(found_native)
    centres = (found_auto.xyxy[:, :2] + found_auto.xyxy[:, 2:]) / 2
    centres_native = (found_native.xyxy[:, :2] + found_native.xyxy[:, 2:]) / 2
    nearest = np.linalg.norm(centres_native[:, None] - centres[None], axis=2).min(axis=1)
    assert np.mean(nearest < 15) > 0.8  # the same people, mapped back to the same pixels


def test_a_model_with_baked_in_sizes_keeps_its_own_size() -> None:
    detector = OnnxDetector(YOLOV8N_INT8, DetectorConfig(score_threshold=0.3))
    assert not detector.flexible
    assert detector.input_hw_for((720, 1280)) == (640, 640)
    assert len(detector.detect(plaza_frame())) >= 15


def test_another_input_size_on_a_fixed_model_says_how_to_fix_it() -> None:
    with pytest.raises(DetectorError, match="dynamic axes"):
        OnnxDetector(YOLOV8N_INT8, DetectorConfig(input_size=800))
    with pytest.raises(DetectorError, match="multiple of 32"):
        OnnxDetector(YOLOX_NANO, DetectorConfig(input_size=500))


def test_threads_do_not_spin_by_default_and_spinning_changes_no_detection() -> None:
    frame = plaza_frame()
    quiet = OnnxDetector(YOLOX_NANO, DetectorConfig(threads=2))
    spinning = OnnxDetector(YOLOX_NANO, DetectorConfig(threads=2, spin_wait=True))
    entry = "session.intra_op.allow_spinning"
    assert quiet._session.get_session_options().get_session_config_entry(entry) == "0"
    with pytest.raises(Exception, match="does not have configuration"):
        spinning._session.get_session_options().get_session_config_entry(entry)  # the default
    a, b = quiet.detect(frame), spinning.detect(frame)
    assert len(a) > 5
    np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-3)
    assert repr(quiet.config) == repr(DetectorConfig(threads=2))  # the cache key ignores it
