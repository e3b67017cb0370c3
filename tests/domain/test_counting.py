"""Table-driven tests of the line counter on synthetic anchor-point paths."""

from collections.abc import Sequence

import pytest

from metrica.domain.counting import (
    CounterConfig,
    Crossing,
    EarlierSighting,
    LineCounter,
    Segment,
    TrackPoint,
)

# A horizontal segment y=100 from x=0 to x=200: moving down the image is "in".
HORIZONTAL = Segment("L1", 0, 100, 200, 100)
CONFIG = CounterConfig(band_ratio=0.1, band_min=2.0, band_max=20.0, cooldown_s=0.5)
FPS = 10.0


def run(
    path: Sequence[tuple[float, float] | None],
    *,
    segment: Segment = HORIZONTAL,
    config: CounterConfig = CONFIG,
    size: float = 50.0,
    track_id: int = 1,
) -> list[Crossing]:
    """Feed one track's positions, one per frame (None = not seen that frame)."""
    counter = LineCounter(segment, config)
    crossings = []
    for frame, position in enumerate(path):
        points = [] if position is None else [TrackPoint(track_id, *position, size)]
        crossings += counter.update(frame, frame / FPS, points)
    return crossings


def directions(crossings: list[Crossing]) -> list[str]:
    return [c.direction for c in crossings]


def vertical_walk(x: float, ys: Sequence[float]) -> list[tuple[float, float] | None]:
    return [(x, y) for y in ys]


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("down is in", vertical_walk(100, range(60, 141, 10)), ["in"]),
        ("up is out", vertical_walk(100, range(140, 59, -10)), ["out"]),
        ("never reaches the line", vertical_walk(100, range(40, 95, 5)), []),
        (
            "jitter at the line never counts",
            vertical_walk(100, [90, 99, 101, 98, 102, 99, 101, 98, 102, 97]),
            [],
        ),
        (
            "jitter after a real crossing adds nothing",
            vertical_walk(100, [80, 90, 100, 110, 104, 98, 103, 99, 104, 112]),
            ["in"],
        ),
        (
            "cross and come back counts twice",
            vertical_walk(100, [70, 85, 100, 115, 130, 130, 130, 130, 115, 100, 85, 70]),
            ["in", "out"],
        ),
        ("left of the segment's start", vertical_walk(-10, range(60, 141, 10)), []),
        ("right of the segment's end", vertical_walk(210, range(60, 141, 10)), []),
        ("just inside the end", vertical_walk(199, range(60, 141, 10)), ["in"]),
        # the ends reach 5 % of the person's height (50 px here) further: 2.5 px
        ("2 px past the end", vertical_walk(202, range(60, 141, 10)), ["in"]),
        ("3 px before the start", vertical_walk(-3, range(60, 141, 10)), []),
        (
            "lost near the line and re-found past it",
            [(100, 80), (100, 90), None, None, None, (100, 115), (100, 125)],
            ["in"],
        ),
        (
            "jumps over the line and the band between two detections",
            vertical_walk(100, [60, 80, 125, 140]),
            ["in"],
        ),
        (
            "starts already past the line",
            vertical_walk(100, range(110, 160, 10)),
            [],
        ),
        (
            "diagonal crossing within the segment",
            [(20 + 10 * i, 60 + 10 * i) for i in range(9)],
            ["in"],
        ),
        (
            "diagonal path crossing the extension beyond the end",
            [(170 + 10 * i, 60 + 10 * i) for i in range(9)],
            [],
        ),
    ],
)
def test_crossing_rules(
    name: str, path: list[tuple[float, float] | None], expected: list[str]
) -> None:
    assert directions(run(path)) == expected, name


def test_the_end_margin_follows_the_person_s_height() -> None:
    path = vertical_walk(205, range(60, 141, 10))  # 5 px past the end
    assert run(path, size=50.0) == []  # 2.5 px of margin
    assert directions(run(path, size=120.0)) == ["in"]  # 6 px
    no_margin = CounterConfig(band_ratio=0.1, cooldown_s=0.5, end_margin_ratio=0.0)
    assert run(vertical_walk(202, range(60, 141, 10)), config=no_margin) == []


def test_direction_follows_the_segment_orientation() -> None:
    rightward = [(x, 50.0) for x in range(20, 181, 20)]
    down_the_image = Segment("V", 100, 0, 100, 100)  # P1 top, P2 bottom: left→right = out
    up_the_image = Segment("V", 100, 100, 100, 0)  # the same segment, flipped
    assert directions(run(rightward, segment=down_the_image)) == ["out"]
    assert directions(run(rightward, segment=up_the_image)) == ["in"]


def test_event_time_is_when_the_point_crossed_the_line_not_when_it_left_the_band() -> None:
    # Meets the line midway between frames 2 and 3, only leaves the 20 px band at frame 6.
    path = vertical_walk(100, [90, 95, 99, 101, 105, 110, 125])
    config = CounterConfig(band_ratio=0.4, band_max=20.0)
    [crossing] = run(path, config=config)
    assert (crossing.frame, crossing.t_s) == (3, pytest.approx(0.25))


@pytest.mark.parametrize(
    ("before", "after", "frame", "t_s"),
    [
        (98.0, 118.0, 11, 1.1),  # met the line a tenth of the way through the gap
        (90.0, 110.0, 15, 1.5),
        (75.0, 125.0, 15, 1.5),  # over the line and the whole band in one step
        (80.0, 101.0, 20, 1.0 + 20 / 21),  # hidden until just past it
    ],
)
def test_event_time_is_interpolated_across_frames_the_person_was_hidden(
    before: float, after: float, frame: int, t_s: float
) -> None:
    path: list[tuple[float, float] | None] = [(100.0, 70.0), (100.0, 80.0)]
    path += [None] * 8 + [(100.0, before)] + [None] * 9 + [(100.0, after), (100.0, 125.0)]
    config = CounterConfig(band_ratio=0.0, band_min=0.0, band_max=0.0)
    [crossing] = run(path, config=config)
    assert (crossing.frame, crossing.t_s) == (frame, pytest.approx(t_s))


def test_cooldown_ignores_a_quick_flip_back_from_box_jitter() -> None:
    # Counted at frame 3; at frame 4 the box bottom jumps back past the band (occlusion).
    path = vertical_walk(100, [80, 90, 95, 115, 80, 115, 120])
    assert directions(run(path, config=CounterConfig(band_max=5, cooldown_s=1.0))) == ["in"]
    assert directions(run(path, config=CounterConfig(band_max=5, cooldown_s=0.0))) == [
        "in",
        "out",
        "in",
    ]


def test_band_is_capped_so_a_huge_person_stopping_past_the_line_counts() -> None:
    path = vertical_walk(100, [80, 90, 96, 104, 108, 108, 108])  # stops 8 px past
    huge = 400.0
    assert run(path, size=huge, config=CounterConfig(band_ratio=0.25, band_max=6.0))
    assert not run(path, size=huge, config=CounterConfig(band_ratio=0.25, band_max=1000.0))


def test_tracks_are_counted_independently_and_totals_add_up() -> None:
    counter = LineCounter(HORIZONTAL, CONFIG)
    for frame, y in enumerate(range(60, 141, 10)):
        counter.update(
            frame,
            frame / FPS,
            [TrackPoint(1, 50, y, 50), TrackPoint(2, 150, 200 - y, 50)],
        )
    assert (counter.in_count, counter.out_count) == (1, 1)


def test_state_of_dead_tracks_is_evicted() -> None:
    counter = LineCounter(HORIZONTAL, CounterConfig(max_idle_s=2.0))
    for track_id in range(100):
        counter.update(track_id, track_id * 0.1, [TrackPoint(track_id, 50, 50, 50)])
    # After 10 s of distinct one-frame tracks only the last 2 s of them are remembered.
    assert counter.tracked <= 21
    counter.update(1000, 100.0, [])
    assert counter.tracked == 0


def test_zero_length_segment_is_rejected() -> None:
    with pytest.raises(ValueError, match="zero length"):
        Segment("Z", 10, 10, 10, 10)


GUARD = CounterConfig(band_ratio=0.1, band_min=2.0, band_max=20.0, cooldown_s=0.5, inherit_s=1.0)
Frame = list[tuple[int, float, float]]  # (track id, x, y) of each track seen in a frame


def run_tracks(frames: Sequence[Frame], config: CounterConfig = GUARD) -> list[Crossing]:
    """Feed several tracks, one list of (id, x, y) per frame, at FPS; size 50 each."""
    counter = LineCounter(HORIZONTAL, config)
    crossings = []
    for frame, seen in enumerate(frames):
        points = [TrackPoint(tid, x, y, 50.0) for tid, x, y in seen]
        crossings += counter.update(frame, frame / FPS, points)
    return crossings


# Track 1 walks down toward the line and is lost just before it; a moment later the
# tracker starts track 2 for the same person just past it.
SPLIT_AT_THE_LINE: list[Frame] = [
    [(1, 100, 70)], [(1, 100, 80)], [(1, 100, 90)], [], [], [(2, 100, 112)], [(2, 100, 125)],
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "frames", "expected"),
    [
        ("a crossing split between two ids counts once", SPLIT_AT_THE_LINE, ["in"]),
        (
            "a fragment born behind its predecessor's count does not count it again",
            [
                [(1, 100, 80)],
                [(1, 100, 90)],
                [(1, 100, 115)],
                [],
                [(2, 100, 96)],
                [(2, 100, 106)],
                [(2, 100, 118)],
                [(2, 100, 130)],
            ],
            ["in"],
        ),
        (
            "a new track far from where the other was lost is somebody else",
            [[(1, 100, 70)], [(1, 100, 90)], [], [(2, 180, 112)], [(2, 180, 125)]],
            [],
        ),
        (
            "a track lost longer ago than inherit_s is not continued",
            [[(1, 100, 70)], [(1, 100, 90)], *([[]] * 12), [(2, 100, 112)], [(2, 100, 125)]],
            [],
        ),
        (
            "a track still seen in the same frame is never taken over",
            [
                [(1, 100, 70)],
                [(1, 100, 90)],
                [(1, 100, 91), (2, 100, 112)],
                [(1, 100, 91), (2, 100, 125)],
            ],
            [],
        ),
    ],
)
def test_fragment_guard(name: str, frames: list[Frame], expected: list[str]) -> None:
    assert directions(run_tracks(frames)) == expected, name


def test_without_the_guard_a_split_crossing_is_lost_and_a_fragment_counts_twice() -> None:
    off = CounterConfig(band_ratio=0.1, band_min=2.0, band_max=20.0, cooldown_s=0.5, inherit_s=0)
    assert run_tracks(SPLIT_AT_THE_LINE, off) == []
    double = [[(1, 100, 80)], [(1, 100, 90)], [(1, 100, 115)], [], [(2, 100, 96)],
              [(2, 100, 106)], [(2, 100, 118)]]  # fmt: skip
    assert directions(run_tracks(double, off)) == ["in", "in"]


def test_the_continued_crossing_is_timed_between_the_two_fragments() -> None:
    [crossing] = run_tracks(SPLIT_AT_THE_LINE)
    assert crossing.track_id == 2
    assert crossing.frame == 3  # met the line 10/22 of the way from frame 2 (y 90) to 5


# Sparse detection: a track first detected at frame 0 (y 90, before the line) is confirmed
# at frame 4 (y 125, past the line and its band); the caller passes the first sighting
# with the first counted point.
def first_counted_at_4(
    earlier: Sequence[EarlierSighting], config: CounterConfig = GUARD
) -> list[Crossing]:
    counter = LineCounter(HORIZONTAL, config)
    crossings = counter.update(4, 0.4, [TrackPoint(7, 100, 125, 50.0)], earlier)
    crossings += counter.update(8, 0.8, [TrackPoint(7, 100, 140, 50.0)])
    return crossings


def test_a_track_confirmed_past_the_line_counts_from_its_first_sighting() -> None:
    [crossing] = first_counted_at_4([EarlierSighting(0, 0.0, TrackPoint(7, 100, 90, 50.0))])
    assert (crossing.direction, crossing.track_id) == ("in", 7)
    assert (crossing.frame, crossing.t_s) == (1, pytest.approx(10 / 35 * 0.4))


def test_without_its_first_sighting_a_track_confirmed_past_the_line_never_counts() -> None:
    assert first_counted_at_4([]) == []


@pytest.mark.parametrize(
    ("name", "sighting"),
    [
        ("of a track the counter already follows", EarlierSighting(0, 0.0, TrackPoint(1, 100, 90))),
        ("not earlier than the frame", EarlierSighting(4, 0.4, TrackPoint(7, 100, 90, 50.0))),
    ],
)
def test_an_earlier_sighting_is_ignored(name: str, sighting: EarlierSighting) -> None:
    counter = LineCounter(HORIZONTAL, GUARD)
    counter.update(0, 0.0, [TrackPoint(1, 100, 130, 50.0)])
    assert counter.update(4, 0.4, [TrackPoint(7, 100, 125, 50.0)], [sighting]) == [], name
    assert counter.update(5, 0.5, [TrackPoint(1, 100, 135, 50.0)]) == [], name


def test_a_first_sighting_continues_a_lost_track_under_the_fragment_guard() -> None:
    counter = LineCounter(HORIZONTAL, GUARD)
    counter.update(0, 0.0, [TrackPoint(1, 100, 70, 50.0)])
    counter.update(1, 0.1, [TrackPoint(1, 100, 80, 50.0)])
    # Track 1 is lost; track 2 is first seen at frame 3 just past the line (y 105, inside
    # the band) and confirmed at frame 5: one crossing, the one track 1 began.
    earlier = [EarlierSighting(3, 0.3, TrackPoint(2, 100, 105, 50.0))]
    crossings = counter.update(5, 0.5, [TrackPoint(2, 100, 125, 50.0)], earlier)
    crossings += counter.update(6, 0.6, [TrackPoint(2, 100, 135, 50.0)])
    assert [(c.direction, c.track_id, c.frame) for c in crossings] == [
        ("in", 2, 3)
    ]  # 80 -> 105 over frames 1-3


# Settling: CONFIG's band is 5 px for a 50 px person; half of it is 2.5 px. At 10 fps the
# fragment guard's window (inherit_s, 1 s) is 10 frames.
LOST = [None] * 12
TO_103 = vertical_walk(100, [80, 95, 103])  # ends 3 px past the line, inside the band


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("lost 3 px past the line (inside the band)", [*TO_103, *LOST], ["in"]),
        ("lost 2 px past (under half the band)", [*vertical_walk(100, [80, 95, 102]), *LOST], []),
        ("lost 3 px past, not yet for the guard's window", [*TO_103, *LOST[:9]], []),
        ("lost before the line", [*vertical_walk(100, [80, 95, 98]), *LOST], []),
        ("crossed and came back before being lost", [*TO_103, (100, 97), *LOST], []),
        ("lost past the segment's end", [*vertical_walk(230, [80, 95, 103]), *LOST], []),
        ("counted past the band, then lost", [*vertical_walk(100, [80, 95, 110]), *LOST], ["in"]),
        (
            "settled, re-found and walking back counts back",
            [*TO_103, *LOST, *vertical_walk(100, [103, 97, 90, 80])],
            ["in", "out"],
        ),
        (
            "settled, re-found still past the line counts nothing more",
            [*TO_103, *LOST, *vertical_walk(100, [104, 112, 125])],
            ["in"],
        ),
    ],
)
def test_a_lost_track_last_seen_past_the_line_is_settled(
    name: str, path: list[tuple[float, float] | None], expected: list[str]
) -> None:
    assert directions(run(path)) == expected, name


def test_a_settled_crossing_is_timed_when_the_point_met_the_line() -> None:
    [crossing] = run([*TO_103, *LOST])
    assert crossing.frame == 2  # met y 100 at 5/8 of the step from frame 1 (95) to 2 (103)
    assert crossing.t_s == pytest.approx(0.1625)


def test_settling_can_be_switched_off() -> None:
    off = CounterConfig(band_ratio=0.1, band_min=2.0, band_max=20.0, cooldown_s=0.5,
                        settle_band_fraction=None)  # fmt: skip
    assert run([*TO_103, *LOST], config=off) == []


def counter_after(path: Sequence[float]) -> LineCounter:
    counter = LineCounter(HORIZONTAL, CONFIG)
    for frame, y in enumerate(path):
        counter.update(frame, frame / FPS, [TrackPoint(1, 100, y, 50.0)])
    return counter


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("on the line's far side by 1 px: counts", [80, 95, 101], ["in"]),
        ("before the line: nothing", [80, 95, 99], []),
        ("already counted: nothing more", [80, 95, 110], []),
        ("came back: nothing", [80, 95, 101, 99], []),
    ],
)
def test_finish_counts_people_last_seen_past_the_line(
    name: str, path: list[float], expected: list[str]
) -> None:
    counter = counter_after(path)
    assert directions(counter.finish()) == expected, name
    assert counter.finish() == [], "a finished crossing is counted once"


def test_finish_adds_to_the_totals() -> None:
    counter = counter_after([80, 95, 101])
    counter.finish()
    assert (counter.in_count, counter.out_count) == (1, 0)
