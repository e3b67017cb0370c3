"""Issue #4, proven against the real backend: `metrica worker` on the shared plaza clip,
`metrica serve` on a real PostgreSQL (and SQLite for the end-to-end run), and the faults
of a flaky world between them. Every test ends with the backend's stored IN/OUT per line
equal to what `metrica count` gives on the same clip with the same lines, each event
stored once.

One PostgreSQL database per session (created, migrated, dropped; `METRICA_TEST_PG_URL`
names the server) and one backend process per database (conftest.py; the harness is
tests/support/); each test provisions its own
store and camera with the server's service functions, so tests never see each other's
events. The end-to-end runs use the worker's defaults (every frame); the fault tests, which
are about transport, detect every 3rd frame (worker and `metrica count` alike) to stay
quick on a small machine. The network faults (500s, timeouts) come from a small local
proxy: the network is the one part here that is not ours.
"""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from metrica.edge.outbox import Outbox
from tests.support.backend import Backend, Counts, provision, stored
from tests.support.data import PLAZA, YOLOX_NANO
from tests.support.processes import poll
from tests.support.worker import line_args, outbox_rows, start_worker

FAULT_STRIDE = 3
FAST = ("--stride", str(FAULT_STRIDE))


def total(counts: Counts) -> int:
    return sum(c["in"] + c["out"] for c in counts.values())


def metrica_count(stride: int) -> Counts:
    """What `metrica count` counts on the clip with the same lines and stride."""
    argv = [sys.executable, "-m", "metrica.cli", "count", str(PLAZA.clip), "--model"]
    argv += [str(YOLOX_NANO), *line_args(PLAZA.lines), "--stride", str(stride)]
    done = subprocess.run(
        [*argv, "--json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts: Counts = json.loads(done.stdout.strip().splitlines()[-1])["counts"]
    assert total(counts) >= 30  # a busy clip, or the tests below prove little
    return counts


@pytest.fixture(scope="session")
def expected() -> Counts:
    """The end-to-end runs use the worker's defaults: every frame."""
    return metrica_count(1)


@pytest.fixture(scope="session")
def expected_fast() -> Counts:
    """The fault tests are about transport; detecting every 3rd frame keeps them quick on a
    small machine (the worker runs with the same --stride)."""
    return metrica_count(FAULT_STRIDE)


def assert_stored_exactly(db_url: str, camera_id: str, expected: Counts) -> None:
    got = stored(db_url, camera_id)
    assert got.counts == {line: c for line, c in expected.items() if c["in"] + c["out"]}
    assert got.rows == got.distinct_ids == total(expected)  # each event once


def queued(path: Path) -> int:
    """Events waiting in the worker's outbox file."""
    return len(outbox_rows(path))


# --- the network, with faults ----------------------------------------------------------


class FaultyNetwork:
    """An HTTP proxy in front of the backend that spoils some `POST /events`.

    `fault(n)` names what happens to the n-th POST /events (1-based): "pass"; "500" (answered
    500, never forwarded); "500-after" (forwarded and stored, then the answer replaced by
    500: the worker must re-send, the backend must not store twice); "hold" (forwarded,
    answer held past the worker's timeout)."""

    def __init__(self, backend_url: str, fault: Any, hold_s: float = 2.5) -> None:
        self.injected: dict[str, int] = {}
        self._posts = itertools.count(1)
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=backend_url, timeout=30)
        network = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                del format, args

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = "pass"
                if self.command == "POST" and self.path == "/events":
                    with network._lock:
                        action = fault(next(network._posts))
                        if action != "pass":
                            network.injected[action] = network.injected.get(action, 0) + 1
                if action == "500":
                    return self._answer(500, b'{"detail": "injected"}')
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "x-worker-key", "user-agent")
                }
                answer = network._client.request(
                    self.command, self.path, content=body, headers=headers
                )
                if action == "500-after":
                    return self._answer(500, b'{"detail": "injected after storing"}')
                if action == "hold":
                    time.sleep(hold_s)  # the fault itself: longer than the worker waits
                self._answer(answer.status_code, answer.content, answer.headers.get("content-type"))

            def _answer(self, status: int, body: bytes, ctype: str | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype or "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker stopped waiting (the timeout fault)

            do_GET = do_POST = do_PUT = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyNetwork:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


# --- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("db", ["postgresql", "sqlite"])
def test_backend_stores_exactly_what_metrica_count_counts(
    db: str, request: pytest.FixtureRequest, tmp_path: Path, expected: Counts
) -> None:
    backend: Backend = request.getfixturevalue(
        "pg_backend" if db == "postgresql" else "sqlite_backend"
    )
    camera = provision(backend.db_url)
    summary = start_worker(tmp_path, backend.url, camera).finish()
    assert_stored_exactly(backend.db_url, camera.camera_id, expected)
    assert summary["counts"] == stored(backend.db_url, camera.camera_id).counts
    assert (summary["events_sent"], summary["duplicates"]) == (total(expected), 0)
    assert (summary["quarantined"], summary["outbox_left"]) == (0, 0)
    assert queued(tmp_path / "outbox.db") == 0


def test_backend_down_for_the_first_half_then_up(
    pg_url: str, tmp_path: Path, expected_fast: Counts
) -> None:
    camera = provision(pg_url)
    backend = Backend(pg_url)  # not started: nothing listens on its port yet
    run = start_worker(tmp_path, backend.url, camera, *FAST, "--realtime")
    try:
        poll(
            lambda: queued(tmp_path / "outbox.db") >= 5 or None,
            timeout_s=120,
            what="events queued in the outbox while the backend is down",
        )
        assert run.proc.poll() is None, "the clip ended before the backend came up"
        assert 5 <= queued(tmp_path / "outbox.db") < total(expected_fast)
        backend.start()
        summary = run.finish()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
        backend.stop()
    assert_stored_exactly(pg_url, camera.camera_id, expected_fast)
    assert (summary["events_sent"], summary["outbox_left"]) == (total(expected_fast), 0)
    log = run.log()
    assert "backend down" in log
    assert "backend up" in log


def test_intermittent_500s_before_and_after_storing(
    pg_backend: Backend, tmp_path: Path, expected_fast: Counts
) -> None:
    camera = provision(pg_backend.db_url)
    # Every 2nd POST /events fails: alternately never forwarded, and stored but answered 500.
    faults = ("pass", "500", "pass", "500-after")  # by n % 4, n = 1, 2, ...
    with FaultyNetwork(pg_backend.url, lambda n: faults[n % 4]) as network:
        summary = start_worker(tmp_path, network.url, camera, *FAST).finish()
    assert network.injected.get("500", 0) >= 1
    assert network.injected.get("500-after", 0) >= 1
    assert_stored_exactly(pg_backend.db_url, camera.camera_id, expected_fast)
    # A batch stored behind a lost answer comes back as duplicates, not as new rows.
    assert summary["duplicates"] >= 1
    assert summary["events_sent"] + summary["duplicates"] >= total(expected_fast)
    assert summary["outbox_left"] == 0


def test_network_timeouts_lose_and_duplicate_nothing(
    pg_backend: Backend, tmp_path: Path, expected_fast: Counts
) -> None:
    camera = provision(pg_backend.db_url)
    # Every 3rd POST /events is stored, but its answer comes after the worker gave up (1 s).
    hold = lambda n: "hold" if n % 3 == 0 else "pass"  # noqa: E731
    with FaultyNetwork(pg_backend.url, hold, hold_s=2.5) as network:
        run = start_worker(tmp_path, network.url, camera, *FAST, "--http-timeout-s", "1")
        summary = run.finish()
    # How many batches a clip makes depends on the machine's speed; one held answer is
    # enough to prove a timed-out, already stored batch is re-sent and stored once.
    assert network.injected["hold"] >= 1
    assert_stored_exactly(pg_backend.db_url, camera.camera_id, expected_fast)
    assert summary["duplicates"] >= 1  # the timed-out batches were re-sent, stored once
    assert summary["outbox_left"] == 0
    assert "timeout" in run.log()


def test_kill_9_mid_clip_then_restart_stores_each_crossing_once(
    pg_backend: Backend, tmp_path: Path, expected_fast: Counts
) -> None:
    db = pg_backend.db_url
    camera = provision(db)
    first = start_worker(tmp_path, pg_backend.url, camera, *FAST, "--realtime", name="first")
    try:
        poll(
            lambda: stored(db, camera.camera_id).rows >= 8 or None,
            timeout_s=120,
            what="the first events on the backend",
        )
        assert first.proc.poll() is None, "the clip ended before the kill"
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=30)
    assert first.proc.returncode == -signal.SIGKILL
    before = stored(db, camera.camera_id).rows
    assert 8 <= before < total(expected_fast)

    # The same command on the same outbox: the clip is replayed with the same event ids.
    second = start_worker(tmp_path, pg_backend.url, camera, *FAST, "--realtime", name="second")
    summary = second.finish()
    assert_stored_exactly(db, camera.camera_id, expected_fast)
    assert summary["duplicates"] >= before  # re-sent, and the backend kept one of each
    assert summary["outbox_left"] == 0


def test_malformed_events_in_the_outbox_are_quarantined_and_the_rest_flows(
    pg_backend: Backend, tmp_path: Path, expected_fast: Counts
) -> None:
    camera = provision(pg_backend.db_url)
    at = datetime(2025, 1, 6, 10, 0, tzinfo=UTC).isoformat()  # any past time; not the clock

    def event(**changes: object) -> tuple[str, str]:
        body = {
            "event_id": str(uuid.uuid4()),
            "camera_id": camera.camera_id,
            "line_id": "L1",
            "direction": "in",
            "occurred_at": at,
            "track_id": 1,
        } | changes
        return str(body["event_id"]), json.dumps(body)

    garbage = ("garbage-1", "{not json")
    ghost_line = event(line_id="no-such-line")  # well-formed; the backend has no such line
    other_camera = event(camera_id=str(uuid.uuid4()))
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append([garbage, ghost_line, other_camera])
    outbox.close()

    run = start_worker(tmp_path, pg_backend.url, camera, *FAST)
    summary = run.finish()
    assert_stored_exactly(pg_backend.db_url, camera.camera_id, expected_fast)
    db = sqlite3.connect(tmp_path / "outbox.db")
    try:
        quarantined = {row[0] for row in db.execute("SELECT event_id FROM quarantine")}
        left = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    assert quarantined == {garbage[0], ghost_line[0], other_camera[0]}
    assert left == 0
    assert (summary["quarantined"], summary["outbox_left"]) == (3, 0)
    assert summary["events_sent"] == total(expected_fast)
