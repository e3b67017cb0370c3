"""`metrica worker --as-camera --detect-fps`: a clip replayed as a live camera (what
bench/cameras.py runs N of), against the real backend: it counts, stores each event
once, never detects faster than the cap, and reports how late its frames are."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.backend import Backend, provision, stored
from tests.support.processes import free_port, poll
from tests.support.worker import metric, start_worker

CAP_FPS = 5.0


def test_a_replayed_camera_counts_at_its_capped_rate_and_stores_each_event_once(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    db = sqlite_backend.db_url
    camera = provision(db)
    port = free_port()
    run = start_worker(
        tmp_path, sqlite_backend.url, camera, "--as-camera", "--detect-fps", str(CAP_FPS),
        "--threads", "1", "--metrics-port", str(port),
    )  # fmt: skip
    try:
        poll(lambda: metric(port, "metrica_worker_frames_total"), timeout_s=120, what="frames")
        started_s, first = time.monotonic(), metric(port, "metrica_worker_frames_total") or 0
        poll(lambda: stored(db, camera.camera_id).rows, timeout_s=120, what="stored events")
        frames = (metric(port, "metrica_worker_frames_total") or 0) - first
        # A cap is a ceiling: never more detections than slots (one extra for the edges).
        assert frames <= CAP_FPS * (time.monotonic() - started_s) + 1
        assert metric(port, "metrica_worker_target_fps") == CAP_FPS
        assert (metric(port, "metrica_worker_frame_lag_seconds_count") or 0) > 0
        assert metric(port, "metrica_worker_stream_up") == 1
        assert metric(port, "metrica_worker_stream_reconnects_total") == 0
        run.stop()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    summary = run.summary()
    got = stored(db, camera.camera_id)
    assert summary["stopped"] == "signal"
    assert got.rows == got.distinct_ids == summary["events_counted"] == summary["events_sent"]
    assert "Traceback" not in run.log()
