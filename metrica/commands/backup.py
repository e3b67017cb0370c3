"""`metrica backup create|restore|verify`: database backups proven by restoring them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from metrica.commands.common import Subparsers, fail

DESCRIPTION = """\
A backup is one tar file: the database dump (PostgreSQL: pg_dump custom format, taken
from one exported snapshot; SQLite: a copy made with the online backup API) and
manifest.json (every table's row count and checksum from that same snapshot, the
schema's migration revision, the tool versions). `verify` restores a backup into a
scratch database and compares every table with the manifest. Successful creates and
every verify are logged in the database's backup_runs table, which feeds the server's
metrica_backup_last_success_timestamp_seconds gauge.

  metrica backup create /backups/metrica-$(date +%%F).tar
  metrica backup verify /backups/metrica-2026-11-30.tar --db-url postgresql+asyncpg://...
  metrica backup restore /backups/metrica-2026-11-30.tar --db-url postgresql+asyncpg://.../new

Details and the production point-in-time recovery setup: docs/backup-and-retention.md
"""


def add_parser(subparsers: Subparsers) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="back up, restore and verify the database",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = backup.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="write a backup archive of the database",
        description="Back the database up into the archive OUT (written to OUT.partial, "
        "then renamed). PostgreSQL needs pg_dump of the server's major version (Debian: "
        "postgresql-client-N); SQLite needs nothing. Logs the run in backup_runs.",
    )
    create.add_argument("out", metavar="OUT", type=Path, help="archive to write (e.g. x.tar)")
    create.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    create.set_defaults(func=run_create)

    restore = actions.add_parser(
        "restore",
        help="restore a backup archive into a database",
        description="Restore FILE into the database at --db-url. A database that already "
        "has tables is refused unless --force (which replaces its contents). Stop the "
        "servers using that database first.",
    )
    restore.add_argument("file", metavar="FILE", type=Path, help="backup archive")
    restore.add_argument("--db-url", required=True, help="the database to restore into")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already has tables"
    )
    restore.set_defaults(func=run_restore)

    verify = actions.add_parser(
        "verify",
        help="restore into a scratch database and compare with the manifest",
        description="Restore FILE into a scratch database (PostgreSQL: a temporary "
        "database on the server of --db-url, dropped after; SQLite: a temporary file) and "
        "compare every table's row count and checksum with the manifest. Exit 0: the "
        "backup is good; 1: it is not (each differing table is named); 2: bad usage. The "
        "result is logged in backup_runs of --db-url's database.",
    )
    verify.add_argument("file", metavar="FILE", type=Path, help="backup archive")
    verify.add_argument(
        "--db-url",
        default=None,
        help="where to log the result and, for a PostgreSQL backup, the server for the "
        "scratch database (default METRICA_DATABASE_URL)",
    )
    verify.set_defaults(func=run_verify)


def _unreachable(exc: Exception) -> str:
    """One line on a database error, without the URL (it may hold a password)."""
    cause = getattr(exc, "orig", None) or exc
    text = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"database error: {type(cause).__name__}: {text}".rstrip(": ")


def _database_errors() -> tuple[type[Exception], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    return (OSError, SQLAlchemyError)


def _database_url(db_url: str | None) -> str:
    from metrica.commands.common import server_settings

    return server_settings(db_url).database_url


def run_create(args: argparse.Namespace) -> int:
    from metrica.server.backups.archive import BackupError
    from metrica.server.backups.operations import create_backup

    url = _database_url(args.db_url)
    try:
        created = asyncio.run(create_backup(url, args.out))
    except BackupError as exc:
        return fail("backup create", str(exc))
    except _database_errors() as exc:
        return fail("backup create", _unreachable(exc))
    rows = sum(t.rows for t in created.manifest.tables.values())
    detail = f"{args.out.name}: {len(created.manifest.tables)} tables, {rows} rows"
    _log_run(url, "create", created.bytes, True, detail)
    print(f"{created.path}: {created.bytes} bytes, {detail.split(': ', 1)[1]}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from metrica.server.backups.archive import BackupError
    from metrica.server.backups.operations import restore_backup

    try:
        manifest = asyncio.run(restore_backup(args.file, args.db_url, force=args.force))
    except BackupError as exc:
        return fail("backup restore", str(exc))
    except _database_errors() as exc:
        return fail("backup restore", _unreachable(exc))
    rows = sum(t.rows for t in manifest.tables.values())
    print(
        f"restored {args.file} ({manifest.created_at}, schema {manifest.schema_revision}): "
        f"{len(manifest.tables)} tables, {rows} rows"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from metrica.server.backups.archive import BackupError
    from metrica.server.backups.operations import verify_backup

    url = _database_url(args.db_url)
    if not args.file.is_file():
        return fail("backup verify", f"{args.file}: no such file")
    try:
        verified = asyncio.run(verify_backup(args.file, server_url=url))
    except BackupError as exc:
        message = str(exc)
        if "needs a PostgreSQL server" in message:
            return fail("backup verify", message)
        _log_run(url, "verify", 0, False, message)
        print(f"metrica backup verify: FAILED: {message}", file=sys.stderr)
        return 1
    except _database_errors() as exc:
        return fail("backup verify", _unreachable(exc))
    if not verified.ok:
        for problem in verified.problems:
            print(f"metrica backup verify: FAILED: {problem}", file=sys.stderr)
        _log_run(url, "verify", verified.bytes, False, "; ".join(verified.problems))
        return 1
    rows = sum(t.rows for t in verified.manifest.tables.values())
    detail = f"{args.file.name}: {len(verified.manifest.tables)} tables, {rows} rows match"
    _log_run(url, "verify", verified.bytes, True, detail)
    print(f"{args.file}: OK, {detail.split(': ', 1)[1]}")
    return 0


def _log_run(url: str, kind: str, size: int, ok: bool, detail: str) -> None:
    """Log into backup_runs; a database without that table (not migrated) gets a warning,
    not a failed backup."""
    from metrica.server.backups.operations import record

    try:
        asyncio.run(record(url, kind=kind, size=size, ok=ok, detail=detail))
    except Exception as exc:
        print(
            f"metrica backup {kind}: warning: not logged in backup_runs ({type(exc).__name__})",
            file=sys.stderr,
        )
