"""The worker's control thread: heartbeats, calibration snapshots, line config, status.

Everything here is best effort and off the frame path: a slow or absent backend delays
a heartbeat, never a frame. Counting lines found in `GET /cameras/{id}/config` win over
the local `--line` defaults; a change is handed to the frame loop, which applies it
between two frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from metrica import __version__
from metrica.domain.events import Heartbeat
from metrica.domain.geometry import CountingLine
from metrica.domain.limits import SNAPSHOT_MAX_BYTES
from metrica.edge.metrics import WorkerMetrics
from metrica.edge.outbox import Outbox
from metrica.edge.shipper import Shipper
from metrica.edge.uplink import ControlResult, Uplink

log = logging.getLogger(__name__)


SNAPSHOT_RETRY_S = 30.0
TICK_S = 0.25
FPS_WINDOW_S = 5.0


@dataclass
class WorkerState:
    """What the frame loop publishes for the control thread (plain attribute swaps)."""

    local_lines: tuple[CountingLine, ...]
    lines: tuple[CountingLine, ...] = ()
    pending_lines: tuple[CountingLine, ...] | None = None
    frames: int = 0
    counted: int = 0
    latest_image: npt.NDArray[np.uint8] | None = None
    stream_up: Callable[[], bool] = lambda: False
    frames_dropped: Callable[[], int] = lambda: 0
    started_s: float = field(default_factory=time.monotonic)
    fps: float = 0.0
    # Audit clips: the control thread sets a request (id, seconds) it polled; the frame
    # loop records it and hands back (id, file) once complete, for the control thread
    # to upload.
    recording_request: tuple[str, int] | None = None
    finished_clip: tuple[str, Path] | None = None


def effective_lines(
    backend: list[CountingLine] | None, local: tuple[CountingLine, ...]
) -> tuple[CountingLine, ...] | None:
    """The lines to count with: the backend's when it has any, else the local defaults;
    None when the backend could not be asked (keep what we have)."""
    if backend is None:
        return None
    return tuple(backend) if backend else local


def encode_snapshot(image: npt.NDArray[np.uint8], max_bytes: int = SNAPSHOT_MAX_BYTES) -> bytes:
    """A JPEG under `max_bytes`, halving the resolution until it fits."""
    quality = 85
    while True:
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        data = bytes(buffer.tobytes())
        if len(data) <= max_bytes or min(image.shape[:2]) < 32:
            return data
        image = np.asarray(cv2.resize(image, None, fx=0.5, fy=0.5), dtype=np.uint8)


class ControlLoop:
    """Periodic jobs on one thread, each on its own schedule, until `stop()`."""

    def __init__(
        self,
        state: WorkerState,
        uplink: Uplink,
        outbox: Outbox,
        shipper: Shipper,
        metrics: WorkerMetrics,
        *,
        heartbeat_s: float,
        snapshot_s: float,
        config_poll_s: float,
        status_s: float,
        redact: Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]] | None = None,
    ) -> None:
        """`redact` makes a snapshot fit to leave the box (people blurred); None sends
        frames as they are (`--no-snapshot-blur`)."""
        self._redact = redact
        self._state, self._uplink, self._outbox = state, uplink, outbox
        self._shipper, self._metrics = shipper, metrics
        self._heartbeat_s, self._snapshot_s = heartbeat_s, snapshot_s
        self._config_poll_s, self._status_s = config_poll_s, status_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="control", daemon=True)
        self._fps_mark = (time.monotonic(), 0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def refresh_lines(self) -> bool:
        """Ask the backend for lines now; True if it answered."""
        result, backend = self._uplink.get_lines()  # a refused key is said by KeyStatus
        wanted = effective_lines(backend, self._state.local_lines)
        if wanted is not None and wanted != self._state.lines:
            source = "backend" if backend else "local --line defaults"
            names = ", ".join(line.line_id for line in wanted) or "none (counting paused)"
            log.info("counting lines from the %s: %s", source, names)
            self._state.lines = wanted
            self._state.pending_lines = wanted
        if self._state.recording_request is None and self._state.finished_clip is None:
            request = self._uplink.get_pending_recording()
            if request is not None:
                log.info("recording %d s for an accuracy audit (%s)", request[1], request[0])
                self._state.recording_request = request
        return result.ok

    def upload_clip(self) -> bool:
        """Upload a finished audit clip; True when it is off the box (sent, or refused for
        good: the request was withdrawn or the clip is over the cap)."""
        finished = self._state.finished_clip
        if finished is None:
            return True
        recording_id, path = finished
        try:
            result = self._uplink.put_recording(recording_id, path)
        except OSError as exc:
            log.warning("audit clip %s unreadable, dropped: %s", recording_id, exc)
            result = ControlResult(False, 400, str(exc))
        if result.ok or (result.status is not None and 400 <= result.status < 500):
            if not result.ok:
                log.warning(
                    "audit clip %s refused: %s %s", recording_id, result.status, result.detail
                )
            path.unlink(missing_ok=True)
            self._state.finished_clip = None
            return True
        log.info("audit clip %s not uploaded yet: %s", recording_id, result.detail)
        return False

    def _run(self) -> None:
        now_s = time.monotonic()
        next_beat_s = now_s + min(2.0, self._heartbeat_s)
        next_snapshot_s = now_s
        next_config_s = now_s + self._config_poll_s
        next_status_s = now_s + self._status_s
        next_clip_s = now_s
        while not self._stop.wait(TICK_S):
            now_s = time.monotonic()
            self._update_gauges(now_s)
            if now_s >= next_beat_s:
                next_beat_s = now_s + self._heartbeat_s
                self._heartbeat(now_s)
            if now_s >= next_snapshot_s and self._state.latest_image is not None:
                ok = self._snapshot(self._state.latest_image)
                next_snapshot_s = now_s + (self._snapshot_s if ok else SNAPSHOT_RETRY_S)
            if now_s >= next_config_s:
                next_config_s = now_s + self._config_poll_s
                self.refresh_lines()
            if self._state.finished_clip is not None and now_s >= next_clip_s:
                next_clip_s = now_s + (0 if self.upload_clip() else SNAPSHOT_RETRY_S)
            if now_s >= next_status_s:
                next_status_s = now_s + self._status_s
                log.info("status: %s", self.status_line())

    def status_line(self) -> str:
        s = self._state
        return (
            f"{s.frames} frames ({s.fps:.1f} fps) | counted {s.counted} | "
            f"sent {self._shipper.stats.sent} | outbox {self._outbox.depth} | "
            f"quarantined {self._shipper.stats.quarantined} | "
            f"backend {self._backend_state()} | "
            f"stream {'up' if s.stream_up() else 'down'}"
        )

    def _backend_state(self) -> str:
        if self._uplink.key_status.refused:
            return "refuses the worker key"
        return "up" if self._shipper.backend_up else "down"

    def _update_gauges(self, now_s: float) -> None:
        mark_s, mark_frames = self._fps_mark
        if now_s - mark_s >= FPS_WINDOW_S:
            self._state.fps = (self._state.frames - mark_frames) / (now_s - mark_s)
            self._fps_mark = (now_s, self._state.frames)
            self._metrics.fps.set(self._state.fps)
        self._metrics.outbox_depth.set(self._outbox.depth)
        self._metrics.stream_up.set(1 if self._state.stream_up() else 0)
        self._metrics.backend_up.set(1 if self._shipper.backend_up else 0)

    def _heartbeat(self, now_s: float) -> None:
        s = self._state
        beat = Heartbeat(
            fps=round(max(s.fps, 0.0), 2),
            frames_processed=s.frames,
            frames_dropped=max(s.frames_dropped(), 0),
            outbox_depth=self._outbox.depth,
            uptime_s=round(now_s - s.started_s, 1),
            stream_up=s.stream_up(),
            version=__version__,
        )
        result = self._uplink.post_heartbeat(beat)
        if not result.ok:
            log.debug("heartbeat not delivered: %s %s", result.status, result.detail)

    def _snapshot(self, image: npt.NDArray[np.uint8]) -> bool:
        if self._redact is not None:
            try:
                image = self._redact(image)
            except Exception as exc:  # fail closed: a frame with people in clear never leaves
                log.warning("snapshot not sent: people could not be blurred (%s)", exc)
                return False
        try:
            jpeg = encode_snapshot(image)
        except (ValueError, cv2.error) as exc:
            log.warning("snapshot not encoded: %s", exc)
            return False
        result = self._uplink.put_snapshot(jpeg)
        if result.ok:
            log.info("calibration snapshot sent (%d KiB)", len(jpeg) // 1024)
        else:
            log.debug("snapshot not delivered: %s %s", result.status, result.detail)
        return result.ok
