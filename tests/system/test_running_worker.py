"""A running worker as operations sees it, against a real backend: heartbeats and a
calibration snapshot arrive, Prometheus metrics are served, SIGTERM stops it with
every counted event on the backend, once, and a refused key is said as it is. (Exact
counts under faults and kill -9: test_worker_backend.py; line changes from the admin
app: test_remote_lines.py; a live RTSP camera: test_live_camera.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import metrica
from tests.support.backend import Backend, CameraKey, health, provision, stored
from tests.support.data import PLAZA
from tests.support.processes import free_port, poll
from tests.support.worker import metric, outbox_rows, start_worker

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
    "metrica_worker_auth_rejected",
    "metrica_worker_target_fps",
    "metrica_worker_stage_seconds_bucket",
    "metrica_worker_stream_reconnects_total",
    "metrica_worker_send_seconds_bucket",
)
WORKER_UNLABELLED = ("metrica_worker_disk_free_bytes", "metrica_worker_disk_total_bytes")
SERVER_NAMES = (
    "metrica_http_requests_total{",
    "metrica_http_request_duration_seconds_bucket{",
    "metrica_http_requests_in_flight ",
    "metrica_events_ingested_total ",
    "metrica_events_duplicate_total ",
    "metrica_db_pool_size ",
    "metrica_db_pool_in_use ",
    "metrica_db_pool_waiting ",
    'metrica_cameras{state="live"} ',
    'metrica_cameras{state="stale"} ',
    'metrica_cameras{state="offline"} ',
    'metrica_disk_free_bytes{path="data"} ',
    'metrica_disk_total_bytes{path="data"} ',
    'metrica_build_info{version="',
)


def label_values(text: str, name: str, label: str) -> set[str]:
    """Every value `label` takes on the samples of `name` (bounded labels stay few)."""
    found = re.findall(rf'^{re.escape(name)}{{[^}}]*\b{label}="([^"]*)"', text, re.MULTILINE)
    return set(found)


def scrape_server(url: str) -> str | None:
    """The backend's /metrics once it counts a live camera (heartbeats arrived)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    live = [ln for ln in text.splitlines() if ln.startswith('metrica_cameras{state="live"} ')]
    return text if live and float(live[0].split()[-1]) >= 1 else None


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
        assert beat is not None
        assert beat["version"] == metrica.__version__
        assert beat["stream_up"] is True
        assert beat["uptime_s"] > 0
        snapshot_bytes = poll(
            lambda: health(db, camera.camera_id, sqlite_backend.blob_dir)[1],
            timeout_s=120,
            what="a snapshot",
        )
        assert snapshot_bytes is not None
        assert snapshot_bytes > 1000

        def scrape() -> str | None:
            try:
                text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            except httpx.TransportError:
                return None
            sent = [ln for ln in text.splitlines() if ln.startswith(METRIC_NAMES[5] + "{")]
            return text if sent and float(sent[0].split()[-1]) > 0 else None

        metrics = poll(scrape, timeout_s=120, what="metrics with sent events")
        assert metrics is not None
        for name in METRIC_NAMES:
            assert f"{name}{{" in metrics, name
        for name in WORKER_UNLABELLED:
            assert f"\n{name} " in metrics, name
        assert f'camera="{camera.camera_id}"' in metrics
        assert 'camera_id="' not in metrics
        assert label_values(metrics, "metrica_worker_stage_seconds_count", "stage") == {
            "decode", "detect", "track", "count",
        }  # fmt: skip
        assert label_values(metrics, "metrica_worker_fps", "camera") == {camera.camera_id}
        server = poll(
            lambda: scrape_server(sqlite_backend.url),
            timeout_s=120,
            what="the backend's metrics counting a live camera",
        )
        assert server is not None
        for sample in SERVER_NAMES:
            assert sample in server, sample
        routes = label_values(server, "metrica_http_requests_total", "route")
        assert "/events" in routes
        assert all(r.startswith("/") or r == "<unmatched>" for r in routes)
        assert camera.camera_id not in server  # ids never become labels
        assert label_values(server, "metrica_cameras", "state") <= {"live", "stale", "offline"}
        poll(lambda: "status:" in run.log(), timeout_s=120, what="a status line")
        assert run.proc.poll() is None
        run.stop()
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


def refused_config_reads(backend_url: str) -> int:
    """How many `GET /cameras/{id}/config` the backend answered 401, from its /metrics."""
    text = httpx.get(f"{backend_url}/metrics", timeout=5).text
    series = [
        line
        for line in text.splitlines()
        if line.startswith("metrica_http_requests_total{")
        and 'route="/cameras/{camera_id}/config"' in line
        and 'status="401"' in line
    ]
    return sum(int(float(line.split()[-1])) for line in series)


@pytest.mark.parametrize("local_lines", [False, True], ids=["no-line", "with-line"])
def test_a_refused_key_is_said_once_retried_and_reported(
    sqlite_backend: Backend, tmp_path: Path, local_lines: bool
) -> None:
    camera = provision(sqlite_backend.db_url)
    wrong = CameraKey(camera.camera_id, "mk_not-this-cameras-key")
    metrics_port = free_port()
    refused_before = refused_config_reads(sqlite_backend.url)
    run = start_worker(
        tmp_path, sqlite_backend.url, wrong,
        "--key", wrong.key,  # on the command line, as a user might: it is warned about
        "--metrics-port", str(metrics_port), "--flush-deadline-s", "1", "--status-s", "1",
        "--config-poll-s", "1",  # the retries' cap: four refusals come quickly
        lines=PLAZA.lines if local_lines else (),
    )  # fmt: skip
    try:
        poll(
            lambda: metric(metrics_port, "metrica_worker_auth_rejected") == 1,
            timeout_s=60,
            what="metrica_worker_auth_rejected 1",
        )
        poll(  # it keeps asking (with backoff, capped by the config poll) and says so once
            lambda: refused_config_reads(sqlite_backend.url) >= refused_before + 4,
            timeout_s=60,
            what="the worker to be refused four times",
        )
        if local_lines:
            poll(lambda: "status:" in run.log(), timeout_s=60, what="a status line")
        run.stop()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    assert run.summary()["key_refused"] is True
    log = run.log()
    assert "--key puts the worker key on the command line" in log
    assert log.count("worker key refused by the backend (HTTP 401") == 1, log
    assert "the backend still refuses the worker key" in log  # the last word at exit
    assert "not reachable" not in log
    assert "no counting lines yet" not in log
    if local_lines:
        assert "(local defaults: the backend refused the worker key (HTTP 401" in log
        assert "backend refuses the worker key | stream up" in log  # the status line
    else:
        assert log.count("the backend refused the worker key (HTTP 401") == 1
