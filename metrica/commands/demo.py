"""`metrica demo`: seed demo users, a store and weeks of history into the database."""

from __future__ import annotations

import argparse
import asyncio

from metrica.commands.common import Subparsers, server_settings
from metrica.server.settings import Settings


def add_parser(subparsers: Subparsers) -> None:
    demo = subparsers.add_parser("demo")
    demo.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    demo.add_argument(
        "--password", default="metrica-demo", help="password of both demo users (%(default)s)"
    )
    demo.add_argument(
        "--days",
        type=int,
        default=None,
        help="days of synthetic history (default: back to the first of last month, so "
        "every previous day, week and month has data)",
    )
    demo.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    settings = server_settings(args.db_url)
    return asyncio.run(_demo(settings, args))


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from argon2 import PasswordHasher

    from metrica.server.db import create_engine, pin_clock, session_factory, utcnow
    from metrica.server.migrate import upgrade
    from metrica.server.seed import seed_demo

    pin_clock(settings.clock_start, at_epoch_s=settings.clock_started_at)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            seed = await seed_demo(
                session,
                hasher=PasswordHasher(),
                password=args.password,
                days=args.days,
                now=utcnow(),  # METRICA_CLOCK_START pins it (end-to-end tests)
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
