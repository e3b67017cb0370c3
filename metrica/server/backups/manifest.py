"""What a backup holds: its tables' row counts and checksums, and where it came from.

A table's checksum is the sum (mod 2**256) of the SHA-256 of every row's `repr`: it does
not depend on the order rows come back in, so it needs no sort of a big table, and the
same rows give the same sum on the database restored from the dump. It is comparable
between databases of the same kind (PostgreSQL with PostgreSQL, SQLite with SQLite).
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

TABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
MAX_MANIFEST_BYTES = 1024 * 1024


class TableStats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(ge=0, le=2**63)
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")


class DumpFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["database.pgdump", "database.sqlite3"]
    bytes: int = Field(ge=0, le=2**63)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Manifest(BaseModel):
    """manifest.json of a backup archive (read back from a file: every field is checked)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["metrica-backup/1"] = "metrica-backup/1"
    dialect: Literal["postgresql", "sqlite"]
    created_at: str = Field(max_length=64)
    schema_revision: str | None = Field(max_length=64)
    tools: dict[str, str] = Field(max_length=16)
    dump: DumpFile
    tables: dict[str, TableStats] = Field(max_length=1000)


class _Checksum:
    def __init__(self) -> None:
        self.rows = 0
        self._sum = 0

    def add(self, row: tuple[Any, ...]) -> None:
        digest = hashlib.sha256(repr(row).encode("utf-8", "backslashreplace")).digest()
        self._sum = (self._sum + int.from_bytes(digest, "big")) % 2**256
        self.rows += 1

    def stats(self) -> TableStats:
        return TableStats(rows=self.rows, checksum=f"{self._sum:064x}")


def _quoted(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


async def pg_tables(conn: AsyncConnection) -> list[str]:
    """Tables of the public schema; a partitioned table once (its partitions are in it)."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition ORDER BY c.relname"
        )
    )
    return [str(r) for r in rows.scalars()]


async def pg_stats(conn: AsyncConnection) -> dict[str, TableStats]:
    """Counts and checksums of every table, read in `conn`'s transaction (its snapshot)."""
    stats = {}
    for table in await pg_tables(conn):
        checksum = _Checksum()
        result = await conn.stream(text(f"SELECT * FROM {_quoted(table)}"))
        async for chunk in result.partitions(5000):
            for row in chunk:
                checksum.add(tuple(row))
        stats[table] = checksum.stats()
    return stats


def sqlite_stats(db: sqlite3.Connection) -> dict[str, TableStats]:
    """Counts and checksums of every table of a SQLite database."""
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    stats = {}
    for table in tables:
        checksum = _Checksum()
        for row in db.execute(f"SELECT * FROM {_quoted(table)}"):
            checksum.add(tuple(row))
        stats[table] = checksum.stats()
    return stats


def differences(expected: dict[str, TableStats], actual: dict[str, TableStats]) -> list[str]:
    """One line per table that does not match, naming it; empty when all match."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"table {table}: in the restored database but not in the manifest")
        elif got is None:
            problems.append(f"table {table}: in the manifest but missing after restore")
        elif want.rows != got.rows:
            problems.append(f"table {table}: {got.rows} rows restored, manifest says {want.rows}")
        elif want.checksum != got.checksum:
            problems.append(f"table {table}: checksum differs from the manifest")
    return problems
