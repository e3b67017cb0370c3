"""The real backend for tests that run processes: `metrica serve` on a real database,
a store and camera provisioned through the server's own services, and what the database
holds for a camera afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from metrica.domain.geometry import CountingLine
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate
from tests.support.data import PLAZA
from tests.support.processes import free_port, is_ready, poll

Counts = dict[str, dict[str, int]]
HEARTBEAT_FIELDS = ("fps", "frames_processed", "outbox_depth", "uptime_s", "version", "stream_up")


class Backend:
    """`metrica serve` in its own process on a real database, as production runs it;
    `with Backend(url) as backend:` starts it and stops it again."""

    def __init__(
        self, db_url: str, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.db_url = db_url
        self.extra_env = env or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._blobs = tempfile.TemporaryDirectory(prefix="metrica-blobs-")
        self.blob_dir = Path(self._blobs.name)  # snapshots land here, not in the checkout
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Backend:
        env = (
            os.environ
            | {
                "METRICA_DATABASE_URL": self.db_url,
                "METRICA_ENVIRONMENT": "test",
                "METRICA_SECRET_KEY": "worker-tests-" + uuid.uuid4().hex,
                "METRICA_LOG_LEVEL": "WARNING",
                "METRICA_VAR_DIR": tempfile.gettempdir(),
                "METRICA_BLOB_DIR": str(self.blob_dir),
            }
            | self.extra_env
        )
        argv = [sys.executable, "-m", "metrica.cli", "serve", "--port", str(self.port)]
        self._proc = subprocess.Popen([*argv, "--db-url", self.db_url], env=env)
        try:
            poll(self._ready, timeout_s=120, what=f"the backend on {self.url}")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool | None:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise AssertionError(f"the backend exited with {self._proc.returncode}")
        return is_ready(self.url)

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._blobs.cleanup()

    def terminate(self) -> None:
        """Send SIGTERM (the graceful stop), without waiting."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)

    def wait(self, timeout_s: float = 30) -> int:
        """The exit code, once the process ended (killed after `timeout_s`)."""
        assert self._proc is not None
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            raise AssertionError(f"the backend ran past {timeout_s} s after SIGTERM") from None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self.terminate()
            with contextlib.suppress(AssertionError):
                self.wait()


@dataclass(frozen=True)
class CameraKey:
    camera_id: str
    key: str


def provision(
    db_url: str, lines: Sequence[CountingLine] = PLAZA.lines, timezone: str = "UTC"
) -> CameraKey:
    """A fresh store and counting camera with these lines, and its worker key, made with
    the server's own service functions (what the admin app does)."""

    async def create() -> CameraKey:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                store = await stores.create(
                    session=session,
                    data=StoreCreate(name=f"plaza {uuid.uuid4().hex[:6]}", timezone=timezone),
                )
                camera = Camera(store_id=store.id, name="plaza", is_counting_line=True)
                session.add(camera)
                await session.flush()
                specs = [
                    LineSpec(line_id=ln.line_id, x1=ln.x1, y1=ln.y1, x2=ln.x2, y2=ln.y2)
                    for ln in lines
                ]
                await cameras.replace_lines(session=session, camera=camera, specs=specs)
                key = await cameras.issue_key(session=session, camera=camera)
                await session.commit()
                return CameraKey(str(camera.id), key)
        finally:
            await engine.dispose()

    return asyncio.run(create())


@dataclass(frozen=True)
class Stored:
    counts: Counts  # line -> {"in": n, "out": n}, lines with events only
    rows: int
    distinct_ids: int
    rollup: Counts  # the hourly rollup summed over all hours, per line


def stored(db_url: str, camera_id: str) -> Stored:
    """What the backend's database holds for one camera."""

    async def query() -> Stored:
        cam = uuid.UUID(camera_id)
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                grouped = await session.execute(
                    select(EventRow.line_id, EventRow.direction, func.count())
                    .where(EventRow.camera_id == cam)
                    .group_by(EventRow.line_id, EventRow.direction)
                )
                counts: Counts = {}
                for line_id, direction, n in grouped.all():
                    counts.setdefault(str(line_id), {"in": 0, "out": 0})[str(direction)] = int(n)
                rows = await session.scalar(
                    select(func.count()).select_from(EventRow).where(EventRow.camera_id == cam)
                )
                distinct = await session.scalar(
                    select(func.count(func.distinct(EventRow.event_id))).where(
                        EventRow.camera_id == cam
                    )
                )
                sums = await session.execute(
                    select(
                        HourlyCount.line_id,
                        func.sum(HourlyCount.in_count),
                        func.sum(HourlyCount.out_count),
                    )
                    .where(HourlyCount.camera_id == cam)
                    .group_by(HourlyCount.line_id)
                )
                rollup: Counts = {
                    str(line_id): {"in": int(n_in or 0), "out": int(n_out or 0)}
                    for line_id, n_in, n_out in sums.all()
                }
                return Stored(counts, int(rows or 0), int(distinct or 0), rollup)
        finally:
            await engine.dispose()

    return asyncio.run(query())


def health(
    db_url: str, camera_id: str, blob_dir: Path | None = None
) -> tuple[dict[str, Any] | None, int | None]:
    """(the camera's latest heartbeat fields, its latest snapshot's size in bytes: the
    snapshot is in the backend's blob directory `blob_dir`)."""

    async def query() -> tuple[dict[str, Any] | None, int | None]:
        cam = uuid.UUID(camera_id)
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                beat = await session.get(CameraHeartbeat, cam)
                snap = await session.get(CameraSnapshot, cam)
                fields = None if beat is None else {k: getattr(beat, k) for k in HEARTBEAT_FIELDS}
                if snap is None or snap.blob_key is None or blob_dir is None:
                    return fields, None
                blob = blob_dir / snap.blob_key
                return fields, (blob.stat().st_size if blob.is_file() else None)
        finally:
            await engine.dispose()

    return asyncio.run(query())
