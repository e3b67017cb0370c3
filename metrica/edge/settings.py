"""What a worker runs with: its resolved settings, its key source and the value checks.

The checks are shared by the `metrica worker` flags and `cameras.yaml`, so each raises a
`SettingsError` that says what is wrong with the value; the caller names the flag or the
file line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from metrica.domain.geometry import CountingLine
from metrica.edge.mqtt_link import MqttSettings
from metrica.edge.shipper import BatchPolicy, RetryPolicy
from metrica.vision.pipeline import PipelineConfig


class SettingsError(ValueError):
    """A setting that cannot be used; the message describes the value, not where it came from."""


def checked_api_url(url: str) -> str:
    """`url` without a trailing slash, if it is http(s)://host[:port]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{url!r}: expected http(s)://host[:port]")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise SettingsError(f"{url!r}: bad port") from None
    return url.rstrip("/")


def checked_camera_id(camera_id: str) -> str:
    """The camera id in canonical UUID form."""
    try:
        return str(uuid.UUID(camera_id))
    except ValueError:
        raise SettingsError(f"{camera_id!r}: expected the camera's UUID") from None


class KeyProvider:
    """The worker key, from a flag/env value or a file re-read when it changes (rotation)."""

    def __init__(self, key: str | None, key_file: Path | None) -> None:
        self._key, self._file = key, key_file
        self._mtime_ns = -1
        if key_file is not None:
            self._reload()
        if not self._key:
            raise SettingsError(
                "a worker key is required: --key-file, --key, METRICA_WORKER_KEY_FILE or "
                "METRICA_WORKER_KEY (issue one in the admin app)"
            )

    def __call__(self) -> str:
        if self._file is not None:
            try:
                if self._file.stat().st_mtime_ns != self._mtime_ns:
                    self._reload()
            except (OSError, SettingsError):
                pass  # keep the last good key; the backend's 401 will say what is wrong
        assert self._key is not None
        return self._key

    def _reload(self) -> None:
        assert self._file is not None
        try:
            text = self._file.read_text(encoding="utf-8").strip()
            self._mtime_ns = self._file.stat().st_mtime_ns
        except OSError as exc:
            raise SettingsError(f"cannot read key file {self._file}: {exc.strerror}") from None
        if not text:
            raise SettingsError(f"key file {self._file} is empty")
        self._key = text


@dataclass(frozen=True)
class WorkerSettings:
    """One camera's worker, fully resolved (flags, environment, cameras.yaml)."""

    api_url: str
    camera_id: str
    key: Callable[[], str]
    source: str
    outbox_path: Path
    lines: tuple[CountingLine, ...] = ()
    outbox_max_events: int = 1_000_000
    batch: BatchPolicy = field(default_factory=BatchPolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    heartbeat_s: float = 30.0
    snapshot_s: float = 300.0
    config_poll_s: float = 30.0
    status_s: float = 60.0
    flush_deadline_s: float = 10.0
    http_timeout_s: float = 10.0
    loop: bool = False
    realtime: bool = False
    stride: int = 1
    detect_fps: float | None = None  # at most this many detected frames a second
    as_camera: bool = False  # a video file replayed as a live camera (metrica.vision.replay)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    metrics_port: int = 0
    metrics_addr: str = "127.0.0.1"
    requeue_quarantined: bool = False
    snapshot_blur: bool = True  # people blurred in calibration snapshots before upload
    mqtt: MqttSettings | None = None  # events over MQTT instead of POST /events
