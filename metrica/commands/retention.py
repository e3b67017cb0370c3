"""`metrica retention run`: remove data past its retention, now (the server also does it
on a timer; this is for a CronJob, or to see what it would do)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING

from metrica.commands.common import Subparsers, server_settings

if TYPE_CHECKING:
    from metrica.server.settings import Settings

DESCRIPTION = """\
Removes data older than its retention setting, in chunks (one short transaction each),
and prints per table how many rows went. Raw events go once older than
METRICA_RETENTION_RAW_EVENTS_DAYS (default 90, at least 35): the hourly rollup keeps
every dashboard's answer. On PostgreSQL with `events` partitioned by month, months wholly
past the cutoff are detached and dropped. The server runs the same thing every
METRICA_RETENTION_INTERVAL_S unless METRICA_RETENTION_ENABLED=false.

settings (environment):
  METRICA_RETENTION_RAW_EVENTS_DAYS      raw line events (rollup kept forever)   90
  METRICA_RETENTION_HEARTBEATS_DAYS      a camera's last heartbeat               90
  METRICA_RETENTION_SNAPSHOTS_DAYS       a camera's last snapshot                30
  METRICA_RETENTION_EXPIRED_AUTH_DAYS    revoked tokens, login codes, invitations
                                         this long past their expiry             7
  METRICA_RETENTION_BACKUP_RUNS_DAYS     the backup log                          400
  0 days keeps a kind forever. Details: docs/backup-and-retention.md
"""


def add_parser(subparsers: Subparsers) -> None:
    retention = subparsers.add_parser(
        "retention",
        help="remove data past its retention (see `metrica retention run --help`)",
        description="Data lifecycle: remove data past its retention.",
    )
    actions = retention.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="apply every retention policy once",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--dry-run", action="store_true", help="count what would be removed; remove nothing"
    )
    run.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    run.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="rows per delete transaction (default METRICA_RETENTION_BATCH_SIZE, 5000)",
    )
    run.set_defaults(func=run_retention_command)


def run_retention_command(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from metrica.commands.common import fail

    if args.batch_size is not None and not 1 <= args.batch_size <= 100_000:
        return fail("retention run", "--batch-size must be between 1 and 100000")
    try:
        settings = server_settings(args.db_url)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        return fail("retention run", f"METRICA_{where.upper()}: {first['msg']}")
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from metrica.commands.common import fail
    from metrica.server.blobs import blob_store
    from metrica.server.db import create_engine
    from metrica.server.migrate import current_revision, head_revision
    from metrica.server.retention.service import run_retention

    engine = create_engine(settings.database_url)
    blobs = blob_store(settings)  # snapshot images go with their rows
    last_print = [0.0]

    def progress(what: str, rows: int) -> None:
        now = time.monotonic()
        if now - last_print[0] >= 1.0:
            last_print[0] = now
            print(f"  {what}: {rows} rows so far", file=sys.stderr, flush=True)

    try:
        try:
            current = await current_revision(engine)
        except Exception as exc:
            return fail("retention run", f"cannot reach the database: {type(exc).__name__}")
        if current != head_revision():
            return fail(
                "retention run",
                f"the database is at migration {current or 'none'}, not "
                f"{head_revision()}: run `metrica serve` (or alembic upgrade) first",
            )
        report = await run_retention(
            engine,
            settings,
            now=datetime.now(UTC),
            dry_run=args.dry_run,
            batch_size=args.batch_size,
            progress=progress,
            blobs=blobs,
        )
    finally:
        await blobs.close()
        await engine.dispose()
    if report is None:
        print("retention: another process is running retention now; nothing done")
        return 0
    for line in report.lines():
        print(line)
    print(f"total: {report.total} rows {'would be removed' if report.dry_run else 'removed'}")
    return 0
