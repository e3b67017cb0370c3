"""SQLite backups through the online backup API (`sqlite3.Connection.backup`).

The backup API copies a consistent database while the server keeps writing (it restarts
its copy if a writer changes pages under it); the manifest is computed from the copy, so
the two agree by construction.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from metrica.server.backups.archive import BackupError
from metrica.server.backups.manifest import TableStats, sqlite_stats


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{make_url(url).drivername} URL names no database file")
    return Path(database)


def copy(source: Path, target: Path) -> None:
    """Copy the database `source` into `target` (replacing what `target` holds)."""
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source.name} into {target} failed: {exc}") from None


def dump(url: str, out: Path) -> tuple[dict[str, TableStats], str | None]:
    """Back the database at `url` up into `out`; its tables' figures and schema revision."""
    source = database_path(url)
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    copy(source, out)
    return stats(out), revision(out)


def stats(path: Path) -> dict[str, TableStats]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            return sqlite_stats(db)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: not a SQLite database ({exc})") from None


def revision(path: Path) -> str | None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
    return None if row is None else str(row[0])


def table_count(url: str) -> int:
    path = database_path(url)
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()
    return int(row[0])


def restore(url: str, dump_file: Path) -> None:
    target = database_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    copy(dump_file, target)
