"""`metrica worker` on a real RTSP camera (Debian's GStreamer RTSP server on the plaza
clip) against the real backend: the camera drops and comes back, a camera never answers
(nothing listens, or it accepts and stays silent), and the worker's log stays ours (no
FFmpeg or OpenCV lines)."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.support.backend import Backend, health, provision, stored
from tests.support.data import PLAZA
from tests.support.processes import free_port, poll
from tests.support.rtsp import RtspCamera, silent_camera
from tests.support.worker import WorkerRun, metric, start_worker

# What FFmpeg (`[tcp @ 0x…] Connection refused`, `[rtsp @ 0x…]`) and OpenCV
# (`[ WARN:2@12.5] global cap.cpp:212 …`) print on their own when a stream fails.
LIBRARY_LINE = re.compile(r"^\[(\w+ @ 0x[0-9a-f]+|\s*(WARN|ERROR|INFO):\d+@[\d.]+)\]", re.M)
LIVE = ("--heartbeat-s", "1", "--flush-deadline-s", "15")


def assert_log_is_ours(run: WorkerRun) -> None:
    log = run.log()
    assert not LIBRARY_LINE.findall(log), log[-3000:]
    assert "cap.cpp" not in log
    assert "Traceback" not in log
    assert "--key puts the worker key" not in log  # the key came in the environment


def assert_reported_down(db: str, camera_id: str, metrics_port: int) -> None:
    """The heartbeat and /metrics both say the stream is down, nothing processed."""
    beat = poll(lambda: health(db, camera_id)[0], timeout_s=60, what="a heartbeat")
    assert beat["stream_up"] is False
    assert beat["frames_processed"] == 0
    assert metric(metrics_port, "metrica_worker_stream_up") == 0


def test_a_camera_that_drops_and_returns_is_counted_again_and_stored_once(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    db = sqlite_backend.db_url
    camera = provision(db)
    metrics_port = free_port()
    with RtspCamera(PLAZA.clip) as rtsp:
        run = start_worker(
            tmp_path, sqlite_backend.url, camera, *LIVE, "--metrics-port", str(metrics_port),
            source=rtsp.url,
        )  # fmt: skip
        try:
            poll(lambda: stored(db, camera.camera_id).rows, timeout_s=90, what="first events")
            rtsp.stop()
            poll(
                lambda: metric(metrics_port, "metrica_worker_stream_up") == 0,
                timeout_s=30,
                what="the worker to see the stream down",
            )
            frames_down = metric(metrics_port, "metrica_worker_frames_total") or 0
            counted_down = metric(metrics_port, "metrica_worker_events_counted_total") or 0
            rtsp.start()  # the same camera, back on the same port
            poll(
                lambda: (metric(metrics_port, "metrica_worker_frames_total") or 0) > frames_down,
                timeout_s=30,
                what="frames again once the camera is back",
            )
            poll(
                lambda: (
                    (metric(metrics_port, "metrica_worker_events_counted_total") or 0)
                    > counted_down
                ),
                timeout_s=60,
                what="crossings counted after the camera came back",
            )
            # Up again (polled: on a loaded box the camera may blink once more before it).
            poll(
                lambda: metric(metrics_port, "metrica_worker_stream_up") == 1,
                timeout_s=30,
                what="the worker to report the stream up again",
            )
            run.stop()
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
    summary = run.summary()
    got = stored(db, camera.camera_id)
    assert summary["stopped"] == "signal"
    assert summary["outbox_left"] == 0
    assert summary["key_refused"] is False
    assert got.rows == got.distinct_ids == summary["events_counted"] == summary["events_sent"]
    assert got.counts == summary["counts"]
    log = run.log()
    assert "stream lost" in log
    assert "stream reconnected: tracks reset, totals kept" in log
    assert_log_is_ours(run)


def test_a_camera_that_never_answers_is_retried_reported_down_and_sigterm_exits(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    """Nothing listens on the camera's port: every attempt is refused at once."""
    db = sqlite_backend.db_url
    camera = provision(db)
    metrics_port = free_port()
    run = start_worker(
        tmp_path, sqlite_backend.url, camera, *LIVE, "--metrics-port", str(metrics_port),
        source=f"rtsp://127.0.0.1:{free_port()}/stream",
    )  # fmt: skip
    try:
        assert_reported_down(db, camera.camera_id, metrics_port)
        poll(
            lambda: run.log().count("cannot connect") >= 3,
            timeout_s=30,
            what="three connection attempts",
        )
        run.kill(signal.SIGTERM)
        assert run.wait(30) == 0, run.tail()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    # Backoff, not a busy loop: a refused port answers at once, so without the capped,
    # jittered pauses there would be thousands of attempts by now.
    assert run.log().count("cannot connect") < 30
    summary = run.summary()
    assert (summary["stopped"], summary["frames"], summary["events_counted"]) == ("signal", 0, 0)
    assert_log_is_ours(run)


def test_a_camera_that_accepts_and_stays_silent_is_reported_down_and_sigterm_exits(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    """A hung camera: the connection is accepted, no answer ever comes. SIGTERM ends the
    worker without waiting for FFmpeg's open to give up (10 s), which it cannot
    interrupt."""
    db = sqlite_backend.db_url
    camera = provision(db)
    metrics_port = free_port()
    with silent_camera() as url:
        run = start_worker(
            tmp_path, sqlite_backend.url, camera, *LIVE, "--metrics-port", str(metrics_port),
            source=url,
        )  # fmt: skip
        try:
            assert_reported_down(db, camera.camera_id, metrics_port)
            attempts_ended = run.log().count("cannot connect")
            run.kill(signal.SIGTERM)
            assert run.wait(30) == 0, run.tail()
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
    # The open in progress at SIGTERM was not waited out (nor said to fail: we stopped).
    assert run.log().count("cannot connect") == attempts_ended
    summary = run.summary()
    assert (summary["stopped"], summary["frames"], summary["events_counted"]) == ("signal", 0, 0)
    assert_log_is_ours(run)
