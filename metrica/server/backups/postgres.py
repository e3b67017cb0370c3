"""PostgreSQL backups through pg_dump / pg_restore (custom format).

The dump and the manifest come from one snapshot: a REPEATABLE READ transaction exports
its snapshot, pg_dump runs with `--snapshot` on it, and the same transaction counts and
checksums every table while pg_dump reads. Connection details go to the tools in their
environment (PGHOST, PGPASSWORD, ...), never on their command line.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from metrica.server.backups.archive import BackupError
from metrica.server.backups.manifest import TableStats, pg_stats, pg_tables
from metrica.server.db import create_engine

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class Tool:
    path: str
    major: int
    version: str


def tool_version(path: str) -> Tool | None:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    if match is None:
        return None
    return Tool(path, int(match.group(1)), out.strip().split(") ", 1)[-1])


def find_tool(name: str, server_major: int) -> Tool:
    """`name` (pg_dump, pg_restore) of the server's major version, or the oldest newer one:
    an older pg_dump refuses a newer server, and Debian installs one per major version
    under /usr/lib/postgresql/N/bin beside the one on PATH."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    tools = [t for t in (tool_version(c) for c in candidates) if t is not None]
    usable = sorted((t for t in tools if t.major >= server_major), key=lambda t: t.major)
    if not usable:
        found = ", ".join(f"{t.major}" for t in tools) or "none"
        raise BackupError(
            f"{name} for PostgreSQL {server_major} not found (found: {found}); "
            f"install postgresql-client-{server_major}"
        )
    return usable[0]


def libpq_env(url: str, *, database: str | None = None) -> dict[str, str]:
    """The environment that points libpq tools at the database of a SQLAlchemy URL."""
    parsed = make_url(url)
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", str(parsed.port) if parsed.port else None),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", database or parsed.database),
    ):
        if value:
            env[key] = str(value)
    return env


async def server_major(engine: AsyncEngine) -> tuple[int, str]:
    async with engine.connect() as conn:
        num = int(await conn.scalar(text("SHOW server_version_num")) or 0)
        version = str(await conn.scalar(text("SHOW server_version")))
    return num // 10000, version


@dataclass(frozen=True, slots=True)
class PgDump:
    tables: dict[str, TableStats]
    revision: str | None
    tools: dict[str, str]


async def dump(url: str, out: Path) -> PgDump:
    """pg_dump -Fc of the database at `url` into `out`, with the manifest's figures taken
    from the same snapshot."""
    engine = create_engine(url, pool_size=1)
    try:
        major, version = await server_major(engine)
        tool = find_tool("pg_dump", major)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            await conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = str(await conn.scalar(text("SELECT pg_export_snapshot()")))
            proc = await asyncio.create_subprocess_exec(
                tool.path,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                f"--file={out}",
                env=libpq_env(url),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                revision = None
                if "alembic_version" in await pg_tables(conn):
                    revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
                tables = await pg_stats(conn)
            finally:
                # The snapshot must stay exported until pg_dump has taken it up.
                _, err = await proc.communicate()
            await conn.rollback()
        if proc.returncode != 0:
            raise BackupError(f"pg_dump failed: {_last_line(err)}")
        tools = {"pg_dump": tool.version, "postgresql": version}
        return PgDump(tables, None if revision is None else str(revision), tools)
    finally:
        await engine.dispose()


def _last_line(err: bytes) -> str:
    lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


async def table_count(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return len(await pg_tables(conn))
    finally:
        await engine.dispose()


async def restore(url: str, dump_file: Path, *, clean: bool) -> None:
    """pg_restore the custom-format `dump_file` into the database at `url`."""
    engine = create_engine(url, pool_size=1)
    try:
        major, _ = await server_major(engine)
    finally:
        await engine.dispose()
    tool = find_tool("pg_restore", major)
    args = [tool.path, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        args += ["--clean", "--if-exists"]
    env = libpq_env(url)
    args += [f"--dbname={env['PGDATABASE']}", str(dump_file)]
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {_last_line(err)}")


async def stats(url: str) -> dict[str, TableStats]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            return await pg_stats(conn)
    finally:
        await engine.dispose()


class ScratchDatabase:
    """A new, empty database on the server of `url` for a verification; dropped after."""

    def __init__(self, url: str) -> None:
        self._admin_url = url
        self.name = f"metrica_verify_{uuid.uuid4().hex[:12]}"
        self.url = make_url(url).set(database=self.name).render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        engine = create_engine(self._admin_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    async def __aenter__(self) -> ScratchDatabase:
        try:
            await self._admin(f'CREATE DATABASE "{self.name}"')
        except Exception as exc:
            raise BackupError(
                f"cannot create a scratch database on the server: {type(exc).__name__}"
            ) from None
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
