"""The worker's parts that need no backend: outbox durability and cap, retry maths,
batching decisions, and the event-id scheme that makes replays idempotent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from metrica.domain.backoff import BreakerState, CircuitBreaker, backoff_delay_s
from metrica.domain.counting import Crossing
from metrica.edge.event_ids import EventMaker, file_event_id
from metrica.edge.outbox import Fill, Outbox, OutboxError, fill_level, overflow
from metrica.edge.shipper import BatchPolicy, batch_due, check_locally

CAMERA = "0b6c3f8e-4d1a-4c55-9d57-2f3a6b1c9e01"


def rows(n: int, start: int = 0) -> list[tuple[str, str]]:
    return [(f"id-{i}", f'{{"n": {i}}}') for i in range(start, start + n)]


# --- outbox -------------------------------------------------------------------------


def test_outbox_keeps_order_and_forgets_only_acknowledged_rows(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    assert outbox.append(rows(5)).added == 5
    batch = outbox.peek(3)
    assert [r.event_id for r in batch] == ["id-0", "id-1", "id-2"]
    outbox.ack([r.seq for r in batch[:2]])
    assert outbox.depth == 3
    assert [r.event_id for r in outbox.peek(10)] == ["id-2", "id-3", "id-4"]


def test_a_replayed_event_id_is_queued_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    outbox.append(rows(3))
    assert outbox.append(rows(4)).added == 1  # ids 0..2 already queued
    assert outbox.depth == 4


def _append_then_die(path: str) -> None:
    outbox = Outbox(Path(path))
    outbox.append(rows(7))
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush: as `kill -9` leaves it


def test_committed_rows_survive_kill_9_and_the_lock_is_released(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    child = multiprocessing.get_context("spawn").Process(target=_append_then_die, args=(path,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL
    reopened = Outbox(path)  # the dead process's lock is gone with it
    assert reopened.depth == 7
    assert [r.event_id for r in reopened.peek(10)] == [f"id-{i}" for i in range(7)]


def test_a_second_worker_on_the_same_outbox_is_refused(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "o.db")
    with pytest.raises(OutboxError):
        Outbox(tmp_path / "o.db")
    first.close()
    Outbox(tmp_path / "o.db").close()


def test_cap_drops_oldest_first_and_counts_it_across_restarts(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_events=10)
    outbox.append(rows(8))
    result = outbox.append(rows(5, start=8))
    assert (result.added, result.dropped) == (5, 3)
    assert [r.event_id for r in outbox.peek(20)][:2] == ["id-3", "id-4"]
    assert outbox.depth == 10
    outbox.close()
    assert Outbox(tmp_path / "o.db", max_events=10).dropped_total == 3


def test_quarantined_rows_leave_the_queue_and_can_be_requeued(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    outbox.append(rows(3))
    bad = outbox.peek(1)[0]
    outbox.quarantine([(bad, "422: unknown line")])
    assert outbox.depth == 2
    [(row, reason)] = outbox.quarantined()
    assert (row.event_id, reason) == ("id-0", "422: unknown line")
    assert outbox.requeue_quarantined() == 1
    assert outbox.depth == 3
    assert outbox.quarantined() == []


def test_outbox_file_is_sqlite_in_wal_mode(tmp_path: Path) -> None:
    Outbox(tmp_path / "o.db").close()
    with sqlite3.connect(tmp_path / "o.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("depth", "incoming", "cap", "expected"),
    [(0, 5, 10, 0), (8, 2, 10, 0), (8, 5, 10, 3), (10, 1, 10, 1), (3, 50, 10, 3)],
)
def test_overflow(depth: int, incoming: int, cap: int, expected: int) -> None:
    assert overflow(depth, incoming, cap) == expected


@pytest.mark.parametrize(
    ("depth", "expected"), [(0, Fill.OK), (79, Fill.OK), (80, Fill.WARN), (100, Fill.FULL)]
)
def test_fill_level_warns_before_the_cap(depth: int, expected: Fill) -> None:
    assert fill_level(depth, 100, 0.8) is expected


# --- retries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "u", "expected"),
    [(0, 1.0, 0.5), (1, 1.0, 1.0), (3, 0.5, 2.0), (10, 1.0, 30.0), (10, 0.0, 0.0), (99, 0.5, 15.0)],
)
def test_backoff_is_full_jitter_over_a_capped_doubling(
    attempt: int, u: float, expected: float
) -> None:
    assert backoff_delay_s(attempt, u=u, base_s=0.5, cap_s=30.0) == pytest.approx(expected)


def test_breaker_opens_after_repeated_failures_and_half_opens_after_cool_down() -> None:
    breaker = CircuitBreaker(failure_threshold=3, base_open_s=2.0, cap_open_s=30.0)
    for t in (0.0, 1.0):
        breaker.record_failure(t, u=0.0)
        assert breaker.allow(t)
    breaker.record_failure(2.0, u=0.0)  # third in a row: open for 1..2 s (equal jitter)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(2.5)
    assert breaker.wait_s(2.5) == pytest.approx(0.5)
    assert breaker.allow(3.0)
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_failure(3.0, u=0.0)  # the trial failed: open again, longer
    assert breaker.state is BreakerState.OPEN
    assert breaker.wait_s(3.0) == pytest.approx(2.0)
    assert breaker.allow(5.0)
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == 0


# --- batching -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "frames", "seconds", "flushing", "due"),
    [
        (0, 100, 100.0, True, False),  # nothing to send
        (1, 0, 0.0, False, False),  # too soon
        (1, 30, 0.0, False, True),  # ~30 frames
        (1, 0, 1.0, False, True),  # N seconds
        (500, 0, 0.0, False, True),  # a full batch
        (1, 0, 0.0, True, True),  # stopping
    ],
)
def test_batch_is_due_on_frames_time_size_or_flush(
    pending: int, frames: int, seconds: float, flushing: bool, due: bool
) -> None:
    policy = BatchPolicy(max_events=500, every_frames=30, every_s=1.0)
    assert (
        batch_due(
            policy,
            pending=pending,
            frames_since_send=frames,
            seconds_since_send=seconds,
            flushing=flushing,
        )
        is due
    )


def test_batches_are_bounded_by_the_backend_limit() -> None:
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        BatchPolicy(max_events=1001)


# --- event ids ----------------------------------------------------------------------


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
    maker = EventMaker(CAMERA, source_key=None, started_at=datetime.now(UTC))
    captured = datetime(2026, 11, 22, 10, 0, 0, 500000, tzinfo=UTC)
    a, b = maker.make([crossing(), crossing()], captured_at=captured)
    assert a.event_id != b.event_id
    assert a.occurred_at == captured


def test_a_file_event_is_never_stamped_in_the_future() -> None:
    now = datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    maker = EventMaker(CAMERA, source_key="k", started_at=now, clock=lambda: now)
    [event] = maker.make([crossing(frame=250)], captured_at=now)  # 10 s into the clip
    assert event.occurred_at == now


@pytest.mark.parametrize(
    ("body", "camera", "problem"),
    [
        ("not json", CAMERA, "invalid locally"),
        ('{"type": "line_crossed"}', CAMERA, "invalid locally"),
        (None, str(uuid.uuid4()), "is not this worker's camera"),
        (None, CAMERA, None),
    ],
)
def test_events_that_can_never_be_accepted_are_caught_before_sending(
    tmp_path: Path, body: str | None, camera: str, problem: str | None
) -> None:
    maker = EventMaker(CAMERA, source_key="k", started_at=datetime.now(UTC))
    [event] = maker.make([crossing()], captured_at=datetime.now(UTC))
    outbox = Outbox(tmp_path / "o.db")
    outbox.append([(str(event.event_id), body or event.model_dump_json())])
    found = check_locally(outbox.peek(1)[0], camera)
    assert (found is None) if problem is None else (found is not None and problem in found)
