"""A clip an admin asks for is recorded by the running worker and uploaded, then counted by
the backend: a real `metrica serve` (SQLite) and a real `metrica worker` on the shared
indoor clip, with the camera's lines from the backend."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx

from metrica.server.audits.models import Recording
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.demo_site import prepare_demo_site
from metrica.server.settings import Settings
from tests.support.backend import Backend, CameraKey
from tests.support.data import truth
from tests.support.db import sqlite_url_in
from tests.support.processes import poll
from tests.support.worker import start_worker

INDOOR = truth("indoor_one_by_one")
SECONDS = 3  # the API asks for 60-600 s; the request is written directly to keep this short


async def ask_for_clip(db_url: str, camera_id: str) -> uuid.UUID:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            camera = uuid.UUID(camera_id)
            row = await session.get(Camera, camera)
            assert row is not None
            recording = Recording(
                camera_id=camera,
                store_id=row.store_id,
                source="worker",
                status="requested",
                seconds=SECONDS,
                requested_by="admin@example.com",
            )
            session.add(recording)
            await session.commit()
            return recording.id
    finally:
        await engine.dispose()


def test_the_worker_records_a_requested_clip_and_the_backend_counts_it(tmp_path: Path) -> None:
    db_url = sqlite_url_in(tmp_path)
    lines = [
        LineSpec(line_id=x.line_id, name=x.line_id, x1=x.x1, y1=x.y1, x2=x.x2, y2=x.y2)
        for x in INDOOR.lines
    ]
    site = asyncio.run(prepare_demo_site(Settings(database_url=db_url), live_lines=lines, days=0))
    assert site.live is not None
    camera = CameraKey(str(site.live.camera_id), site.live.worker_key)
    with Backend(db_url) as backend:
        worker = start_worker(
            tmp_path, backend.url, camera, "--loop", "--config-poll-s", "1",
            lines=(), source=str(INDOOR.clip),
        )  # fmt: skip
        try:
            rid = asyncio.run(ask_for_clip(db_url, camera.camera_id))
            admin = httpx.Client(base_url=backend.url, timeout=10)
            signed_in = admin.post(
                "/auth/login", json={"email": site.admin_email, "password": site.password}
            )
            assert signed_in.status_code == 200

            def counted() -> dict[str, Any] | None:
                assert worker.proc.poll() is None, f"the worker died:\n{worker.tail()}"
                body: dict[str, Any] = admin.get(f"/admin/recordings/{rid}").json()
                return body if body["status"] in ("ready", "failed") else None

            body = poll(counted, timeout_s=180, what="the recorded clip, counted")
            assert body is not None
            assert body["status"] == "ready", body["error"]
            assert body["source"] == "worker"
            assert body["content_type"] == "video/mp4"
            assert (body["fps"], body["frames"]) == (INDOOR.fps, SECONDS * INDOOR.fps)
            assert [line["line_id"] for line in body["lines"]] == ["R1", "R2"]
            log = admin.get(f"/admin/cameras/{camera.camera_id}/recordings/log").json()
            assert [(e["actor"], e["action"]) for e in log["data"]] == [("worker", "upload")]
            left = list((tmp_path / "recordings").glob("*"))
            assert left == [], "the uploaded clip is not kept on the box"
        finally:
            worker.kill(signal.SIGTERM)
            worker.wait(60)
    assert worker.proc.returncode == 0
