"""The motion gate: the detector runs when something moves near a line, or once a second."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from metrica.domain.geometry import CountingLine
from metrica.evaluation.run import evaluate_clip, frame_size_of
from metrica.vision.detections import Detections
from metrica.vision.motion import MotionGate, MotionGateConfig, watched_mask
from metrica.vision.pipeline import CountingPipeline, PipelineConfig
from metrica.vision.sources import open_source
from tests.support.data import YOLOX_NANO, truth

LINE = CountingLine("L1", 0.0, 0.5, 1.0, 0.5)  # across the middle of the frame
SIZE = (1280, 720)


def frame_with_person_at(x: int, y: int) -> npt.NDArray[np.uint8]:
    """A grey 1280x720 frame with a dark 40x120 'person' whose top-left corner is (x, y)."""
    image = np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
    image[y : y + 120, x : x + 40] = 20
    return image


def test_the_watched_area_is_the_band_around_each_segment() -> None:
    mask = watched_mask([LINE], (160, 90), reach=0.15)
    rows = np.flatnonzero(mask.any(axis=1))
    assert 30 <= rows.min() <= 33
    assert 57 <= rows.max() <= 60
    assert mask[45].all()
    assert not mask[10].any()
    assert not mask[80].any()
    half = watched_mask([CountingLine("L", 0.0, 0.5, 0.5, 0.5)], (160, 90), reach=0.15)
    assert half[45, :75].all()
    assert not half[45, 100:].any()


def test_a_still_scene_is_detected_once_a_second() -> None:
    gate = MotionGate([LINE], MotionGateConfig(max_idle_s=1.0))
    still = frame_with_person_at(600, 300)
    decisions = [gate.should_detect(still, i / 25) for i in range(51)]  # two seconds
    assert [i for i, detect in enumerate(decisions) if detect] == [0, 25, 50]
    assert decisions.count(False) == 48


def test_movement_near_the_line_is_detected_and_far_from_it_is_not() -> None:
    gate = MotionGate([LINE], MotionGateConfig(max_idle_s=10.0))
    assert gate.should_detect(frame_with_person_at(600, 20), 0.0)  # the first frame
    # far above the line (feet at y 140..160 of 720, the watched band is 252..468)
    assert not gate.should_detect(frame_with_person_at(640, 20), 0.1)
    assert not gate.should_detect(frame_with_person_at(680, 40), 0.2)
    # walking into the band
    assert gate.should_detect(frame_with_person_at(680, 250), 0.3)


def test_slow_movement_adds_up_against_the_last_detected_frame() -> None:
    gate = MotionGate([LINE], MotionGateConfig(max_idle_s=10.0))
    decisions = [gate.should_detect(frame_with_person_at(600 + i, 300), i / 25) for i in range(40)]
    detected = [i for i, detect in enumerate(decisions) if detect]
    assert detected[0] == 0
    assert len(detected) > 1, "a person creeping one pixel a frame is never seen"
    assert 1 < detected[1] < 20  # one pixel a frame is below the threshold, a few are not
    assert decisions.count(False) > 0


def test_time_running_backwards_detects_at_once() -> None:
    gate = MotionGate([LINE], MotionGateConfig(max_idle_s=1.0))
    still = frame_with_person_at(600, 300)
    assert gate.should_detect(still, 5.0)
    assert not gate.should_detect(still, 5.5)
    assert gate.should_detect(still, 0.0)  # a replayed file starts again


class CountingDetector:
    """The real detector, with a count of the frames it was run on."""

    def __init__(self) -> None:
        from metrica.vision.detector import OnnxDetector

        self.inner = OnnxDetector(YOLOX_NANO)
        self.calls = 0

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        self.calls += 1
        return self.inner.detect(image)


@pytest.mark.parametrize(
    ("gate", "fewest_calls", "most_calls"),
    [(MotionGateConfig(), 5, 75), (None, 150, 150)],  # gated: 60 measured; at least 1/s
)
def test_the_pipeline_coasts_through_quiet_frames_of_a_real_clip(
    gate: MotionGateConfig | None, fewest_calls: int, most_calls: int
) -> None:
    door = truth("shop_door_cctv")
    detector = CountingDetector()
    pipeline = CountingPipeline(
        door.lines,
        frame_size=frame_size_of(door.clip),
        fps=door.fps,
        detector=detector,
        config=PipelineConfig(motion_gate=gate),
    )
    coasted = 0
    with open_source(str(door.clip)) as source:
        for frame in source.frames():
            if frame.index >= 150:  # five seconds, nobody near the lines in most of them
                break
            result = pipeline.process(frame.index, frame.t_s, frame.image)
            coasted += not result.detected
            if not result.detected:
                assert result.crossings == []
                assert result.times.detect_s == 0.0
    assert detector.calls + coasted == 150
    assert fewest_calls <= detector.calls <= most_calls


def test_the_gate_changes_no_count_on_the_shared_door_clip() -> None:
    """The door clip's first 20 s, every frame detected vs gated: the same crossings, each
    timed within a frame or two (the gate spaces the detections it interpolates between)."""
    from itertools import islice

    from metrica.evaluation.run import clip_images
    from metrica.vision.detector import OnnxDetector

    door = truth("shop_door_cctv")
    detector = OnnxDetector(YOLOX_NANO)
    per_frame = [detector.detect(image) for image in islice(clip_images(door.clip), 600)]
    size = frame_size_of(door.clip)
    always = evaluate_clip(door, per_frame, size, PipelineConfig(motion_gate=None)).predictions
    gated = evaluate_clip(
        door, per_frame, size, PipelineConfig(), images=clip_images(door.clip)
    ).predictions
    pairs = list(zip(always["metrica"], gated["metrica"], strict=True))
    assert len(pairs) >= 2  # the clip's first 20 s have crossings to compare
    for before, after in pairs:
        assert (after.line_id, after.direction) == (before.line_id, before.direction)
        assert abs(after.frame - before.frame) <= 2
