"""The worker against the real backend on a real PostgreSQL, with the faults of a flaky
network: nothing lost, nothing stored twice.

Every test runs `metrica worker` on the shared plaza clip and ends with the backend's
stored IN/OUT per line equal to what `metrica count` gives on the same clip. The network
faults (500s, timeouts) come from a small local proxy in front of the backend: the
network is the one part here that is not ours.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from metrica.domain.events import LineCrossed
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow
from metrica.server.migrate import upgrade
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate
from metrica.vision.outbox import Outbox
from metrica.vision.truth import load_truth
from tests.processes import free_port, is_ready, poll
from tests.vision.shared_data import DATA, YOLOX_NANO

PG_URL = os.environ.get(
    "METRICA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TRUTH = load_truth(DATA / "truth" / "overhead_plaza.json")
CLIP = str(TRUTH.clip)
LINE_ARGS = [arg for line in TRUTH.lines for arg in ("--line", line.as_arg())]
Counts = dict[str, dict[str, int]]
METRICA = [sys.executable, "-m", "metrica.cli"]


async def admin_sql(sql: str) -> None:
    engine = create_engine(PG_URL)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    name = f"metrica_worker_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    async def migrate() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(migrate())
        yield url
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# The faults are in transport, not in counting: detecting every 3rd frame keeps those
# tests quick (worker and `metrica count` get the same options).
FAULT_OPTIONS = ("--stride", "3")


def count_clip(*options: str) -> Counts:
    """What `metrica count` counts on the clip with these options."""
    done = subprocess.run(
        [
            *METRICA, "count", CLIP, "--model", str(YOLOX_NANO), *LINE_ARGS, *options,
            "--json", "--quiet",
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    counts: Counts = json.loads(done.stdout.strip().splitlines()[-1])["counts"]
    assert sum(c["in"] + c["out"] for c in counts.values()) >= 30  # a busy clip
    return counts


@pytest.fixture(scope="module")
def expected_default() -> Counts:
    """`metrica count` with its default options: the plain end-to-end run must store this."""
    return count_clip()


@pytest.fixture(scope="module")
def expected() -> Counts:
    """`metrica count` with FAULT_OPTIONS: every fault test must store exactly this."""
    return count_clip(*FAULT_OPTIONS)


@dataclass(frozen=True)
class ProvisionedCamera:
    camera_id: uuid.UUID
    key: str


def provision(db_url: str) -> ProvisionedCamera:
    """A fresh store and counting camera with the truth file's lines, and its key."""

    async def create() -> ProvisionedCamera:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                store = await stores.create(
                    session=session,
                    data=StoreCreate(name=f"store {uuid.uuid4().hex[:6]}", timezone="UTC"),
                )
                camera = Camera(store_id=store.id, name="door", is_counting_line=True)
                session.add(camera)
                await session.flush()
                specs = [
                    LineSpec(
                        line_id=ln.line_id, name=ln.line_id, x1=ln.x1, y1=ln.y1, x2=ln.x2, y2=ln.y2
                    )
                    for ln in TRUTH.lines
                ]
                await cameras.replace_lines(session=session, camera=camera, specs=specs)
                key = await cameras.issue_key(session=session, camera=camera)
                await session.commit()
                return ProvisionedCamera(camera.id, key)
        finally:
            await engine.dispose()

    return asyncio.run(create())


def stored(db_url: str, camera_id: uuid.UUID) -> tuple[Counts, int]:
    """Stored IN/OUT per line of one camera, and the number of event rows."""

    async def query() -> tuple[Counts, int]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = await session.execute(
                    select(EventRow.line_id, EventRow.direction, func.count())
                    .where(EventRow.camera_id == camera_id)
                    .group_by(EventRow.line_id, EventRow.direction)
                )
                counts: Counts = {}
                total = 0
                for line_id, direction, n in rows.all():
                    counts.setdefault(str(line_id), {"in": 0, "out": 0})[str(direction)] = n
                    total += n
                return counts, total
        finally:
            await engine.dispose()

    return asyncio.run(query())


def assert_stored_exactly(db_url: str, camera_id: uuid.UUID, expected: Counts) -> None:
    counts, rows = stored(db_url, camera_id)
    want = {line: c for line, c in expected.items() if c["in"] + c["out"]}
    assert counts == want
    assert rows == sum(c["in"] + c["out"] for c in expected.values())  # each event once


class Backend:
    """`metrica serve` on PostgreSQL, as production runs it."""

    def __init__(self, db_url: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._db_url = db_url
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Backend:
        env = {**os.environ, "METRICA_DATABASE_URL": self._db_url, "METRICA_LOG_LEVEL": "WARNING"}
        self._proc = subprocess.Popen([*METRICA, "serve", "--port", str(self.port)], env=env)
        poll(lambda: is_ready(self.url), timeout_s=120, what="the backend")
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(timeout=30)


@pytest.fixture(scope="module")
def backend(db_url: str) -> Iterator[Backend]:
    """One backend for the module: each test provisions its own store and camera."""
    server = Backend(db_url).start()
    yield server
    server.stop()


def worker_argv(
    url: str,
    camera: ProvisionedCamera,
    outbox: Path,
    *extra: str,
    options: tuple[str, ...] = FAULT_OPTIONS,
) -> list[str]:
    return [
        *METRICA, "worker", CLIP, "--model", str(YOLOX_NANO), *LINE_ARGS, *options,
        "--api-url", url, "--camera-id", str(camera.camera_id), "--key", camera.key,
        "--outbox", str(outbox), "--send-every-s", "0.5", "--retry-max-s", "1",
        "--flush-deadline-s", "90", "--heartbeat-s", "5", "--config-poll-s", "5", *extra,
    ]  # fmt: skip


def run_worker(argv: list[str], timeout_s: float = 240) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def outbox_rows(path: Path, table: str = "outbox") -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


# --- the tests -------------------------------------------------------------------------


def test_backend_stores_exactly_what_metrica_count_counts(
    tmp_path: Path, db_url: str, backend: Backend, expected_default: Counts
) -> None:
    camera = provision(db_url)
    log = run_worker(worker_argv(backend.url, camera, tmp_path / "outbox.db", options=()))
    assert_stored_exactly(db_url, camera.camera_id, expected_default)
    assert "outbox flushed" in log
    assert outbox_rows(tmp_path / "outbox.db") == 0


def test_backend_down_for_the_first_half_then_everything_arrives_once(
    tmp_path: Path, db_url: str, expected: Counts
) -> None:
    camera = provision(db_url)
    server = Backend(db_url)  # not started: nothing listens on its port yet
    outbox = tmp_path / "outbox.db"
    worker = subprocess.Popen(
        worker_argv(server.url, camera, outbox, "--realtime"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        poll(lambda: outbox_rows(outbox) >= 5 or None, timeout_s=120, what="queued events")
        assert worker.poll() is None  # still counting: this is mid-clip
        server.start()
        _, log = worker.communicate(timeout=240)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()
    assert worker.returncode == 0, log[-3000:]
    assert "backend down" in log
    assert "backend up" in log
    assert_stored_exactly(db_url, camera.camera_id, expected)


class FaultyNetwork:
    """An HTTP proxy to the backend that fails some `POST /events` in a given way."""

    def __init__(self, backend_url: str, fault: str, every: int) -> None:
        self.fault, self.every = fault, every
        self.faults = 0
        self._posts = itertools.count(1)
        self._client = httpx.Client(base_url=backend_url, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                del format, args

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                events = self.command == "POST" and self.path == "/events"
                faulty = events and next(proxy._posts) % proxy.every == 0
                if faulty and proxy.fault == "500-before":
                    proxy.faults += 1
                    return self._answer(500, b'{"detail": "injected"}')
                if faulty and proxy.fault == "timeout":
                    proxy.faults += 1
                    time.sleep(2.5)  # the fault itself: longer than the worker waits
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                answer = proxy._client.request(
                    self.command, self.path, content=body, headers=headers
                )
                if faulty and proxy.fault == "500-after":  # stored, but the ack is lost
                    proxy.faults += 1
                    return self._answer(500, b'{"detail": "injected"}')
                self._answer(answer.status_code, answer.content, answer.headers.get("content-type"))

            def _answer(self, status: int, body: bytes, ctype: str | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype or "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker gave up waiting (the timeout fault)

            do_GET = do_POST = do_PUT = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyNetwork:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


@pytest.mark.parametrize(
    ("fault", "every"),
    [("500-before", 2), ("500-after", 2), ("timeout", 3)],
    ids=["500s", "500s-after-storing", "timeouts"],
)
def test_intermittent_failures_and_timeouts_lose_and_duplicate_nothing(
    tmp_path: Path, db_url: str, backend: Backend, expected: Counts, fault: str, every: int
) -> None:
    camera = provision(db_url)
    with FaultyNetwork(backend.url, fault, every) as network:
        run_worker(
            worker_argv(network.url, camera, tmp_path / "outbox.db", "--http-timeout-s", "1")
        )
    assert network.faults >= 2  # the faults really happened
    assert_stored_exactly(db_url, camera.camera_id, expected)


def test_kill_9_mid_clip_then_restart_stores_each_crossing_once(
    tmp_path: Path, db_url: str, backend: Backend, expected: Counts
) -> None:
    camera = provision(db_url)
    argv = worker_argv(backend.url, camera, tmp_path / "outbox.db")
    worker = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        poll(
            lambda: stored(db_url, camera.camera_id)[1] >= 5 or None,
            timeout_s=120,
            what="the first events on the backend",
        )
        assert worker.poll() is None  # mid-clip
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    partial = stored(db_url, camera.camera_id)[1]
    assert 5 <= partial < sum(c["in"] + c["out"] for c in expected.values())
    run_worker(argv)  # the same command, the same outbox: replays with the same ids
    assert_stored_exactly(db_url, camera.camera_id, expected)


def test_a_malformed_event_is_quarantined_and_the_rest_flows(
    tmp_path: Path, db_url: str, backend: Backend, expected: Counts
) -> None:
    camera = provision(db_url)
    outbox_path = tmp_path / "outbox.db"
    unknown_line = LineCrossed(
        event_id=uuid.uuid4(),
        camera_id=str(camera.camera_id),
        line_id="no-such-line",
        direction="in",
        occurred_at=datetime.now(UTC),
        track_id=1,
    )
    outbox = Outbox(outbox_path)
    outbox.append(
        [
            ("garbage", "{not json"),
            (str(unknown_line.event_id), unknown_line.model_dump_json()),
        ]
    )
    outbox.close()
    log = run_worker(worker_argv(backend.url, camera, outbox_path))
    assert "quarantined" in log
    assert outbox_rows(outbox_path, "quarantine") == 2
    assert outbox_rows(outbox_path) == 0
    assert_stored_exactly(db_url, camera.camera_id, expected)
