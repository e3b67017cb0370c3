"""`metrica up`: the whole product from one command, as a new user runs it.

A real backend and a real worker on a shared clip, started by `metrica up`; the owner's
live numbers must move, Ctrl-C must stop everything, and a second run reuses the demo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from metrica.commands.up import web_build_is_stale
from tests.support.data import PLAZA, YOLOX_NANO, video
from tests.support.processes import free_port, is_ready, poll
from tests.support.rtsp import RtspCamera


def start_up(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    db = f"sqlite+aiosqlite:///{tmp_path / 'metrica.db'}"
    argv = [sys.executable, "-m", "metrica.cli", "up", "--port", str(port), "--db-url", db]
    return subprocess.Popen(
        [*argv, "--no-build", *extra],
        cwd=tmp_path,  # the worker's outbox lands under ./var
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "METRICA_DATABASE_URL": db},
    )


def ready(base: str, proc: subprocess.Popen[str] | None = None) -> bool | None:
    if proc is not None and proc.poll() is not None:
        out = proc.stdout.read() if proc.stdout else ""
        raise AssertionError(f"metrica up exited with {proc.returncode}:\n{out}")
    return is_ready(base)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def test_up_runs_backend_and_live_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_up(
        tmp_path, port, video("overhead_plaza.mp4").as_posix(), "--model", str(YOLOX_NANO)
    )
    try:
        poll(lambda: ready(base, proc), timeout_s=120, what="the backend to be ready")
        client = owner_client(base)
        [store] = client.get("/stores").json()["data"]

        # The seeded history is on the demo's other camera, so any event of the live
        # camera is this worker's (today's totals would reset at the store's midnight).
        assert live_camera(client, store["id"])["last_event_at"] is None
        cam = poll(
            lambda: live_camera_once_counting(client, store["id"]),
            timeout_s=180,
            what="the worker's crossings to reach the dashboard",
        )
        assert cam["status"] == "live"
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "owner sign-in:   owner@metrica.local / metrica-demo" in out
    assert "outbox flushed" in out  # the worker stopped first, while the backend was up
    assert ready(base) is None  # the backend is gone too

    again = start_up(tmp_path, port)
    try:
        poll(lambda: ready(base, again), timeout_s=120, what="the backend to be ready again")
        client = httpx.Client(base_url=base, timeout=10)
        client.post(
            "/auth/login", json={"email": "owner@metrica.local", "password": "metrica-demo"}
        )
        assert len(client.get("/stores").json()["data"]) == 1  # reused, not seeded twice
    finally:
        out = stop(again)
    assert again.returncode == 0, out
    assert "seeded before, reused" in out


def live_camera(client: httpx.Client, store_id: str) -> dict[str, Any]:
    """The demo's live camera as the owner's /live shows it."""
    live = client.get(f"/live/{store_id}").json()
    [cam] = [c for c in live["cameras"] if c["name"] == "Live camera"]
    return cam


def live_camera_once_counting(client: httpx.Client, store_id: str) -> dict[str, Any] | None:
    """The live camera once it has an event (the demo's history is on the other camera)."""
    cam = live_camera(client, store_id)
    return cam if cam["last_event_at"] else None


def owner_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    login = client.post(
        "/auth/login", json={"email": "owner@metrica.local", "password": "metrica-demo"}
    )
    assert login.status_code == 200
    return client


def test_up_counts_a_live_rtsp_camera_and_no_command_line_holds_the_key(tmp_path: Path) -> None:
    # The README's form for a real camera; `up` used to start the worker with --loop
    # --realtime, which it refuses for a live stream, so nothing was ever counted.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with RtspCamera(PLAZA.clip) as camera:
        proc = start_up(tmp_path, port, camera.url, "--model", str(YOLOX_NANO))
        try:
            poll(lambda: ready(base, proc), timeout_s=120, what="the backend to be ready")
            client = owner_client(base)
            [store] = client.get("/stores").json()["data"]

            cam = poll(  # the database is new: any event is this worker's
                lambda: live_camera_once_counting(client, store["id"]),
                timeout_s=120,
                what="crossings on the RTSP camera to reach the API",
            )
            assert cam["status"] == "live"
            children = psutil.Process(proc.pid).children(recursive=True)
            [worker] = [c for c in children if "worker" in c.cmdline()]
            assert camera.url in worker.cmdline()
            assert "--loop" not in worker.cmdline()
            key = worker.environ()["METRICA_WORKER_KEY"]  # as /proc/<pid>/environ holds it
            assert key.startswith("mk_")
            for child in children:  # /proc/<pid>/cmdline: readable by every user
                assert not any(key in arg or "mk_" in arg for arg in child.cmdline())
        finally:
            out = stop(proc)
    assert proc.returncode == 0, out
    assert "for video files, not live streams" not in out
    assert "outbox flushed" in out


def test_a_bad_line_is_a_one_line_error(tmp_path: Path) -> None:
    proc = start_up(tmp_path, free_port(), "clip.mp4", "--line", "L1=0,0.5,0,0.5")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out.strip().startswith("metrica up: error:")
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start_up(tmp_path, port)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"127.0.0.1:{port} is in use" in out


@pytest.mark.parametrize(
    ("touch", "stale"),
    [(None, False), ("src/main.tsx", True), ("src/client/types.gen.ts", False)],
)
def test_web_build_is_rebuilt_only_when_sources_changed(
    tmp_path: Path, touch: str | None, stale: bool
) -> None:
    written = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()  # explicit, not the clock
    (tmp_path / "src" / "client").mkdir(parents=True)
    for source in ("src/main.tsx", "src/client/types.gen.ts"):
        (tmp_path / source).write_text("x")
        os.utime(tmp_path / source, (written, written))
    (tmp_path / "dist").mkdir()
    assert web_build_is_stale(tmp_path)  # never built
    index = tmp_path / "dist" / "index.html"
    index.write_text("<html>")
    built = written + 10
    os.utime(index, (built, built))
    if touch:
        os.utime(tmp_path / touch, (built + 10, built + 10))
    assert web_build_is_stale(tmp_path) is stale
