"""`metrica serve`: the backend (API, web app, metrics) on one port."""

from __future__ import annotations

import argparse

from metrica.commands.common import Subparsers, server_settings


def add_parser(subparsers: Subparsers) -> None:
    serve = subparsers.add_parser(
        "serve",
        description="Runs the API (docs at /docs) and, when web/dist is built, the web app "
        "at /app/. The database defaults to SQLite in ./var/metrica.db.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    serve.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from metrica.commands.plates_worker import installed_processor
    from metrica.server.app import create_app

    settings = server_settings(args.db_url)
    # Jobs run inside the server unless a Redis queue hands them to plate workers.
    processor = installed_processor() if settings.queue_redis_url is None else None
    app = create_app(settings, migrate_on_start=True, plate_processor=processor)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
