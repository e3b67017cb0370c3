"""Create, restore and verify a backup archive, for PostgreSQL and SQLite alike.

Every successful create and every verify (good or bad) is written to `backup_runs` of a
database the operator names, which is what the server's
`metrica_backup_last_success_timestamp_seconds` reads.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from metrica.server.backups import postgres
from metrica.server.backups import sqlite as sqlite_backup
from metrica.server.backups.archive import BackupError, file_digest, read_archive, write_archive
from metrica.server.backups.manifest import DumpFile, Manifest, TableStats, differences
from metrica.server.backups.service import record_run
from metrica.server.db import create_engine, session_factory


def dialect_of_url(url: str) -> str:
    if url.startswith("postgresql"):
        return "postgresql"
    if url.startswith("sqlite"):
        return "sqlite"
    raise BackupError(
        "the database URL must start with postgresql+asyncpg:// or sqlite+aiosqlite://"
    )


def _metrica_version() -> str:
    try:
        return version("metrica")
    except PackageNotFoundError:
        return "unknown"


def _check_output(out: Path) -> None:
    if out.is_dir():
        raise BackupError(f"{out} is a folder; give the archive's file name")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such folder")


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


@dataclass(frozen=True, slots=True)
class Created:
    path: Path
    bytes: int
    manifest: Manifest


async def create_backup(url: str, out: Path, *, now: datetime | None = None) -> Created:
    """Back the database at `url` up into the archive `out`."""
    dialect = dialect_of_url(url)
    _check_output(out)
    with tempfile.TemporaryDirectory(prefix="metrica-backup-", dir=out.parent) as tmp:
        tools = {"metrica": _metrica_version()}
        if dialect == "postgresql":
            dump_file = Path(tmp) / "database.pgdump"
            result = await postgres.dump(url, dump_file)
            tables, revision = result.tables, result.revision
            tools.update(result.tools)
        else:
            dump_file = Path(tmp) / "database.sqlite3"
            tables, revision = sqlite_backup.dump(url, dump_file)
            tools["sqlite"] = sqlite3.sqlite_version
        size, sha = file_digest(dump_file)
        manifest = Manifest(
            dialect=dialect,
            created_at=(now or datetime.now(UTC)).isoformat(),
            schema_revision=revision,
            tools=tools,
            dump=DumpFile(name=dump_file.name, bytes=size, sha256=sha),
            tables=tables,
        )
        written = write_archive(out, dump_file, manifest)
    return Created(out, written, manifest)


async def table_count(url: str) -> int:
    if dialect_of_url(url) == "postgresql":
        return await postgres.table_count(url)
    return sqlite_backup.table_count(url)


async def restore_backup(archive: Path, url: str, *, force: bool) -> Manifest:
    """Restore `archive` into the database at `url`; a database with tables is only
    replaced with `force`."""
    dialect = dialect_of_url(url)
    with tempfile.TemporaryDirectory(prefix="metrica-restore-") as tmp:
        manifest, dump_file = read_archive(archive, Path(tmp))
        if manifest.dialect != dialect:
            raise BackupError(f"{archive} is a {manifest.dialect} backup; the target is {dialect}")
        existing = await table_count(url)
        if existing and not force:
            raise BackupError(
                f"the target database already has {existing} tables; "
                "restore into an empty one, or pass --force to replace it"
            )
        if dialect == "postgresql":
            await postgres.restore(url, dump_file, clean=bool(existing))
        else:
            sqlite_backup.restore(url, dump_file)
    return manifest


@dataclass(frozen=True, slots=True)
class Verified:
    manifest: Manifest
    problems: list[str]
    bytes: int

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_backup(archive: Path, *, server_url: str | None) -> Verified:
    """Restore `archive` into a scratch database (PostgreSQL: a new database on the server
    of `server_url`; SQLite: a temporary file) and compare every table with the manifest."""
    size = _size(archive)
    with tempfile.TemporaryDirectory(prefix="metrica-verify-") as tmp:
        manifest, dump_file = read_archive(archive, Path(tmp))
        actual: dict[str, TableStats]
        if manifest.dialect == "postgresql":
            if server_url is None or dialect_of_url(server_url) != "postgresql":
                raise BackupError(
                    "verifying a PostgreSQL backup needs a PostgreSQL server: "
                    "--db-url postgresql+asyncpg://... (a scratch database is made there)"
                )
            async with postgres.ScratchDatabase(server_url) as scratch:
                await postgres.restore(scratch.url, dump_file, clean=False)
                actual = await postgres.stats(scratch.url)
        else:
            scratch_file = Path(tmp) / "scratch.sqlite3"
            sqlite_backup.copy(dump_file, scratch_file)
            actual = sqlite_backup.stats(scratch_file)
    return Verified(manifest, differences(manifest.tables, actual), size)


async def record(url: str, *, kind: str, size: int, ok: bool, detail: str) -> None:
    """Write a finished run into `backup_runs` of the database at `url`."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            await record_run(
                session,
                kind=kind,
                finished_at=datetime.now(UTC),
                size=size,
                ok=ok,
                detail=detail,
            )
            await session.commit()
    finally:
        await engine.dispose()
