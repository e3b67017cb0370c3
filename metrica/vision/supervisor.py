"""`metrica worker --config cameras.yaml`: one worker process per camera, supervised.

Each camera runs in its own `metrica worker` process (own session, own outbox), so a
crash, a hung decoder or a leak in one never touches the others. A child that exits 0 is
done (a video file without --loop); any other exit is restarted after an equal-jitter
delay that doubles with each recent crash (capped), so a crash loop costs little.
SIGTERM/SIGINT are forwarded once; children get `stop_timeout_s` to flush, then SIGKILL
(their outboxes keep whatever was not sent).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from metrica.vision.backoff import equal_jitter_delay_s
from metrica.vision.commands import CliError
from metrica.vision.worker_command import check_api_url, check_camera_id, setup_logging

log = logging.getLogger("metrica.vision.supervisor")

POLL_S = 0.5
CHILD_ENV_DROPPED = (
    "METRICA_API_URL",
    "METRICA_CAMERA_ID",
    "METRICA_WORKER_KEY",
    "METRICA_WORKER_KEY_FILE",
    "METRICA_SOURCE",
)


def _checked(check: Callable[[str], str], value: str) -> str:
    """Reuse the CLI's checks; their one-line messages become validation errors."""
    try:
        return check(value)
    except CliError as exc:
        raise ValueError(str(exc).replace("--camera-id ", "").replace("--api-url ", "")) from None


class CameraEntry(BaseModel):
    """One camera: where its video comes from and how its worker reaches the backend."""

    model_config = ConfigDict(extra="forbid")

    camera_id: str = Field(description="The camera's UUID from the admin app.")
    source: str = Field(min_length=1, description="Video file, stream URL or webcam index.")
    name: str | None = Field(default=None, description="Label for log lines.")
    api_url: str | None = Field(default=None, description="Overrides the file's api_url.")
    key: str | None = Field(default=None, description="Worker key (prefer key_file).")
    key_file: Path | None = Field(default=None, description="File holding the worker key.")
    key_env: str | None = Field(default=None, description="Environment variable with the key.")
    model: str | None = Field(default=None, description="Overrides the file's model.")
    lines: list[str] = Field(default_factory=list, description="Local default --line specs.")
    outbox: Path | None = Field(default=None, description="Outbox file for this camera.")
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    args: list[str] = Field(default_factory=list, description="More `metrica worker` flags.")

    @field_validator("camera_id")
    @classmethod
    def _camera_uuid(cls, value: str) -> str:
        return _checked(check_camera_id, value)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_api_url, value)

    @model_validator(mode="after")
    def _one_key(self) -> CameraEntry:
        given = [k for k in (self.key, self.key_file, self.key_env) if k]
        if len(given) != 1:
            raise ValueError("give exactly one of key, key_file, key_env")
        if self.key_env and not os.environ.get(self.key_env):
            raise ValueError(f"environment variable {self.key_env} is not set")
        return self


class RestartPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_s: float = Field(default=1.0, gt=0, description="Delay after a first crash.")
    cap_s: float = Field(default=60.0, gt=0, description="Longest delay between restarts.")
    window_s: float = Field(
        default=600.0, gt=0, description="Crashes older than this count no more."
    )


class CamerasFile(BaseModel):
    """The whole `cameras.yaml`: defaults for every camera, then the cameras."""

    model_config = ConfigDict(extra="forbid")

    api_url: str | None = Field(default=None, description="Backend URL for every camera.")
    model: str | None = Field(default=None, description="Model for every camera.")
    args: list[str] = Field(default_factory=list, description="Flags for every worker.")
    restart: RestartPolicy = Field(default_factory=RestartPolicy)
    stop_timeout_s: float = Field(default=30.0, gt=0, description="Flush time on stop.")
    cameras: list[CameraEntry] = Field(min_length=1)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_api_url, value)

    @model_validator(mode="after")
    def _consistent(self) -> CamerasFile:
        ids = [c.camera_id for c in self.cameras]
        if len(set(ids)) != len(ids):
            raise ValueError("camera_id values must be unique")
        for camera in self.cameras:
            if not (camera.api_url or self.api_url):
                raise ValueError(f"camera {camera.camera_id}: no api_url (set one at the top)")
        return self


class ConfigError(ValueError):
    """A cameras file that cannot be used; the message names the line."""


def load_cameras(path: Path) -> CamerasFile:
    """Parse and validate `cameras.yaml`; errors point at the line of the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return CamerasFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if p != "__root__"]
        where = ".".join(str(p) for p in loc) or "file"
        line = _line_of(root, loc)
        at = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{at}: {where}: {first['msg']}") from None


def _line_of(node: Any, loc: list[Any]) -> int | None:
    """1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    if node is None:
        return None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def recent_crashes(crash_times_s: collections.deque[float], now_s: float, window_s: float) -> int:
    """Forget crashes older than the window; how many are left."""
    while crash_times_s and now_s - crash_times_s[0] > window_s:
        crash_times_s.popleft()
    return len(crash_times_s)


def restart_delay_s(recent: int, *, u: float, policy: RestartPolicy) -> float:
    """Pause before restarting a child with `recent` crashes (≥ 1) in the window."""
    return equal_jitter_delay_s(recent - 1, u=u, base_s=policy.base_s, cap_s=policy.cap_s)


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


@dataclass
class Child:
    camera: CameraEntry
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    crashes: collections.deque[float] = field(default_factory=collections.deque)
    start_at_s: float = 0.0
    restarts: int = 0
    done: bool = False

    @property
    def label(self) -> str:
        return self.camera.name or self.camera.camera_id[:8]


class Supervisor:
    def __init__(self, cameras: CamerasFile, *, log_level: str = "info") -> None:
        self.cameras = cameras
        self.children = [
            Child(c, *worker_command(c, cameras, log_level=log_level)) for c in cameras.cameras
        ]
        self.stop = threading.Event()

    def run(self) -> int:
        """Run until every child is done or `stop` is set; returns the exit code."""
        log.info("supervising %d camera(s)", len(self.children))
        while True:
            now_s = time.monotonic()
            for child in self.children:
                self._tend(child, now_s)
            if all(c.done for c in self.children):
                log.info("every camera finished")
                return 0
            if self.stop.wait(POLL_S):
                break
        self._stop_children()
        return 0

    def _tend(self, child: Child, now_s: float) -> None:
        proc = child.proc
        if proc is not None and proc.poll() is not None:
            child.proc = None
            if proc.returncode == 0:
                child.done = True
                log.info("camera %s: worker finished", child.label)
                return
            child.crashes.append(now_s)
            recent = recent_crashes(child.crashes, now_s, self.cameras.restart.window_s)
            delay_s = restart_delay_s(recent, u=random.random(), policy=self.cameras.restart)
            child.start_at_s = now_s + delay_s
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
                child.argv,
                env=child.env,
                start_new_session=True,  # a terminal's Ctrl-C reaches only the supervisor
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            child.crashes.append(now_s)
            child.start_at_s = now_s + self.cameras.restart.cap_s
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
        deadline_s = time.monotonic() + self.cameras.stop_timeout_s
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


def run_supervisor(path: Path, *, log_level: str = "info") -> int:
    try:
        cameras = load_cameras(path)
    except ConfigError as exc:
        print(f"metrica worker: error: {exc}", file=sys.stderr)
        return 2
    setup_logging(log_level, None)
    supervisor = Supervisor(cameras, log_level=log_level)

    def on_signal(signum: int, _frame: object) -> None:
        if not supervisor.stop.is_set():
            log.info("%s: stopping every worker", signal.Signals(signum).name)
        supervisor.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return supervisor.run()
