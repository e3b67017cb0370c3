"""`run_counting` at the end of a clip: a person last seen just past a line counts."""

from __future__ import annotations

from collections.abc import Iterator

from metrica.vision.counting_run import run_counting
from metrica.vision.detector import OnnxDetector
from metrica.vision.pipeline import CountingPipeline, FrameResult
from metrica.vision.sources import Closing, FileSource, Frame
from tests.support.data import YOLOX_NANO, truth, video

PETS = truth("pets09_s2l1_campus")
FIRST_FRAME = 766  # after P1's crossing at 758; the clip ends at 794, just as one crosses P1


class ClipTail(Closing):
    """The clip's frames from `FIRST_FRAME` on, as a file source (the detector's time is
    spent only where the test looks)."""

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.fps, self.width, self.height = source.fps, source.width, source.height
        self.is_live = False

    def frames(self) -> Iterator[Frame]:
        return (f for f in self.source.frames() if f.index >= FIRST_FRAME)

    def close(self) -> None:
        self.source.close()


def test_a_person_on_the_far_side_of_a_line_when_the_clip_ends_is_counted() -> None:
    [p1] = [line for line in PETS.lines if line.line_id == "P1"]
    [(true_frame, true_direction)] = [
        (c.frame, c.direction)
        for c in PETS.crossings
        if c.line_id == "P1" and c.frame >= FIRST_FRAME
    ]
    results: list[FrameResult] = []
    with ClipTail(FileSource(video("pets09_s2l1_campus.avi"))) as source:
        pipeline = CountingPipeline(
            [p1],
            frame_size=(source.width, source.height),
            fps=source.fps,
            detector=OnnxDetector(YOLOX_NANO),
        )
        stats = run_counting(source, pipeline, sinks=[lambda frame, result: results.append(result)])
    *running, final = results
    assert not any(r.final for r in running)
    assert sum(len(r.crossings) for r in running) == 0
    assert final.final
    assert final.frame == PETS.frames - 1
    [crossing] = final.crossings
    assert crossing.direction == true_direction
    assert abs(crossing.frame - true_frame) <= 2
    assert stats.counts["P1"] == ((1, 0) if true_direction == "in" else (0, 1))
