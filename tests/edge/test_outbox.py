"""The worker's outbox: durability across kill -9, order, dedupe by event id, one worker
per file, the cap, quarantine, and the fill levels that warn before it is full."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from metrica.edge.outbox import Fill, Outbox, OutboxError, fill_level, overflow


def rows(n: int, start: int = 0) -> list[tuple[str, str]]:
    return [(f"id-{i}", f'{{"n": {i}}}') for i in range(start, start + n)]


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
