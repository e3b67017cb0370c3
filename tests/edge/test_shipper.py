"""The sender: when a batch is due, what it refuses to send, and its decisions over a real
outbox with a scripted `send` standing for answers that the real backend gives only in
rare cases (413, a 422 naming no index)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrica.domain.counting import Crossing
from metrica.edge.event_ids import EventMaker
from metrica.edge.outbox import Outbox
from metrica.edge.shipper import BatchPolicy, RetryPolicy, Shipper, batch_due, check_locally
from metrica.edge.uplink import Acked, Rejected, Retry, SendOutcome, TooLarge

CAM = "0b6a3c1e-2f7d-4a51-9a0e-3f6d2c1b9e11"


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


@pytest.mark.parametrize(
    ("body", "camera", "problem"),
    [
        ("not json", CAM, "invalid locally"),
        ('{"type": "line_crossed"}', CAM, "invalid locally"),
        (None, "5b1e7c2a-9d34-4f0e-8a61-2c7d9e4f1a03", "is not this worker's camera"),
        (None, CAM, None),
    ],
)
def test_events_that_can_never_be_accepted_are_caught_before_sending(
    tmp_path: Path, body: str | None, camera: str, problem: str | None
) -> None:
    at = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # any time; not the clock
    maker = EventMaker(CAM, source_key="k", started_at=at)
    [event] = maker.make([Crossing("L1", 7, "in", 120, 4.8)], captured_at=at)
    outbox = Outbox(tmp_path / "o.db")
    outbox.append([(str(event.event_id), body or event.model_dump_json())])
    found = check_locally(outbox.peek(1)[0], camera)
    assert (found is None) if problem is None else (found is not None and problem in found)


def body(line_id: str = "L1") -> tuple[str, str]:
    event_id = str(uuid.uuid4())
    event = {
        "event_id": event_id,
        "camera_id": CAM,
        "line_id": line_id,
        "direction": "in",
        "occurred_at": "2025-01-01T10:00:00Z",
        "track_id": 1,
    }
    return event_id, json.dumps(event)


class ScriptedBackend:
    """Stores events by id; refuses batches over `max_batch` (413) and whole batches that
    hold a "poison" line with a 422 that names no index; fails the first `down` calls."""

    def __init__(self, *, max_batch: int = 1000, down: int = 0) -> None:
        self.max_batch, self.down = max_batch, down
        self.stored: dict[str, str] = {}
        self.calls: list[int] = []

    def __call__(self, bodies: list[str]) -> SendOutcome:
        self.calls.append(len(bodies))
        if self.down:
            self.down -= 1
            return Retry("connect", "ConnectError")
        if len(bodies) > self.max_batch:
            return TooLarge()
        events = [json.loads(b) for b in bodies]
        if any(e["line_id"] == "poison" for e in events):
            return Rejected(422, {}, "HTTP 422: batch refused")
        new = [e for e in events if e["event_id"] not in self.stored]
        self.stored.update((e["event_id"], e["line_id"]) for e in new)
        return Acked(len(new), len(events) - len(new))


def run_shipper(tmp_path: Path, backend: ScriptedBackend, rows: list[tuple[str, str]]) -> Shipper:
    box = Outbox(tmp_path / "o.db")
    box.append(rows)
    shipper = Shipper(
        box,
        backend,
        camera_id=CAM,
        policy=BatchPolicy(max_events=16),
        retry=RetryPolicy(base_s=0.01, cap_s=0.05),
        rng=lambda: 0.5,
    )
    shipper.start()
    try:
        assert shipper.flush(30.0), "outbox not emptied"
    finally:
        shipper.stop()
        box.close()
    return shipper


def test_413_splits_until_batches_fit_and_everything_arrives_once(tmp_path: Path) -> None:
    rows = [body() for _ in range(40)]
    backend = ScriptedBackend(max_batch=5)
    shipper = run_shipper(tmp_path, backend, rows)
    assert set(backend.stored) == {event_id for event_id, _ in rows}
    assert shipper.stats.sent == 40
    assert shipper.stats.quarantined == 0
    assert max(n for n in backend.calls if n <= 5) <= 5


def test_a_refusal_naming_no_index_is_bisected_down_to_the_bad_events(tmp_path: Path) -> None:
    rows = [body() for _ in range(30)]
    rows[7] = body("poison")
    rows[22] = body("poison")
    backend = ScriptedBackend()
    shipper = run_shipper(tmp_path, backend, rows)
    good = {event_id for event_id, b in rows if "poison" not in b}
    assert set(backend.stored) == good
    assert shipper.stats.quarantined == 2
    box = Outbox(tmp_path / "o.db")
    assert sorted(r.event_id for r, _ in box.quarantined()) == sorted(
        event_id for event_id, b in rows if "poison" in b
    )
    box.close()


def test_failures_back_off_then_deliver_without_loss(tmp_path: Path) -> None:
    rows = [body() for _ in range(20)]
    backend = ScriptedBackend(down=5)
    shipper = run_shipper(tmp_path, backend, rows)
    assert set(backend.stored) == {event_id for event_id, _ in rows}
    assert shipper.stats.failures == 5
    assert shipper.backend_up
