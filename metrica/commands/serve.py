"""`metrica serve`: the backend (API, web app, metrics) on one port.

SIGTERM (or Ctrl-C) stops it in order: the listening socket closes (new connections are
refused), requests in flight finish within `METRICA_SHUTDOWN_TIMEOUT_S` (then they are
cancelled), the app's background jobs drain, and the database pool closes. A SIGTERM that
ended in that orderly stop exits 0.
"""

from __future__ import annotations

import argparse
import signal

from metrica.commands.common import Subparsers, fail, server_settings
from metrica.domain.audits import ClipCounter


def add_parser(subparsers: Subparsers) -> None:
    serve = subparsers.add_parser(
        "serve",
        description="Runs the API (docs at /docs) and, when web/dist is built, the web app "
        "at /app/. The database defaults to SQLite in ./var/metrica.db. SIGTERM stops it "
        "gracefully: no new connections, requests in flight finish (up to "
        "METRICA_SHUTDOWN_TIMEOUT_S, default 30 s), then the database pool closes; exit 0.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    serve.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    serve.set_defaults(func=run_serve)


def _exit_0(signum: int, frame: object) -> None:
    raise SystemExit(0)


def installed_clip_counter() -> ClipCounter | None:
    """The audit clip counter when the edge extra (OpenCV, ONNX Runtime) is installed,
    else None (audits of uploaded clips then fail with that reason)."""
    try:
        from metrica.evaluation.clip_counter import OnnxClipCounter
    except ImportError:
        return None
    return OnnxClipCounter()


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from metrica.commands.plates_worker import installed_processor
    from metrica.server.app import create_app
    from metrica.server.policies.loader import PolicyFileError

    settings = server_settings(args.db_url)
    # Jobs run inside the server unless a Redis queue hands them to plate workers.
    processor = installed_processor() if settings.queue_redis_url is None else None
    try:
        app = create_app(
            settings,
            migrate_on_start=True,
            plate_processor=processor,
            clip_counter=installed_clip_counter(),
        )
    except PolicyFileError as exc:  # refused at start, with the file's line and the reason
        return fail("serve", str(exc))
    # uvicorn stops gracefully on SIGTERM and then raises the signal again for the handler
    # it found; this one makes that (or a SIGTERM before uvicorn took over) an exit with 0,
    # not a death by the signal.
    signal.signal(signal.SIGTERM, _exit_0)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )
    return 0
