"""Lines drawn in the admin app reach a running worker without a restart.

A real backend (SQLite) and a real worker on a looped clip: the admin replaces the
camera's line through the admin API, and crossings of the new line start arriving while
the old line's stop, within the worker's config poll (1 s here; 30 s by default, so well
within the minute the product promises).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from metrica.server.cameras.schemas import LineSpec
from metrica.server.demo_site import prepare_demo_site
from metrica.server.settings import Settings
from tests.support.backend import Backend, CameraKey, Counts, stored
from tests.support.db import sqlite_url_in
from tests.support.processes import poll
from tests.support.worker import start_worker


def test_a_line_changed_in_the_admin_app_is_counted_by_the_running_worker(
    tmp_path: Path,
) -> None:
    db_url = sqlite_url_in(tmp_path)
    old_line = LineSpec(line_id="old", name="old", x1=0.0, y1=0.5, x2=1.0, y2=0.5)
    site = asyncio.run(
        prepare_demo_site(Settings(database_url=db_url), live_lines=[old_line], days=0)
    )
    assert site.live is not None
    camera = CameraKey(str(site.live.camera_id), site.live.worker_key)
    with Backend(db_url) as backend:
        # No --line: the worker counts the lines the backend has for its camera.
        worker = start_worker(
            tmp_path, backend.url, camera, "--loop", "--realtime", "--config-poll-s", "1", lines=()
        )
        try:
            admin = httpx.Client(base_url=backend.url, timeout=10)
            signed_in = admin.post(
                "/auth/login", json={"email": site.admin_email, "password": site.password}
            )
            assert signed_in.status_code == 200

            def counts_by_line() -> Counts:
                assert worker.proc.poll() is None, f"the worker died:\n{worker.tail()}"
                return stored(db_url, camera.camera_id).counts

            poll(
                lambda: counts_by_line().get("old"),
                timeout_s=120,
                what="crossings of the original line",
            )
            new_line = {"line_id": "new", "name": "new", "x1": 0.0, "y1": 0.3, "x2": 1.0, "y2": 0.3}
            replaced = admin.put(f"/admin/cameras/{camera.camera_id}/lines", json=[new_line])
            assert replaced.status_code == 200, replaced.text
            poll(
                lambda: counts_by_line().get("new"),
                timeout_s=60,
                what="crossings of the line drawn in the admin app",
            )
            assert worker.proc.poll() is None  # the same process, never restarted
        finally:
            worker.kill(signal.SIGTERM)
            worker.wait(60)
    assert worker.proc.returncode == 0
