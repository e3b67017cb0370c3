"""Soak: one worker on a looped clip against a running backend; is its footprint flat?

    uv run python bench/soak.py [--quick] [--minutes N] [--clip PATH] [--model PATH]

Starts a backend (`metrica serve`, SQLite in a temporary folder), provisions the demo
store and a live camera, then runs `metrica worker --loop` at full speed on the clip for
N minutes (20 by default, `--quick` 3). After a 20 s warm-up, every `--sample-s` seconds
it prints the worker's RSS memory, open file descriptors, threads and outbox depth; at the
end it stops the worker with SIGTERM (it flushes its outbox), counts what the backend
stored, and prints one JSON object as the LAST line. Not a pass/fail test: read the
curve (first vs last third).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from bench_support import free_port
from sqlalchemy import func, select

from metrica.evaluation.truth import data_dir
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.demo_site import prepare_demo_site
from metrica.server.events.models import EventRow
from metrica.server.settings import Settings


def wait_ready(url: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("backend not ready")


def outbox_depth(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    except sqlite3.Error:
        return -1


async def stored_events(db_url: str, camera_id: uuid.UUID) -> int:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.camera_id == camera_id)
            )
            return int(count or 0)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 minutes")
    parser.add_argument("--minutes", type=float, default=None, help="default 20 (3 with --quick)")
    parser.add_argument("--sample-s", type=float, default=15.0)
    parser.add_argument("--warmup-s", type=float, default=20.0)
    parser.add_argument("--clip", type=Path, default=data_dir() / "videos" / "overhead_plaza.mp4")
    parser.add_argument("--model", type=Path, default=data_dir() / "models" / "yolox_nano.onnx")
    args = parser.parse_args()
    minutes = args.minutes or (3.0 if args.quick else 20.0)

    work = Path(tempfile.mkdtemp(prefix="metrica-soak-"))
    db_url = f"sqlite+aiosqlite:///{work / 'metrica.db'}"
    env = {**os.environ, "METRICA_DATABASE_URL": db_url, "METRICA_LOG_LEVEL": "WARNING"}
    os.environ["METRICA_DATABASE_URL"] = db_url
    line = LineSpec(line_id="L1", name="L1", x1=0.0, y1=0.5, x2=1.0, y2=0.5)
    site = asyncio.run(prepare_demo_site(Settings(), live_lines=[line], days=1))
    assert site.live is not None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    metrica = [sys.executable, "-m", "metrica.cli"]
    backend = subprocess.Popen([*metrica, "serve", "--port", str(port)], env=env)
    outbox = work / "outbox.db"
    worker = None
    try:
        wait_ready(url)
        worker = subprocess.Popen(
            [
                *metrica,
                "worker",
                str(args.clip),
                "--model",
                str(args.model),
                "--api-url",
                url,
                "--camera-id",
                str(site.live.camera_id),
                "--key",
                site.live.worker_key,
                "--outbox",
                str(outbox),
                "--loop",
                "--json",
                "--log-level",
                "warning",
                "--status-s",
                "3600",
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        proc = psutil.Process(worker.pid)
        samples: list[dict[str, float]] = []
        started = time.monotonic()
        # The first samples would show the model loading, not the steady state.
        print(f"warming up for {args.warmup_s:.0f} s", flush=True)
        time.sleep(args.warmup_s)
        print(f"{'min':>6} {'rss_mb':>8} {'fds':>5} {'threads':>7} {'outbox':>7}", flush=True)
        while True:
            elapsed_min = (time.monotonic() - started) / 60
            sample = {
                "min": elapsed_min,
                "rss_mb": proc.memory_info().rss / 2**20,
                "fds": float(proc.num_fds()),
                "threads": float(proc.num_threads()),
                "outbox": float(outbox_depth(outbox)),
            }
            samples.append(sample)
            print(
                f"{sample['min']:6.1f} {sample['rss_mb']:8.1f} {sample['fds']:5.0f} "
                f"{sample['threads']:7.0f} {sample['outbox']:7.0f}",
                flush=True,
            )
            if elapsed_min >= minutes or worker.poll() is not None:
                break
            time.sleep(min(args.sample_s, max(0.1, (minutes - elapsed_min) * 60)))
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=120)
        summary = json.loads(out.strip().splitlines()[-1])
        stored = asyncio.run(stored_events(db_url, site.live.camera_id))
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        backend.send_signal(signal.SIGTERM)
        backend.wait(timeout=30)

    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    figures = {
        "minutes": round(samples[-1]["min"], 2),
        "samples": len(samples),
        "rss_start_mb": round(samples[0]["rss_mb"], 1),
        "rss_end_mb": round(samples[-1]["rss_mb"], 1),
        "rss_first_third_mb": round(statistics.mean(s["rss_mb"] for s in first), 1),
        "rss_last_third_mb": round(statistics.mean(s["rss_mb"] for s in last), 1),
        "fds_start": int(samples[0]["fds"]),
        "fds_end": int(samples[-1]["fds"]),
        "threads_end": int(samples[-1]["threads"]),
        "frames": summary["frames"],
        "loops": summary["loops"],
        "events_counted": summary["events_counted"],
        "events_sent": summary["events_sent"],
        "events_stored": stored,
        "outbox_left": summary["outbox_left"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
