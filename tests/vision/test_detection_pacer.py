"""Which frames a rate-capped pipeline detects (`--detect-fps`)."""

from __future__ import annotations

import pytest

from metrica.vision.counting_run import DetectionPacer


def detected(fps: float, max_fps: float | None, seconds: float = 4.0) -> list[int]:
    pacer = DetectionPacer(max_fps)
    return [i for i in range(round(fps * seconds)) if pacer.due(i / fps)]


@pytest.mark.parametrize(
    ("fps", "max_fps", "per_second"),
    [
        (30.0, 15.0, 15),  # every other frame
        (60.0, 15.0, 15),  # every fourth
        (25.0, 15.0, 15),  # no drift down to 12.5
        (29.97, 15.0, 15),
        (10.0, 15.0, 10),  # a slower stream: every frame
        (25.0, None, 25),  # no cap
    ],
)
def test_detections_per_second_meet_the_cap(
    fps: float, max_fps: float | None, per_second: int
) -> None:
    frames = detected(fps, max_fps)
    assert abs(len(frames) - 4 * per_second) <= 1


def test_thirty_fps_capped_at_fifteen_takes_every_other_frame() -> None:
    assert detected(30.0, 15.0, 0.5) == [0, 2, 4, 6, 8, 10, 12, 14]


def test_a_stream_that_fell_behind_restarts_its_slots_instead_of_bursting() -> None:
    pacer = DetectionPacer(10.0)
    assert pacer.due(0.0)
    assert pacer.due(2.0)  # a two-second gap (a slow frame, a stall)
    assert not pacer.due(2.05)  # no catch-up burst of the missed slots
    assert pacer.due(2.1)


def test_a_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        DetectionPacer(0.0)
