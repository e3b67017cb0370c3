"""`metrica worker`: one camera's edge worker, or (`--config`) a supervisor of several."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from metrica.commands.common import (
    CliError,
    Subparsers,
    fail,
    parse_lines,
)
from metrica.commands.detector_options import add_detector_options, build_detector
from metrica.commands.pipeline_options import add_pipeline_options, pipeline_config
from metrica.domain.events import MAX_BATCH_EVENTS
from metrica.domain.mqtt import BrokerUrlError, broker_address
from metrica.edge.cameras_file import ConfigError, load_cameras
from metrica.edge.mqtt_link import MqttSettings
from metrica.edge.outbox import OutboxError
from metrica.edge.settings import (
    KeyProvider,
    SettingsError,
    WorkerSettings,
    checked_api_url,
    checked_camera_id,
)
from metrica.edge.shipper import BatchPolicy, RetryPolicy
from metrica.edge.supervisor import Supervisor
from metrica.edge.worker import Worker
from metrica.vision.models import DEFAULT_MODEL
from metrica.vision.sources import FileSource, SourceError, is_live_source, redact_uri

log = logging.getLogger("metrica.edge.worker")

DESCRIPTION = """\
Count people crossing lines on one camera and ship the events to the Metrica backend.

Every crossing is committed to an on-disk SQLite outbox (WAL) before it is sent; batches
go every ~30 frames or --send-every-s, whichever comes first, and leave the outbox only
once the backend acknowledged them. A backend that is down, slow or failing costs
nothing but delay: retries back off (full jitter, capped by --retry-max-s) behind a
circuit breaker. Events the backend refuses as malformed (HTTP 4xx) are quarantined in the
outbox file, not retried forever. `kill -9` loses nothing: a restart re-sends the outbox
and, for a video file, replays the clip with the same event ids (the backend drops
duplicates). Counting lines come from the backend (GET /cameras/{id}/config, polled every
--config-poll-s; they win over --line), so a change made in the admin app reaches the
worker without a restart.
"""

EPILOG = """\
environment (flags win):
  METRICA_API_URL, METRICA_CAMERA_ID, METRICA_WORKER_KEY (or METRICA_WORKER_KEY_FILE),
  METRICA_SOURCE, METRICA_MODEL. A model name is looked up in METRICA_MODEL_DIR, the
  user cache, then METRICA_DATA_DIR/models (default ../shared/data/models).

sources:
  a video file is counted once, the outbox flushed (--flush-deadline-s), then the worker
  exits 0; --loop replays it forever, --realtime paces it at its own frame rate.
  rtsp(s)://, http(s):// and webcam indexes are read newest-frame-only and reconnected
  with capped backoff; the heartbeat reports the stream down meanwhile.

signals:
  SIGTERM/SIGINT stop reading, flush for up to --flush-deadline-s and exit 0; what is
  not sent stays in the outbox for the next start. A second signal skips the flush.

several cameras:
  metrica worker --config cameras.yaml   (one supervised process per camera; see
  docs/worker.md for the file format)

exit codes: 0 done or stopped, 2 bad configuration (one line on stderr).
"""


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        nargs="?",
        help="video file, rtsp(s):// or http(s):// URL, or webcam index (env METRICA_SOURCE)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="CAMERAS_YAML",
        help="supervise one worker process per camera listed in this file",
    )
    backend = parser.add_argument_group("backend")
    backend.add_argument("--api-url", help="backend base URL, http(s)://host[:port]")
    backend.add_argument("--camera-id", help="the camera's id (UUID) from the admin app")
    backend.add_argument(
        "--key",
        help="the camera's worker key; visible to every user in `ps`, so prefer --key-file "
        "(mode 0600) or METRICA_WORKER_KEY",
    )
    backend.add_argument(
        "--key-file", type=Path, help="file holding the worker key (re-read when it changes)"
    )
    backend.add_argument(
        "--mqtt-url",
        help="ship events over MQTT (mqtt(s)://host[:port]) instead of POST /events; the "
        "broker password (the box key) comes from METRICA_MQTT_PASSWORD",
    )
    backend.add_argument("--mqtt-box-id", help="with --mqtt-url: the box id (broker username)")
    counting = parser.add_argument_group("counting")
    counting.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="ID=x1,y1,x2,y2",
        help="local default counting segment (repeatable); the backend's lines win when it "
        "has any. Normalised 0..1 coordinates, IN = left-hand to right-hand side of P1->P2",
    )
    add_detector_options(parser)
    parser.set_defaults(model=None)
    counting.add_argument("--stride", type=int, default=1, help="detect every n-th frame")
    add_pipeline_options(counting)
    counting.add_argument("--loop", action="store_true", help="replay a video file forever")
    counting.add_argument(
        "--realtime", action="store_true", help="pace a video file at its own frame rate"
    )
    counting.add_argument(
        "--detect-fps",
        type=float,
        default=None,
        metavar="FPS",
        help="detect at most this many frames a second (default: every frame, or every "
        "--stride-th); the tracker is told the real times, so it keeps up",
    )
    counting.add_argument(
        "--as-camera",
        action="store_true",
        help="replay a video file as a live camera: looped, in real time, newest frame "
        "only (a slow pipeline drops frames, as with RTSP); for benches and demos",
    )
    outbox = parser.add_argument_group("outbox and sending")
    outbox.add_argument(
        "--outbox", type=Path, help="outbox file (default var/outbox/<camera-id>.db)"
    )
    outbox.add_argument(
        "--outbox-max-events",
        type=int,
        default=1_000_000,
        help="cap; past it the oldest events are dropped and counted (default %(default)s; "
        "a warning is logged at 80 %%)",
    )
    outbox.add_argument(
        "--requeue-quarantined",
        action="store_true",
        help="put quarantined events back in the queue at start (after fixing the cause)",
    )
    outbox.add_argument(
        "--batch-max", type=int, default=500, help="events per request (default %(default)s)"
    )
    outbox.add_argument(
        "--send-every-s",
        type=float,
        default=1.0,
        help="send pending events at least this often (default %(default)s)",
    )
    outbox.add_argument(
        "--flush-deadline-s",
        type=float,
        default=10.0,
        help="time to flush the outbox when stopping (default %(default)s)",
    )
    outbox.add_argument(
        "--http-timeout-s", type=float, default=10.0, help="per request (default %(default)s)"
    )
    outbox.add_argument(
        "--retry-max-s",
        type=float,
        default=30.0,
        help="longest pause between retries (default %(default)s)",
    )
    control = parser.add_argument_group("control and monitoring")
    control.add_argument(
        "--heartbeat-s", type=float, default=30.0, help="heartbeat period (default %(default)s)"
    )
    control.add_argument(
        "--snapshot-s",
        type=float,
        default=300.0,
        help="calibration snapshot period; one is sent at start (default %(default)s)",
    )
    control.add_argument(
        "--no-snapshot-blur",
        dest="snapshot_blur",
        action="store_false",
        help="send calibration snapshots without blurring the people in them (they are "
        "blurred on this machine before upload by default)",
    )
    control.add_argument(
        "--config-poll-s",
        type=float,
        default=30.0,
        help="how often the backend's lines are read (default %(default)s)",
    )
    control.add_argument(
        "--status-s", type=float, default=60.0, help="status line period (default %(default)s)"
    )
    control.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="serve Prometheus metrics on this port (default 0 = off; e.g. 9108)",
    )
    control.add_argument(
        "--metrics-addr", default="127.0.0.1", help="address for metrics (default %(default)s)"
    )
    control.add_argument(
        "--json", action="store_true", help="print a JSON summary on stdout at exit"
    )
    control.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="default %(default)s",
    )
    parser.set_defaults(func=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    if args.config is not None:
        if args.source or args.camera_id or args.line:
            return fail("worker", "with --config, sources, camera ids and lines go in the file")
        return run_supervisor(args.config, log_level=args.log_level)
    try:
        return _run(args)
    except CliError as exc:
        return fail("worker", str(exc))


def run_supervisor(path: Path, *, log_level: str = "info") -> int:
    """`--config cameras.yaml`: one supervised worker process per camera until signalled."""
    try:
        cameras = load_cameras(path)
    except ConfigError as exc:
        return fail("worker", str(exc))
    setup_logging(log_level, None)
    supervisor = Supervisor(cameras, log_level=log_level)

    def on_signal(signum: int, _frame: object) -> None:
        if not supervisor.stop.is_set():
            log.info("%s: stopping every worker", signal.Signals(signum).name)
        supervisor.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return supervisor.run()


def _env_or(value: str | None, name: str) -> str | None:
    return value if value not in (None, "") else os.environ.get(name) or None


def _flag_checked(flag: str, env: str, value: str | None, check: Callable[[str], str]) -> str:
    if not value:
        raise CliError(f"{flag} is required (or {env})")
    try:
        return check(value)
    except SettingsError as exc:
        raise CliError(f"{flag} {exc}") from None


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise CliError(f"{name} {value}: must be positive")


def _mqtt_settings(args: argparse.Namespace) -> MqttSettings | None:
    """Events over MQTT when --mqtt-url is given (a box's worker, see `metrica edge run`)."""
    if not args.mqtt_url:
        return None
    try:
        broker_address(args.mqtt_url)
    except BrokerUrlError as exc:
        raise CliError(f"--mqtt-url {exc}") from None
    box_id = _flag_checked("--mqtt-box-id", "", args.mqtt_box_id, checked_camera_id)
    password = os.environ.get("METRICA_MQTT_PASSWORD")
    if not password:
        raise CliError("--mqtt-url needs the broker password in METRICA_MQTT_PASSWORD")
    return MqttSettings(args.mqtt_url, box_id, password, timeout_s=args.http_timeout_s)


def _settings(args: argparse.Namespace) -> WorkerSettings:
    api_url = _flag_checked(
        "--api-url", "METRICA_API_URL", _env_or(args.api_url, "METRICA_API_URL"), checked_api_url
    )
    camera_id = _flag_checked(
        "--camera-id",
        "METRICA_CAMERA_ID",
        _env_or(args.camera_id, "METRICA_CAMERA_ID"),
        checked_camera_id,
    )
    key_file = args.key_file or (
        Path(os.environ["METRICA_WORKER_KEY_FILE"])
        if os.environ.get("METRICA_WORKER_KEY_FILE") and not args.key
        else None
    )
    try:
        key = KeyProvider(_env_or(args.key, "METRICA_WORKER_KEY"), key_file)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    source = _env_or(args.source, "METRICA_SOURCE")
    if not source:
        raise CliError("a SOURCE is required (video file, stream URL or webcam index)")
    lines = parse_lines(args.line)
    if args.stride < 1:
        raise CliError(f"--stride {args.stride}: must be at least 1")
    for name in ("heartbeat_s", "snapshot_s", "config_poll_s", "status_s", "send_every_s"):
        _positive(f"--{name.replace('_', '-')}", getattr(args, name))
    for name in ("http_timeout_s", "retry_max_s"):
        _positive(f"--{name.replace('_', '-')}", getattr(args, name))
    if args.flush_deadline_s < 0:
        raise CliError(f"--flush-deadline-s {args.flush_deadline_s}: must not be negative")
    if args.outbox_max_events < 1:
        raise CliError(f"--outbox-max-events {args.outbox_max_events}: must be at least 1")
    if not 1 <= args.batch_max <= MAX_BATCH_EVENTS:
        raise CliError(f"--batch-max {args.batch_max}: must be within 1..{MAX_BATCH_EVENTS}")
    if not 0 <= args.metrics_port <= 65535:
        raise CliError(f"--metrics-port {args.metrics_port}: not a port")
    if (args.loop or args.realtime or args.as_camera) and is_live_source(source):
        raise CliError("--loop, --realtime and --as-camera are for video files, not streams")
    if args.detect_fps is not None and not 0 < args.detect_fps <= 1000:
        raise CliError(f"--detect-fps {args.detect_fps}: must be within 0..1000")
    if not is_live_source(source):
        try:
            FileSource(Path(source)).close()
        except SourceError as exc:
            raise CliError(str(exc)) from None
    return WorkerSettings(
        api_url=api_url,
        camera_id=camera_id,
        key=key,
        source=source,
        outbox_path=args.outbox or Path("var") / "outbox" / f"{camera_id}.db",
        lines=tuple(lines),
        outbox_max_events=args.outbox_max_events,
        batch=BatchPolicy(max_events=args.batch_max, every_s=args.send_every_s),
        retry=RetryPolicy(base_s=min(0.5, args.retry_max_s), cap_s=args.retry_max_s),
        heartbeat_s=args.heartbeat_s,
        snapshot_s=args.snapshot_s,
        config_poll_s=args.config_poll_s,
        status_s=args.status_s,
        flush_deadline_s=args.flush_deadline_s,
        http_timeout_s=args.http_timeout_s,
        loop=args.loop,
        realtime=args.realtime,
        stride=args.stride,
        detect_fps=args.detect_fps,
        as_camera=args.as_camera,
        pipeline=pipeline_config(args),
        metrics_port=args.metrics_port,
        metrics_addr=args.metrics_addr,
        requeue_quarantined=args.requeue_quarantined,
        snapshot_blur=args.snapshot_blur,
        mqtt=_mqtt_settings(args),
    )


def setup_logging(level: str, camera_id: str | None = None) -> None:
    """One line per notable thing; httpx's per-request lines stay out."""
    tag = f" [{camera_id[:8]}]" if camera_id else ""
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s{tag} %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    args.model = _env_or(args.model, "METRICA_MODEL") or DEFAULT_MODEL
    detector, model_path = build_detector(args)
    setup_logging(args.log_level, settings.camera_id)
    if args.key:
        log.warning(
            "--key puts the worker key on the command line, where any user of this machine "
            "can read it (ps); use --key-file (mode 0600) or METRICA_WORKER_KEY instead"
        )
    if not settings.snapshot_blur:
        log.warning("--no-snapshot-blur: calibration snapshots leave this box with people in clear")
    stop, hurry = threading.Event(), threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            hurry.set()
            log.warning("second signal: leaving unsent events in the outbox")
            return
        stop.set()
        log.info(
            "%s: stopping, flushing for up to %.0f s",
            signal.Signals(signum).name,
            settings.flush_deadline_s,
        )

    try:
        worker = Worker(settings, detector, stop=stop, hurry=hurry)
    except OutboxError as exc:
        raise CliError(str(exc)) from None
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "worker for camera %s: %s -> %s (model %s, outbox %s)",
        settings.camera_id,
        redact_uri(settings.source),
        settings.api_url,
        model_path.name,
        settings.outbox_path,
    )
    summary = worker.run()
    log.info(
        "done: %d frames, %d counted, %d sent, %d quarantined, %d left in the outbox",
        summary.frames,
        summary.events_counted,
        summary.events_sent,
        summary.quarantined,
        summary.outbox_left,
    )
    if summary.key_refused:
        log.error("the backend still refuses the worker key: issue a new one in the admin app")
    if args.json:
        print(json.dumps(summary.__dict__), flush=True)
    return 0
