"""`metrica up`: the whole product on one machine, in one command.

Builds the web app when it is missing or older than its sources, seeds the demo site on
the embedded SQLite database, starts the backend and, given a video or stream, a worker
on it, so the live number on the dashboard moves. Ctrl-C (or SIGTERM) stops the worker
first, so its outbox is flushed to a backend that is still up, then the backend.

Backend and worker run as child processes of this one: the same `metrica serve` and
`metrica worker` a production box would run, supervised here only for convenience.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import httpx

from metrica.commands.common import CliError, Subparsers, fail, server_settings
from metrica.domain.geometry import LineSpecError, parse_line
from metrica.vision.models import DEFAULT_MODEL
from metrica.vision.sources import is_live_source

if TYPE_CHECKING:  # the app and database stack load only when `metrica up` runs, so
    # every other `metrica` command (an edge worker's start) does not pay for them
    from metrica.server.cameras.schemas import LineSpec
    from metrica.server.demo_site import DemoSite
    from metrica.server.settings import Settings

WEB_DIR = Path(__file__).resolve().parents[2] / "web"  # as metrica.server.app.WEB_DIST
WEB_DIST = WEB_DIR / "dist"
DEFAULT_LINE = "entrance=0,0.5,1,0.5"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "up",
        description="Builds the web app if needed (needs Node.js and npm), seeds demo users "
        "and a store with weeks of history into the database (SQLite in ./var by default; "
        "seeded once, reused after), serves everything on one port and, given a video file "
        "or stream URL, counts people on it with a worker whose events reach the dashboard "
        "live. Ctrl-C stops everything.",
    )
    parser.add_argument(
        "source",
        nargs="?",
        help="video file, rtsp:// or http(s):// stream, or webcam index to count live "
        "(a file is replayed in a loop at its own speed); omit for the dashboard only",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="ONNX model for the worker (path or name)"
    )
    parser.add_argument(
        "--line",
        action="append",
        metavar="ID=x1,y1,x2,y2",
        help=f"counting line of the live camera, normalised (repeatable; default {DEFAULT_LINE})"
        "; change it later in the admin app",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    parser.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    parser.add_argument(
        "--no-build", action="store_true", help="never build the web app (serve the API only)"
    )
    parser.set_defaults(func=run_up)


def run_up(args: argparse.Namespace) -> int:
    try:
        return _up(args)
    except CliError as exc:
        return fail("up", str(exc))


def _up(args: argparse.Namespace) -> int:
    from metrica.server.demo_site import prepare_demo_site

    settings = server_settings(args.db_url)
    lines = _line_specs(args.line or [DEFAULT_LINE]) if args.source else None
    _require_free_port(args.host, args.port)
    if not args.no_build:
        ensure_web_build(WEB_DIR)
    print("== database: migrating and seeding the demo site", flush=True)
    _ensure_sqlite_folder(settings.database_url)
    site = asyncio.run(prepare_demo_site(settings, live_lines=lines))
    base_url = f"http://{args.host}:{args.port}"
    children = Children()
    stop = threading.Event()
    previous = {s: signal.signal(s, _set_on_signal(stop)) for s in (signal.SIGINT, signal.SIGTERM)}
    feed: threading.Thread | None = None
    try:
        children.start(
            "backend",
            _metrica(
                "serve",
                *("--host", args.host, "--port", str(args.port)),
                *("--db-url", settings.database_url),
            ),
            # Problems only: a line per request would bury the worker's progress.
            env={"METRICA_LOG_LEVEL": os.environ.get("METRICA_LOG_LEVEL", "WARNING")},
        )
        _wait_ready(base_url, children, stop)
        feed = _start_demo_feed(settings, site, stop)
        if site.live is not None:
            worker_args = [
                "worker",
                "--api-url",
                base_url,
                "--camera-id",
                str(site.live.camera_id),
                "--model",
                args.model,
                # A file is replayed forever at its own speed, like a camera; a live
                # stream is one already (the worker refuses these flags for it).
                *(() if is_live_source(args.source) else ("--loop", "--realtime")),
                args.source,
            ]
            # The key travels in the environment: a command line is readable by any user.
            children.start(
                "worker",
                _metrica(*worker_args),
                env={"METRICA_WORKER_KEY": site.live.worker_key},
            )
        _print_welcome(base_url, site, args.source, web_built=(WEB_DIST / "index.html").is_file())
        failed = children.wait_until_stopped_or_failed(stop, essential="backend")
    finally:
        stop.set()
        if feed is not None:
            feed.join(timeout=STOP_TIMEOUT_S)
        children.stop_all(order=["worker", "backend"])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("== stopped", flush=True)
    return 1 if failed else 0


def _start_demo_feed(settings: Settings, site: DemoSite, stop: threading.Event) -> threading.Thread:
    """The simulated camera's events and heartbeat, kept current in a thread of ours."""
    from metrica.server.demo_site import run_demo_feed

    thread = threading.Thread(
        target=lambda: asyncio.run(run_demo_feed(settings, store_id=site.store_id, stop=stop)),
        name="demo-feed",
        daemon=True,
    )
    thread.start()
    return thread


def _line_specs(specs: Sequence[str]) -> list[LineSpec]:
    from metrica.server.cameras.schemas import LineSpec

    try:
        lines = [parse_line(spec) for spec in specs]
    except LineSpecError as exc:
        raise CliError(str(exc)) from None
    return [
        LineSpec(line_id=ln.line_id, name=ln.line_id, x1=ln.x1, y1=ln.y1, x2=ln.x2, y2=ln.y2)
        for ln in lines
    ]


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a previous run is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise CliError(f"{host}:{port} is in use; pass --port to pick another") from None


def _ensure_sqlite_folder(database_url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix):
        Path(database_url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)


def web_build_is_stale(web_dir: Path) -> bool:
    """True when the built app is missing or older than any of its sources."""
    index = web_dir / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    sources = [web_dir / "index.html", web_dir / "package.json", web_dir / "vite.config.ts"]
    for folder in (web_dir / "src", web_dir / "public"):
        if folder.is_dir():
            sources += [p for p in folder.rglob("*") if p.is_file()]
    generated = web_dir / "src" / "client"
    return any(
        p.stat().st_mtime > built for p in sources if p.exists() and generated not in p.parents
    )


def ensure_web_build(web_dir: Path) -> None:
    """Build the web app with npm when it is missing or stale; say so when npm is absent."""
    if not (web_dir / "package.json").is_file() or not web_build_is_stale(web_dir):
        return
    npm = shutil.which("npm")
    if npm is None:
        print(
            "== web app: not built and npm is missing (install Node.js 20+ to get it); "
            "serving the API only",
            flush=True,
        )
        return
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    steps: list[list[str]] = []
    if not (web_dir / "node_modules").is_dir():
        steps.append([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    steps.append([npm, "run", "--silent", "build"])
    for step in steps:
        print(f"== web app: {' '.join(step[1:3])} (in {web_dir})", flush=True)
        if subprocess.run(step, cwd=web_dir, env=env, check=False).returncode != 0:
            raise CliError(f"building the web app failed ({' '.join(step[1:3])}); see above")


def _metrica(*args: str) -> list[str]:
    return [sys.executable, "-m", "metrica.cli", *args]


def _set_on_signal(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        if not stop.is_set():
            print(f"\n== {signal.Signals(signum).name}: stopping", flush=True)
        stop.set()

    return handler


def _wait_ready(base_url: str, children: Children, stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.is_set():
        if children.exited("backend"):
            raise CliError("the backend exited while starting; see its output above")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise CliError(f"the backend was not ready within {READY_TIMEOUT_S:.0f} s")
        stop.wait(0.2)
    raise CliError("stopped while the backend was starting")


def _print_welcome(base_url: str, site: DemoSite, source: str | None, *, web_built: bool) -> None:
    app = f"{base_url}/app/" if web_built else f"{base_url}/docs (web app not built)"
    lines = [
        "",
        f"  Metrica is up:   {app}",
        f"  API docs:        {base_url}/docs",
        f"  owner sign-in:   {site.owner_email} / {site.password}",
        f"  admin sign-in:   {site.admin_email} / {site.password}",
        f"  demo store:      {site.store_id}"
        + (" (seeded now)" if site.seeded_now else " (seeded before, reused)"),
    ]
    if site.live is not None:
        lines.append(f"  live camera:     {site.live.camera_id} counting {source}")
    else:
        lines.append("  live camera:     none (pass a video or stream URL to count one)")
    lines += ["  stop:            Ctrl-C", ""]
    print("\n".join(lines), flush=True)


class Children:
    """The child processes, by name; each in its own process group so Ctrl-C reaches
    them only through us, in the order that loses nothing."""

    def __init__(self) -> None:
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self._procs[name] = subprocess.Popen(
            argv, start_new_session=True, env={**os.environ, **(env or {})}
        )

    def exited(self, name: str) -> bool:
        proc = self._procs.get(name)
        return proc is not None and proc.poll() is not None

    def wait_until_stopped_or_failed(self, stop: threading.Event, *, essential: str) -> bool:
        """Block until asked to stop (False) or the essential child dies (True)."""
        reported: set[str] = set()
        while not stop.wait(0.5):
            for name, proc in self._procs.items():
                code = proc.poll()
                if code is None or name in reported:
                    continue
                reported.add(name)
                if name == essential:
                    print(f"== {name} exited with code {code}; stopping", flush=True)
                    return True
                print(f"== {name} exited with code {code}; the rest keeps running", flush=True)
        return False

    def stop_all(self, *, order: Sequence[str]) -> None:
        for name in order:
            proc = self._procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"== {name} did not stop within {STOP_TIMEOUT_S:.0f} s; killing", flush=True)
                proc.kill()
                proc.wait()
