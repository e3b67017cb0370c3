"""PersonTracker on synthetic detections: the single-pass association and what it keeps."""

from collections.abc import Sequence

import numpy as np
import pytest

from metrica.vision.detections import Detections
from metrica.vision.tracking import PersonTracker, TrackerConfig, Tracks

FPS = 15.0
Box = tuple[float, float, float, float, float]  # x1, y1, x2, y2, confidence


def detections(boxes: Sequence[Box]) -> Detections:
    return Detections(
        np.array([b[:4] for b in boxes], np.float32).reshape(-1, 4),
        np.array([b[4] for b in boxes], np.float32),
        np.zeros(len(boxes), np.int64),
    )


def run(frames: Sequence[Sequence[Box]], config: TrackerConfig) -> list[Tracks]:
    tracker = PersonTracker(FPS, config)
    return [tracker.update(detections(boxes), i / FPS) for i, boxes in enumerate(frames)]


def centre_x_of(tracks: Tracks, track_id: int) -> float | None:
    for box, tid in zip(tracks.xyxy, tracks.track_id, strict=True):
        if tid == track_id:
            return float((box[0] + box[2]) / 2)
    return None


# Person A walks right; in the last frame their own box is weak (half hidden) while a
# newcomer B's strong box, just ahead of them, still overlaps A's predicted box.
A_WALKS = [[(100 + 4 * i, 100, 160 + 4 * i, 260, 0.9)] for i in range(4)]
A_WEAK_B_STRONG = [(116, 100, 176, 260, 0.3), (150, 95, 210, 255, 0.9)]


@pytest.mark.parametrize(
    ("single_pass", "a_ends_at"),
    [
        (True, 146.0),  # A's track keeps A's own (weak) box
        (False, 180.0),  # stock ByteTrack: strong boxes first, A's track jumps to B
    ],
)
def test_a_track_keeps_its_own_weak_box_over_a_neighbours_strong_one(
    single_pass: bool, a_ends_at: float
) -> None:
    tracks = run([*A_WALKS, A_WEAK_B_STRONG], TrackerConfig(single_pass=single_pass))
    [a_id] = tracks[1].track_id
    assert centre_x_of(tracks[-1], int(a_id)) == pytest.approx(a_ends_at)


def test_a_weak_box_never_starts_a_track() -> None:
    weak_only = [[(100, 100, 160, 260, 0.3)]] * 6
    assert all(len(t) == 0 for t in run(weak_only, TrackerConfig()))


def test_a_strong_box_starts_a_track_confirmed_on_its_second_sighting() -> None:
    tracks = run([[(100, 100, 160, 260, 0.9)]] * 3, TrackerConfig())
    assert [len(t) for t in tracks] == [0, 1, 1]


def test_a_track_survives_frames_without_detections_within_the_lost_budget() -> None:
    frames: list[list[Box]] = [[(100 + 4 * i, 100, 160 + 4 * i, 260, 0.9)] for i in range(4)]
    frames += [[]] * 5 + [[(136, 100, 196, 260, 0.9)]]
    tracks = run(frames, TrackerConfig(lost_track_s=1.0))
    assert tracks[3].track_id.tolist() == tracks[-1].track_id.tolist() == [tracks[1].track_id[0]]


@pytest.mark.parametrize(
    ("tentative_s", "confirmed_from"),
    [
        (0.3, 2),  # waits through the miss; the second sighting confirms it
        (0.0, 3),  # stock: dropped at the miss, starts again at frame 2
    ],
)
def test_a_person_seen_every_other_look_is_confirmed_on_the_second_sighting(
    tentative_s: float, confirmed_from: int
) -> None:
    frames: list[list[Box]] = [[(100 + 4 * i, 100, 160 + 4 * i, 260, 0.9)] for i in range(5)]
    frames[1] = []
    tracks = run(frames, TrackerConfig(tentative_s=tentative_s))
    assert [len(t) for t in tracks] == [0] * confirmed_from + [1] * (5 - confirmed_from)


def test_a_tentative_track_not_seen_again_within_its_wait_is_dropped() -> None:
    frames: list[list[Box]] = [[(100, 100, 160, 260, 0.9)], [], [], [], [], [], []]
    frames.append([(100, 100, 160, 260, 0.9)])  # 0.47 s later: a new tentative track
    tracks = run(frames, TrackerConfig(tentative_s=0.3))
    assert all(len(t) == 0 for t in tracks)
