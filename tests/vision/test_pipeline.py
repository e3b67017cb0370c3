"""CountingPipeline from given detections: what the counter is fed when detecting sparsely."""

import numpy as np
import pytest

from metrica.domain.geometry import CountingLine
from metrica.vision.detections import Detections
from metrica.vision.pipeline import CountingPipeline, PipelineConfig

LINE = CountingLine("L1", 0.0, 0.5, 1.0, 0.5)  # y = 500 px; moving down is in
FPS = 60.0


def person_with_feet_at(y: float) -> Detections:
    return Detections(
        np.array([[400, y - 200, 460, y]], np.float32),
        np.array([0.9], np.float32),
        np.zeros(1, np.int64),
    )


@pytest.mark.parametrize(
    ("every", "count_from_first_sighting", "expected"),
    [
        (4, True, {"L1": (1, 0)}),  # 15 looks a second: the first sighting is fed
        (4, False, {"L1": (0, 0)}),  # confirmed past the line and band: never counted
        (1, True, {"L1": (0, 0)}),  # consecutive frames: only the confirming point
    ],
)
def test_a_person_first_seen_before_the_line_and_confirmed_past_it(
    every: int, count_from_first_sighting: bool, expected: dict[str, tuple[int, int]]
) -> None:
    config = PipelineConfig(count_from_first_sighting=count_from_first_sighting)
    pipeline = CountingPipeline(
        [LINE], frame_size=(1000, 1000), fps=FPS, detector=None, config=config
    )
    crossings = []
    for look, feet in enumerate([480.0, 540.0, 600.0, 660.0]):
        frame = look * every
        result = pipeline.process_detections(frame, frame / FPS, person_with_feet_at(feet))
        crossings += result.crossings
    assert pipeline.totals() == expected
    if expected["L1"][0]:
        assert [c.frame for c in crossings] == [1]  # met y 500 a third of the way, 0 -> 4
