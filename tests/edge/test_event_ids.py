"""Event ids: a replayed file makes the same ids (the backend dedupes a restarted worker),
a new loop or any other field makes new ones; live events get fresh ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from metrica.domain.counting import Crossing
from metrica.edge.event_ids import EventMaker, file_event_id, time_ordered_id

CAMERA = "0b6c3f8e-4d1a-4c55-9d57-2f3a6b1c9e01"


def crossing(frame: int = 120, track: int = 7) -> Crossing:
    return Crossing("L1", track, "in", frame, frame / 25)


def test_a_file_replay_makes_the_same_ids_and_a_new_loop_new_ones() -> None:
    started = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    first = EventMaker(CAMERA, source_key="/v/clip.mp4:123", started_at=started)
    again = EventMaker(CAMERA, source_key="/v/clip.mp4:123", started_at=started + timedelta(1))
    [a] = first.make([crossing()], captured_at=started)
    [b] = again.make([crossing()], captured_at=started)
    assert a.event_id == b.event_id  # the restarted worker's events dedupe on the backend
    [c] = first.make([crossing()], captured_at=started, loop=1, loop_offset_s=13.6)
    assert c.event_id != a.event_id
    assert a.occurred_at == started + timedelta(seconds=120 / 25)


def test_ids_differ_in_every_field_that_identifies_a_crossing() -> None:
    base = dict(
        camera_id=CAMERA, source_key="k", loop=0, frame=1, line_id="L1", direction="in", track_id=1
    )
    ids = {file_event_id(**base)}  # type: ignore[arg-type]
    for field, other in [
        ("camera_id", str(uuid.uuid4())),
        ("source_key", "k2"),
        ("loop", 1),
        ("frame", 2),
        ("line_id", "L2"),
        ("direction", "out"),
        ("track_id", 2),
    ]:
        ids.add(file_event_id(**{**base, field: other}))  # type: ignore[arg-type]
    assert len(ids) == 8


def test_live_events_get_fresh_ids_and_the_capture_time() -> None:
    captured = datetime(2026, 11, 22, 10, 0, 0, 500000, tzinfo=UTC)
    maker = EventMaker(CAMERA, source_key=None, started_at=captured - timedelta(minutes=5))
    a, b = maker.make([crossing(), crossing()], captured_at=captured)
    assert a.event_id != b.event_id
    assert a.occurred_at == captured
    assert a.event_id.version == 7
    assert a.event_id.variant == uuid.RFC_4122
    assert a.event_id.int >> 80 == int(captured.timestamp() * 1000)  # the capture time in ms


def test_live_ids_sort_by_capture_time_to_the_millisecond() -> None:
    start = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    times = [start + timedelta(milliseconds=ms) for ms in (0, 1, 2, 999, 60_000, 86_400_000)]
    ids = [time_ordered_id(t) for t in times]
    assert ids == sorted(ids)  # the id index grows at its right edge
    assert str(ids[0]).startswith("01a202b2-c500-7")  # 1795341600000 ms, version 7
    assert len({time_ordered_id(start) for _ in range(1000)}) == 1000  # 74 random bits


def test_a_file_event_is_never_stamped_in_the_future() -> None:
    now = datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    maker = EventMaker(CAMERA, source_key="k", started_at=now, clock=lambda: now)
    [event] = maker.make([crossing(frame=250)], captured_at=now)  # 10 s into the clip
    assert event.occurred_at == now
