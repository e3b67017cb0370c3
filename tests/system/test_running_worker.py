"""A running worker as operations sees it, against a real backend: heartbeats and a
calibration snapshot arrive, Prometheus metrics are served, and SIGTERM stops it with
every counted event on the backend, once. (Exact counts under faults and kill -9:
test_worker_backend.py; line changes from the admin app: test_remote_lines.py.)"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

import metrica
from tests.support.backend import Backend, health, provision, stored
from tests.support.processes import free_port, poll
from tests.support.worker import outbox_rows, start_worker

METRIC_NAMES = (
    "metrica_worker_frames_total",
    "metrica_worker_fps",
    "metrica_worker_inference_seconds_bucket",
    "metrica_worker_frames_dropped_total",
    "metrica_worker_events_counted_total",
    "metrica_worker_events_sent_total",
    "metrica_worker_events_quarantined_total",
    "metrica_worker_outbox_depth",
    "metrica_worker_outbox_dropped_total",
    "metrica_worker_send_failures_total",
    "metrica_worker_stream_up",
    "metrica_worker_backend_up",
)


def test_heartbeat_snapshot_metrics_and_a_graceful_sigterm(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    db = sqlite_backend.db_url
    camera = provision(db, timezone="Europe/Berlin")
    metrics_port = free_port()
    outbox = tmp_path / "outbox.db"
    run = start_worker(
        tmp_path, sqlite_backend.url, camera,
        "--loop", "--realtime", "--stride", "3", "--retry-max-s", "1",
        "--heartbeat-s", "1", "--status-s", "1", "--metrics-port", str(metrics_port),
        outbox=outbox,
    )  # fmt: skip
    try:
        poll(
            lambda: stored(db, camera.camera_id).rows,
            timeout_s=120,
            what="first events on the backend",
        )
        beat = poll(
            lambda: (b := health(db, camera.camera_id)[0]) and b["frames_processed"] and b,
            timeout_s=120,
            what="a heartbeat with frames",
        )
        assert beat["version"] == metrica.__version__
        assert beat["stream_up"] is True
        assert beat["uptime_s"] > 0
        snapshot_bytes = poll(
            lambda: health(db, camera.camera_id)[1], timeout_s=120, what="a snapshot"
        )
        assert snapshot_bytes > 1000

        def scrape() -> str | None:
            try:
                text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            except httpx.TransportError:
                return None
            sent = [ln for ln in text.splitlines() if ln.startswith(METRIC_NAMES[5] + "{")]
            return text if sent and float(sent[0].split()[-1]) > 0 else None

        metrics = poll(scrape, timeout_s=120, what="metrics with sent events")
        for name in METRIC_NAMES:
            assert f"{name}{{" in metrics, name
        assert f'camera_id="{camera.camera_id}"' in metrics
        poll(lambda: "status:" in run.log(), timeout_s=120, what="a status line")
        assert run.proc.poll() is None
        run.kill(signal.SIGTERM)
        assert run.wait(60) == 0, run.tail()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    summary = run.summary()
    got = stored(db, camera.camera_id)
    assert summary["stopped"] == "signal"
    assert summary["outbox_left"] == 0
    assert outbox_rows(outbox) == []
    assert got.rows == got.distinct_ids == summary["events_counted"] == summary["events_sent"]
    assert got.counts == summary["counts"]
    assert got.rollup == got.counts
    log = run.log()
    assert "SIGTERM: stopping" in log
    assert "outbox flushed" in log
    assert "calibration snapshot sent" in log
    assert "Traceback" not in log
