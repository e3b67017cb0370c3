"""`metrica serve`, `metrica demo` and `metrica up`."""

from __future__ import annotations

import argparse
import asyncio
import os

from metrica.server.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    if args.db_url:
        os.environ["METRICA_DATABASE_URL"] = args.db_url
    return Settings()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from metrica.server.app import create_app

    settings = _settings(args)
    app = create_app(settings, migrate_on_start=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from argon2 import PasswordHasher

    from metrica.server.db import create_engine, session_factory
    from metrica.server.migrate import upgrade
    from metrica.server.seed import seed_demo

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            seed = await seed_demo(
                session, hasher=PasswordHasher(), password=args.password, days=args.days
            )
    finally:
        await engine.dispose()
    print(f"database:   {settings.database_url}")
    print(f"superadmin: {seed.admin_email} / {seed.password}")
    print(f"owner:      {seed.owner_email} / {seed.password}")
    print(f"store:      {seed.store_id} (Europe/Berlin), {seed.events} events")
    print(f"camera:     {seed.camera_id}  worker key (shown once): {seed.worker_key}")
    print("next:       uv run metrica serve  then open http://127.0.0.1:8000/docs")
    return 0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the backend (migrates the database first)",
        description="Runs the API (docs at /docs) and, when web/dist is built, the web app "
        "at /app/. The database defaults to SQLite in ./var/metrica.db.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    serve.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    serve.set_defaults(func=_serve)

    demo = subparsers.add_parser("demo", help="seed demo users, a store and weeks of history")
    demo.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    demo.add_argument(
        "--password", default="metrica-demo", help="password of both demo users (%(default)s)"
    )
    demo.add_argument(
        "--days", type=int, default=28, help="days of synthetic history (%(default)s)"
    )
    demo.set_defaults(func=lambda args: asyncio.run(_demo(_settings(args), args)))

    from metrica.server import up

    up.add_parser(subparsers)


if __name__ == "__main__":  # `python -m metrica.server.commands demo|serve`
    import sys

    parser = argparse.ArgumentParser(prog="metrica")
    add_parser(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args()
    sys.exit(parsed.func(parsed))
