"""`metrica worker --config cameras.yaml`: one worker process per camera, supervised.

Each camera runs in its own `metrica worker` process (own session, own outbox), so a
crash, a hung decoder or a leak in one never touches the others. A child that exits 0 is
done (a video file without --loop); any other exit is restarted after an equal-jitter
delay that doubles with each recent crash (capped), so a crash loop costs little.
SIGTERM/SIGINT are forwarded once; children get `stop_timeout_s` to flush, then SIGKILL
(their outboxes keep whatever was not sent).

A fleet box (`metrica edge run`) changes the set while running: `apply(specs)` starts the
new cameras, stops the removed ones and restarts only those whose command changed.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from metrica.domain.backoff import equal_jitter_delay_s
from metrica.edge.cameras_file import CameraEntry, CamerasFile, RestartPolicy

log = logging.getLogger("metrica.edge.supervisor")

POLL_S = 0.5
CHILD_ENV_DROPPED = (
    "METRICA_API_URL",
    "METRICA_CAMERA_ID",
    "METRICA_WORKER_KEY",
    "METRICA_WORKER_KEY_FILE",
    "METRICA_SOURCE",
)


def recent_crashes(crash_times_s: collections.deque[float], now_s: float, window_s: float) -> int:
    """Forget crashes older than the window; how many are left."""
    while crash_times_s and now_s - crash_times_s[0] > window_s:
        crash_times_s.popleft()
    return len(crash_times_s)


def restart_delay_s(recent: int, *, u: float, policy: RestartPolicy) -> float:
    """Pause before restarting a child with `recent` crashes (≥ 1) in the window."""
    return equal_jitter_delay_s(recent - 1, u=u, base_s=policy.base_s, cap_s=policy.cap_s)


def inference_threads(cameras: int, cpus: int) -> int:
    """ONNX Runtime threads per camera so the box's workers together use each core once.

    Measured with bench/cameras.py on 2 busy cores (before the detector stopped its
    threads spinning): a worker with 2 intra-op threads spent 79 ms of CPU per detected
    frame, one with 1 thread 35 ms. More threads than cores only wait on each other."""
    return max(1, cpus // max(1, cameras))


def worker_command(
    camera: CameraEntry, defaults: CamerasFile, *, log_level: str
) -> tuple[list[str], dict[str, str]]:
    """argv and environment of one camera's worker; the key travels in the environment."""
    argv = [sys.executable, "-m", "metrica.cli", "worker", camera.source]
    argv += ["--camera-id", camera.camera_id, "--api-url", str(camera.api_url or defaults.api_url)]
    model = camera.model or defaults.model
    if model:
        argv += ["--model", model]
    for line in camera.lines:
        argv += ["--line", line]
    if camera.outbox:
        argv += ["--outbox", str(camera.outbox)]
    if camera.metrics_port:
        argv += ["--metrics-port", str(camera.metrics_port)]
    argv += ["--log-level", log_level, *defaults.args, *camera.args]
    if "--threads" not in argv:
        argv += ["--threads", str(inference_threads(len(defaults.cameras), os.cpu_count() or 1))]
    env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
    if camera.key_file:
        argv += ["--key-file", str(camera.key_file)]
    else:
        env["METRICA_WORKER_KEY"] = camera.key or os.environ[str(camera.key_env)]
    return argv, env


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor dies, so no worker is orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass(frozen=True)
class WorkerSpec:
    """One camera's worker process: what to run; a changed spec means a restart."""

    camera_id: str
    label: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]


def spec_for(camera: CameraEntry, defaults: CamerasFile, *, log_level: str) -> WorkerSpec:
    argv, env = worker_command(camera, defaults, log_level=log_level)
    label = camera.name or camera.camera_id[:8]
    return WorkerSpec(camera.camera_id, label, tuple(argv), tuple(sorted(env.items())))


@dataclass
class Child:
    spec: WorkerSpec
    proc: subprocess.Popen[bytes] | None = None
    crashes: collections.deque[float] = field(default_factory=collections.deque)
    start_at_s: float = 0.0
    restarts: int = 0
    done: bool = False
    retire_by_s: float | None = None  # stopping for good (removed or replaced) by then

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def state(self) -> str:
        """starting, running, restarting or finished (as a box heartbeat reports it)."""
        if self.done:
            return "finished"
        if self.proc is not None:
            return "running"
        return "restarting" if self.crashes else "starting"


@dataclass(frozen=True)
class ChildStatus:
    camera_id: str
    state: str
    restarts: int


MAX_ERRORS = 20


class Supervisor:
    def __init__(
        self,
        cameras: CamerasFile | None = None,
        *,
        log_level: str = "info",
        restart: RestartPolicy | None = None,
        stop_timeout_s: float = 30.0,
    ) -> None:
        """Supervise the cameras of a file, or (no file) whatever `apply` is given, until
        stopped (`keep_running`: an empty or finished set does not end `run`)."""
        self.restart = restart or (cameras.restart if cameras else RestartPolicy())
        self.stop_timeout_s = cameras.stop_timeout_s if cameras else stop_timeout_s
        self.keep_running = cameras is None
        self.children = (
            []
            if cameras is None
            else [Child(spec_for(c, cameras, log_level=log_level)) for c in cameras.cameras]
        )
        self.retiring: list[Child] = []
        self.stop = threading.Event()
        self.errors: collections.deque[tuple[datetime, str]] = collections.deque(maxlen=MAX_ERRORS)
        self._lock = threading.Lock()
        self._pending: list[WorkerSpec] | None = None

    def apply(self, specs: Sequence[WorkerSpec]) -> None:
        """Make `specs` the running set at the next tick (thread-safe)."""
        with self._lock:
            self._pending = list(specs)

    def statuses(self) -> list[ChildStatus]:
        """Each current camera's state, for a heartbeat (thread-safe)."""
        with self._lock:
            return [
                ChildStatus(c.spec.camera_id, c.state, max(0, c.restarts - 1))
                for c in self.children
            ]

    def recent_errors(self) -> list[tuple[datetime, str]]:
        with self._lock:
            return list(self.errors)

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append((datetime.now(UTC), message))

    def run(self) -> int:
        """Run until every child is done (a file's cameras) or `stop` is set."""
        log.info("supervising %d camera(s)", len(self.children))
        while True:
            now_s = time.monotonic()
            self._reconcile(now_s)
            for child in list(self.children):
                self._tend(child, now_s)
            self._reap_retiring(now_s)
            if not self.keep_running and all(c.done for c in self.children):
                log.info("every camera finished")
                return 0
            if self.stop.wait(POLL_S):
                break
        self._stop_children()
        return 0

    def _reconcile(self, now_s: float) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
            if pending is None:
                return
            wanted = {spec.camera_id: spec for spec in pending}
            kept: list[Child] = []
            for child in self.children:
                spec = wanted.get(child.spec.camera_id)
                if spec == child.spec:
                    kept.append(child)
                    del wanted[spec.camera_id]
                else:
                    why = "removed" if spec is None else "changed"
                    log.info("camera %s: %s; stopping its worker", child.label, why)
                    self._retire(child, now_s)
            kept += [Child(spec) for spec in wanted.values()]
            self.children = kept

    def _retire(self, child: Child, now_s: float) -> None:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
            child.retire_by_s = now_s + self.stop_timeout_s
            self.retiring.append(child)

    def _reap_retiring(self, now_s: float) -> None:
        still = []
        for child in self.retiring:
            assert child.proc is not None
            assert child.retire_by_s is not None
            if child.proc.poll() is not None:
                continue
            if now_s >= child.retire_by_s:
                log.warning("camera %s: worker did not stop in time; killing it", child.label)
                child.proc.kill()
                child.proc.wait()
                continue
            still.append(child)
        self.retiring = still

    def _tend(self, child: Child, now_s: float) -> None:
        proc = child.proc
        if proc is not None and proc.poll() is not None:
            child.proc = None
            if proc.returncode == 0:
                child.done = True
                log.info("camera %s: worker finished", child.label)
                return
            child.crashes.append(now_s)
            recent = recent_crashes(child.crashes, now_s, self.restart.window_s)
            delay_s = restart_delay_s(recent, u=random.random(), policy=self.restart)
            child.start_at_s = now_s + delay_s
            self._error(f"camera {child.label}: worker {_describe_exit(proc.returncode)}")
            log.warning(
                "camera %s: worker %s; restarting in %.1f s (%d crash(es) recently)",
                child.label,
                _describe_exit(proc.returncode),
                delay_s,
                recent,
            )
        if child.proc is None and not child.done and now_s >= child.start_at_s:
            self._spawn(child, now_s)

    def _spawn(self, child: Child, now_s: float) -> None:
        try:
            child.proc = subprocess.Popen(
                list(child.spec.argv),
                env=dict(child.spec.env),
                start_new_session=True,  # a terminal's Ctrl-C reaches only the supervisor
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            child.crashes.append(now_s)
            child.start_at_s = now_s + self.restart.cap_s
            self._error(f"camera {child.label}: cannot start worker: {exc.strerror}")
            log.error("camera %s: cannot start worker: %s", child.label, exc)
            return
        if child.restarts or child.crashes:
            log.info("camera %s: worker restarted (pid %d)", child.label, child.proc.pid)
        else:
            log.info("camera %s: worker started (pid %d)", child.label, child.proc.pid)
        child.restarts += 1

    def _stop_children(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        for child in running:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        running += self.retiring
        deadline_s = time.monotonic() + self.stop_timeout_s
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(max(0.0, deadline_s - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("camera %s: worker did not stop in time; killing it", child.label)
                child.proc.kill()
                child.proc.wait()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"
