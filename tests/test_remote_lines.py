"""Lines drawn in the admin app reach a running worker without a restart.

A real backend (SQLite) and a real worker on a looped clip: the admin replaces the
camera's line through the admin API, and crossings of the new line start arriving while
the old line's stop, within the worker's config poll (1 s here; 30 s by default, so well
within the minute the product promises).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from metrica.server.cameras.schemas import LineSpec
from metrica.server.demo_site import prepare_demo_site
from metrica.server.settings import Settings
from tests.processes import free_port, is_ready, poll
from tests.vision.shared_data import YOLOX_NANO, video


def test_a_line_changed_in_the_admin_app_is_counted_by_the_running_worker(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'metrica.db'}"
    env = {**os.environ, "METRICA_DATABASE_URL": db_url, "METRICA_LOG_LEVEL": "WARNING"}
    old_line = LineSpec(line_id="old", name="old", x1=0.0, y1=0.5, x2=1.0, y2=0.5)
    site = asyncio.run(
        prepare_demo_site(Settings(database_url=db_url), live_lines=[old_line], days=0)
    )
    assert site.live is not None
    camera_id = site.live.camera_id
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrica = [sys.executable, "-m", "metrica.cli"]
    backend = subprocess.Popen([*metrica, "serve", "--port", str(port)], env=env)
    worker = None
    try:
        poll(lambda: is_ready(base), timeout_s=120, what="the backend")
        worker = subprocess.Popen(
            [
                *metrica, "worker", str(video("overhead_plaza.mp4")),
                "--model", str(YOLOX_NANO), "--api-url", base, "--camera-id", str(camera_id),
                "--key", site.live.worker_key, "--outbox", str(tmp_path / "outbox.db"),
                "--loop", "--realtime", "--config-poll-s", "1", "--send-every-s", "0.5",
            ],
            env=env,
        )  # fmt: skip
        admin = httpx.Client(base_url=base, timeout=10)
        signed_in = admin.post(
            "/auth/login", json={"email": site.admin_email, "password": site.password}
        )
        assert signed_in.status_code == 200

        def counts_by_line() -> dict[str, int]:
            assert worker is not None
            assert worker.poll() is None, "the worker died"
            return events_by_line(db_url, camera_id)

        poll(
            lambda: counts_by_line().get("old") or None,
            timeout_s=120,
            what="crossings of the original line",
        )
        new_line = {"line_id": "new", "name": "new", "x1": 0.0, "y1": 0.3, "x2": 1.0, "y2": 0.3}
        replaced = admin.put(f"/admin/cameras/{camera_id}/lines", json=[new_line])
        assert replaced.status_code == 200, replaced.text
        poll(
            lambda: counts_by_line().get("new") or None,
            timeout_s=60,
            what="crossings of the line drawn in the admin app",
        )
        assert worker.poll() is None  # the same process, never restarted
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        backend.send_signal(signal.SIGTERM)
        backend.wait(timeout=30)
    assert worker.returncode == 0


def events_by_line(db_url: str, camera_id: uuid.UUID) -> dict[str, int]:
    """Stored events of one camera, per line id, read from the backend's database."""
    from sqlalchemy import func, select

    from metrica.server.db import create_engine, session_factory
    from metrica.server.events.models import EventRow

    async def query() -> dict[str, int]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = await session.execute(
                    select(EventRow.line_id, func.count())
                    .where(EventRow.camera_id == camera_id)
                    .group_by(EventRow.line_id)
                )
                return {str(line): int(n) for line, n in rows.all()}
        finally:
            await engine.dispose()

    return asyncio.run(query())
