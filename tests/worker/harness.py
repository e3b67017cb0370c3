"""The real pieces the worker tests run against: a uvicorn backend process on a real
database, camera provisioning through the server's services, what the database holds
for a camera, and the worker as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from metrica.domain.geometry import CountingLine
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.migrate import upgrade
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate
from tests.vision.shared_data import YOLOX_NANO, video

CLIP = video("overhead_plaza.mp4")
# The hand-checked lines of overhead_plaza (shared/data/truth/overhead_plaza.json).
LINES = (
    CountingLine("L1", 0.0, 0.5, 1.0, 0.5),
    CountingLine("L2", 0.0, 0.3, 1.0, 0.3),
    CountingLine("L3", 0.0, 0.72, 0.55, 0.72),
)
LINE_ARGS = [arg for line in LINES for arg in ("--line", line.as_arg())]
Counts = dict[str, dict[str, int]]
HEARTBEAT_FIELDS = ("fps", "frames_processed", "outbox_depth", "uptime_s", "version", "stream_up")


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 120.0) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def migrate(url: str) -> None:
    run_async(_migrate(url))


@dataclass(frozen=True)
class CameraInfo:
    camera_id: str
    key: str


async def _provision(url: str, lines: tuple[CountingLine, ...]) -> CameraInfo:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            store = await stores.create(
                session=session, data=StoreCreate(name="Plaza", timezone="Europe/Berlin")
            )
            camera = Camera(store_id=store.id, name="Plaza cam", is_counting_line=True)
            session.add(camera)
            await session.flush()
            specs = [
                LineSpec(line_id=ln.line_id, x1=ln.x1, y1=ln.y1, x2=ln.x2, y2=ln.y2) for ln in lines
            ]
            await cameras.replace_lines(session=session, camera=camera, specs=specs)
            key = await cameras.issue_key(session=session, camera=camera)
            await session.commit()
            return CameraInfo(str(camera.id), key)
    finally:
        await engine.dispose()


def provision(url: str, lines: tuple[CountingLine, ...] = LINES) -> CameraInfo:
    """A fresh store and camera with these lines and a worker key."""
    result: CameraInfo = run_async(_provision(url, lines))
    return result


@dataclass
class Stored:
    counts: Counts
    rows: int
    distinct_ids: int
    rollup: Counts


async def _stored(url: str, camera_id: str) -> Stored:
    cam = uuid.UUID(camera_id)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            grouped = await session.execute(
                select(EventRow.line_id, EventRow.direction, func.count())
                .where(EventRow.camera_id == cam)
                .group_by(EventRow.line_id, EventRow.direction)
            )
            counts: Counts = {}
            for line_id, direction, n in grouped:
                counts.setdefault(line_id, {"in": 0, "out": 0})[direction] = n
            rows = await session.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.camera_id == cam)
            )
            distinct = await session.scalar(
                select(func.count(func.distinct(EventRow.event_id))).where(
                    EventRow.camera_id == cam
                )
            )
            rollup: Counts = {}
            sums = await session.execute(
                select(
                    HourlyCount.line_id,
                    func.sum(HourlyCount.in_count),
                    func.sum(HourlyCount.out_count),
                )
                .where(HourlyCount.camera_id == cam)
                .group_by(HourlyCount.line_id)
            )
            for line_id, n_in, n_out in sums:
                rollup[line_id] = {"in": int(n_in or 0), "out": int(n_out or 0)}
            return Stored(counts, int(rows or 0), int(distinct or 0), rollup)
    finally:
        await engine.dispose()


def stored(url: str, camera_id: str) -> Stored:
    """What the backend's database holds for this camera."""
    result: Stored = run_async(_stored(url, camera_id))
    return result


async def _health(url: str, camera_id: str) -> tuple[dict[str, Any] | None, int | None]:
    cam = uuid.UUID(camera_id)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            beat = await session.get(CameraHeartbeat, cam)
            snap = await session.get(CameraSnapshot, cam)
            beat_dict = None if beat is None else {k: getattr(beat, k) for k in HEARTBEAT_FIELDS}
            return beat_dict, (None if snap is None else len(snap.jpeg))
    finally:
        await engine.dispose()


def health(url: str, camera_id: str) -> tuple[dict[str, Any] | None, int | None]:
    """(latest heartbeat fields, latest snapshot size in bytes)."""
    result: tuple[dict[str, Any] | None, int | None] = run_async(_health(url, camera_id))
    return result


class Backend:
    """`uvicorn metrica.server.app:create_app` in its own process, on a real database."""

    def __init__(self, db_url: str, port: int | None = None) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Backend:
        env = os.environ | {
            "METRICA_DATABASE_URL": self.db_url,
            "METRICA_ENVIRONMENT": "test",
            "METRICA_SECRET_KEY": "worker-tests-" + uuid.uuid4().hex,
            "METRICA_LOG_LEVEL": "WARNING",
            "METRICA_DB_POOL_SIZE": "4",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "metrica.server.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", "--no-access-log",
            ],
            env=env,
        )  # fmt: skip
        wait_for("the backend to be ready", self._ready, timeout_s=90)
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"backend exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class WorkerRun:
    """A `metrica worker` subprocess with its stdout/stderr in files."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    out_path: Path

    def wait(self, timeout_s: float = 180.0) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"worker did not exit in {timeout_s}s:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def summary(self) -> dict[str, Any]:
        lines = self.out_path.read_text().strip().splitlines()
        assert lines, f"no JSON summary on stdout:\n{self.log()}"
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.proc.send_signal(sig)


def start_worker(
    tmp: Path,
    api_url: str,
    camera: CameraInfo,
    *args: str,
    outbox: Path | None = None,
    name: str = "worker",
) -> WorkerRun:
    log_path, out_path = tmp / f"{name}.log", tmp / f"{name}.out"
    argv = [
        sys.executable, "-m", "metrica.cli", "worker", str(CLIP),
        "--api-url", api_url, "--camera-id", camera.camera_id,
        "--model", str(YOLOX_NANO), *LINE_ARGS,
        "--outbox", str(outbox or tmp / "outbox.db"),
        "--retry-max-s", "1", "--json", *args,
    ]  # fmt: skip
    env = os.environ | {"METRICA_WORKER_KEY": camera.key}
    with log_path.open("ab") as log_file, out_path.open("ab") as out_file:
        proc = subprocess.Popen(argv, env=env, stdout=out_file, stderr=log_file)
    return WorkerRun(proc, log_path, out_path)


def outbox_rows(path: Path, table: str = "outbox") -> list[tuple[Any, ...]]:
    """Rows of the worker's outbox file, read while the worker may be running (WAL)."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(f"SELECT * FROM {table}").fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        db.close()
