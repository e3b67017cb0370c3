"""`metrica edge run`: a fleet box pulls its cameras from the backend and runs them.

Every `poll_s` the box asks `GET /fleet/box/config` (If-None-Match: a 304 costs nothing);
each camera becomes one `metrica worker` process under the supervisor, with its source in
the child's environment (never on a command line) and its worker key in a 0600 file the
worker re-reads. A changed camera restarts only its own worker; line changes reach the
worker through its own config poll, without a restart. Every `heartbeat_s` the box posts
its version, resources, cameras and recent errors. A 401 means the box was revoked: every
worker is stopped and `run` ends with `revoked` set (the command exits 3).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path

import httpx
import psutil
from pydantic import ValidationError

from metrica import __version__
from metrica.domain.backoff import equal_jitter_delay_s
from metrica.domain.fleet import (
    MAX_BOX_ERRORS,
    MAX_ERROR_CHARS,
    BoxCameraConfig,
    BoxCameraStatus,
    BoxConfig,
    BoxError,
    BoxHeartbeat,
)
from metrica.domain.mqtt import BoxCommand, box_topic, client_id
from metrica.edge.enrolment import BoxCredentials, write_private
from metrica.edge.mqtt_link import MqttLink, MqttSettings
from metrica.edge.supervisor import CHILD_ENV_DROPPED, Supervisor, WorkerSpec, inference_threads

log = logging.getLogger("metrica.edge.box")


@dataclass(frozen=True)
class BoxSettings:
    credentials: BoxCredentials
    state_dir: Path
    poll_s: float = 30.0
    heartbeat_s: float = 30.0
    http_timeout_s: float = 10.0
    retry_max_s: float = 300.0
    log_level: str = "info"
    worker_args: tuple[str, ...] = ()
    mqtt_url: str | None = None  # set: events, heartbeats and config over MQTT

    @property
    def mqtt(self) -> MqttSettings | None:
        if self.mqtt_url is None:
            return None
        c = self.credentials
        return MqttSettings(self.mqtt_url, c.box_id, c.box_key, timeout_s=self.http_timeout_s)

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / "keys"

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / "outbox"


def worker_spec(camera: BoxCameraConfig, settings: BoxSettings, *, cameras: int = 1) -> WorkerSpec:
    """The worker process of one camera; the source travels in its environment.

    `cameras` is how many run on this box now: each worker gets its share of the cores
    for inference, as under `metrica worker --config` (see `inference_threads`), unless
    the box's worker_args set `--threads`. A change in the number restarts the workers
    (their argv changes), which is what re-dividing the cores needs."""
    cid = str(camera.camera_id)
    argv = [sys.executable, "-m", "metrica.cli", "worker"]
    argv += ["--camera-id", cid, "--api-url", settings.credentials.api_url]
    argv += ["--key-file", str(settings.keys_dir / f"{cid}.key")]
    argv += ["--outbox", str(settings.outbox_dir / f"{cid}.db")]
    argv += ["--stride", str(camera.settings.stride)]
    if camera.settings.model:
        argv += ["--model", camera.settings.model]
    if camera.settings.input_size:
        argv += ["--input-size", str(camera.settings.input_size)]
    if not camera.settings.blur_people:
        argv += ["--no-snapshot-blur"]
    if settings.mqtt_url:
        argv += ["--mqtt-url", settings.mqtt_url, "--mqtt-box-id", settings.credentials.box_id]
    argv += ["--log-level", settings.log_level, *settings.worker_args]
    if "--threads" not in argv:
        argv += ["--threads", str(inference_threads(cameras, os.cpu_count() or 1))]
    env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
    if settings.mqtt_url:
        env["METRICA_MQTT_PASSWORD"] = settings.credentials.box_key
    env["METRICA_SOURCE"] = camera.source or ""
    label = camera.name[:40] or cid[:8]
    return WorkerSpec(cid, label, tuple(argv), tuple(sorted(env.items())))


def scheduled(config: BoxConfig, local: time_of_day) -> tuple[list[BoxCameraConfig], set[str]]:
    """(the cameras to run now, the ids of those off schedule)."""
    on, off = [], set()
    for camera in config.cameras:
        schedule = camera.settings.schedule
        if schedule is None or schedule.active_at(local):
            on.append(camera)
        else:
            off.add(str(camera.camera_id))
    return on, off


def outbox_depth(outbox_dir: Path) -> int:
    """Events waiting in every camera's outbox (read-only; a busy file counts 0)."""
    total = 0
    for path in sorted(outbox_dir.glob("*.db"))[:256]:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5) as db:
                total += int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        except sqlite3.Error:
            continue
    return total


def _percent(read: Callable[[], float]) -> float | None:
    try:
        return min(100.0, max(0.0, float(read())))
    except (OSError, ValueError, RuntimeError):
        return None


class MqttInbox:
    """The latest config and command pushed over MQTT (written on paho's thread, taken on
    the agent's). An unreadable message is logged and ignored (the last good one stays)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: BoxConfig | None = None
        self._command: BoxCommand | None = None

    def receive(self, topic: str, payload: bytes) -> None:
        if not payload:
            return  # a retained message cleared
        try:
            if topic.endswith("/config"):
                config = BoxConfig.model_validate_json(payload)
                with self._lock:
                    self._config = config
            elif topic.endswith("/commands"):
                command = BoxCommand.model_validate_json(payload)
                with self._lock:
                    self._command = command
        except ValidationError:
            log.warning("ignored an unreadable MQTT message on %s", topic.rsplit("/", 1)[-1])

    def take(self) -> tuple[BoxCommand | None, BoxConfig | None]:
        with self._lock:
            taken = self._command, self._config
            self._config = None
            return taken


class Revoked(Exception):
    """The backend refused the box key (401): the box was revoked or its key is wrong."""


@dataclass
class BoxAgent:
    """Polls config and sends heartbeats in a thread; the supervisor runs the workers."""

    settings: BoxSettings
    supervisor: Supervisor
    local_time: Callable[[], time_of_day] = lambda: datetime.now().time()
    revoked: bool = False
    config: BoxConfig | None = None
    _etag: str | None = None
    _off_schedule: set[str] = field(default_factory=set)
    _errors: list[tuple[datetime, str]] = field(default_factory=list)
    _started_s: float = field(default_factory=time.monotonic)
    _failures: int = 0
    _mqtt: MqttLink | None = None
    _inbox: MqttInbox | None = None
    _http_next_s: float = 0.0  # MQTT mode: when to ask over HTTP while nothing was pushed

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.settings.credentials.api_url,
            headers={"X-Box-Key": self.settings.credentials.box_key},
            timeout=self.settings.http_timeout_s,
        )
        mqtt = self.settings.mqtt
        if mqtt is not None:
            box_id = mqtt.box_id
            self._inbox = MqttInbox()
            self._mqtt = MqttLink(
                mqtt,
                client_id(box_id),
                subscriptions=(box_topic(box_id, "config"), box_topic(box_id, "commands")),
                on_message=self._inbox.receive,
            )
            self._mqtt.start()
        psutil.cpu_percent(interval=None)  # the first reading is meaningless; prime it

    def run(self) -> None:
        """Until the supervisor is stopped: poll config, apply it, send heartbeats."""
        next_poll_s = next_beat_s = time.monotonic()
        stop = self.supervisor.stop
        try:
            while not stop.is_set():
                now_s = time.monotonic()
                try:
                    if now_s >= next_poll_s:
                        next_poll_s = now_s + self._poll_once()
                    if now_s >= next_beat_s:
                        next_beat_s = now_s + self.settings.heartbeat_s
                        self._heartbeat_once()
                except Revoked:
                    raise
                except Exception as exc:  # the workers keep running; say it, try again later
                    log.error(  # the traceback only at debug: a message might quote a secret
                        "box agent: unexpected %s; trying again",
                        type(exc).__name__,
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )
                    self._error(f"box agent: {type(exc).__name__}")
                    next_poll_s = max(next_poll_s, now_s + self.settings.poll_s)
                stop.wait(max(0.05, min(next_poll_s, next_beat_s) - time.monotonic()))
        except Revoked:
            self.revoked = True
            log.error(
                "the backend refuses this box's key (revoked?): stopping every camera; "
                "enrol again with a new token"
            )
            self.supervisor.apply([])
            stop.set()
        finally:
            self._client.close()
            if self._mqtt is not None:
                self._mqtt.close()

    def _poll_once(self) -> float:
        """Fetch and apply the config; seconds until the next poll."""
        try:
            self._fetch()
        except Revoked:
            raise
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            self._failures += 1
            self._error(f"config poll failed: {_reason(exc)}")
            delay_s = equal_jitter_delay_s(
                self._failures, u=random.random(), base_s=1.0, cap_s=self.settings.retry_max_s
            )
            if self._inbox is not None:
                return 1.0  # keep looking at the inbox; `_http_next_s` paces HTTP
            return min(max(delay_s, 1.0), self.settings.retry_max_s)
        self._failures = 0
        if self.config is not None:
            self._apply(self.config)
        # Over MQTT the config is pushed: looking at the inbox costs nothing.
        return self.settings.poll_s if self._inbox is None else min(self.settings.poll_s, 1.0)

    def _fetch(self) -> None:
        if self._inbox is not None:
            self._take_pushed(self._inbox)
            now_s = time.monotonic()
            if self.config is not None or now_s < self._http_next_s:
                return
            # Nothing pushed yet (a new box, no consumer running yet): ask over HTTP too,
            # every poll period, until a config arrived either way.
            self._http_next_s = now_s + self.settings.poll_s
        headers = {"If-None-Match": self._etag} if self._etag else {}
        response = self._client.get("/fleet/box/config", headers=headers)
        if response.status_code == 401:
            raise Revoked
        if response.status_code == 304:
            return
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        config = BoxConfig.model_validate_json(response.content)
        if self.config is None or config.version != self.config.version:
            log.info("config %s: %d camera(s)", config.version, len(config.cameras))
        self.config, self._etag = config, response.headers.get("etag")

    def _take_pushed(self, inbox: MqttInbox) -> None:
        """The newest retained config (and command) the backend pushed, if any."""
        command, config = inbox.take()
        if command is not None and command.command == "revoked":
            raise Revoked
        if config is not None and (self.config is None or config.version != self.config.version):
            log.info("config %s: %d camera(s) (MQTT)", config.version, len(config.cameras))
            self.config = config

    def _apply(self, config: BoxConfig) -> None:
        """Write the worker keys, then hand the scheduled cameras to the supervisor."""
        on, self._off_schedule = scheduled(config, self.local_time())
        for camera in config.cameras:
            key_file = self.settings.keys_dir / f"{camera.camera_id}.key"
            try:
                current = key_file.read_text(encoding="utf-8")
            except OSError:
                current = None
            if current != camera.worker_key:
                write_private(key_file, camera.worker_key)
        self.supervisor.apply([worker_spec(c, self.settings, cameras=len(on)) for c in on])

    def _heartbeat_once(self) -> None:
        if self._mqtt is not None:
            topic = box_topic(self.settings.credentials.box_id, "heartbeat")
            reason = self._mqtt.publish(topic, self.heartbeat().model_dump_json().encode())
            if reason is None:
                self._errors.clear()  # delivered
            else:
                self._error(f"heartbeat failed: {reason}")
            return
        try:
            response = self._client.post(
                "/fleet/box/heartbeat",
                content=self.heartbeat().model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            self._error(f"heartbeat failed: {_reason(exc)}")
            return
        if response.status_code == 401:
            raise Revoked
        if response.status_code != 204:
            self._error(f"heartbeat refused: HTTP {response.status_code}")
        else:
            self._errors.clear()  # delivered

    def heartbeat(self) -> BoxHeartbeat:
        versions = {
            str(c.camera_id): c.version for c in (self.config.cameras if self.config else [])
        }
        cameras = [
            BoxCameraStatus(
                camera_id=s.camera_id,
                state=s.state,
                restarts=s.restarts,
                config_version=versions.get(s.camera_id, ""),
            )
            for s in self.supervisor.statuses()
        ]
        cameras += [
            BoxCameraStatus(camera_id=cid, state="off_schedule", config_version=versions[cid])
            for cid in sorted(self._off_schedule)
            if cid in versions
        ]
        errors = [*self.supervisor.recent_errors(), *self._errors][-MAX_BOX_ERRORS:]
        state_dir = self.settings.state_dir
        return BoxHeartbeat(
            version=__version__,
            hostname=socket.gethostname()[:255],
            uptime_s=time.monotonic() - self._started_s,
            cpu_percent=_percent(lambda: psutil.cpu_percent(interval=None)),
            memory_percent=_percent(lambda: psutil.virtual_memory().percent),
            disk_percent=_percent(lambda: psutil.disk_usage(str(state_dir)).percent),
            outbox_depth=outbox_depth(self.settings.outbox_dir),
            cameras=cameras[:64],
            errors=[BoxError(at=at, message=msg[:MAX_ERROR_CHARS]) for at, msg in errors],
        )

    def _error(self, message: str) -> None:
        log.warning("%s", message)
        self._errors = [*self._errors, (datetime.now(UTC), message)][-MAX_BOX_ERRORS:]


def _reason(exc: Exception) -> str:
    """Why a request failed, without URLs (which may carry secrets) or bodies."""
    if isinstance(exc, ValidationError):
        return "the config does not match this box's version"
    if isinstance(exc, ValueError):
        return str(exc)[:100]
    return type(exc).__name__


def run_box(settings: BoxSettings, *, stop: threading.Event | None = None) -> bool:
    """Run the box until stopped or revoked; True when it ended because it was revoked."""
    supervisor = Supervisor(stop_timeout_s=30.0)
    if stop is not None:
        supervisor.stop = stop
    agent = BoxAgent(settings, supervisor)
    thread = threading.Thread(target=agent.run, name="box-agent", daemon=True)
    thread.start()
    supervisor.run()
    supervisor.stop.set()
    thread.join(timeout=settings.http_timeout_s + 5)
    return agent.revoked
