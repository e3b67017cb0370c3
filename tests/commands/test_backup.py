"""`metrica backup` and `metrica retention` as an operator runs them (through the entry
point; a real process where it matters), on SQLite files and a real PostgreSQL: create,
verify, restore, refusals and damaged files."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from metrica.server.app import create_app
from metrica.server.backups.manifest import Manifest
from metrica.server.seed import ADMIN_EMAIL, DEMO_TZ, DemoSeed, seed_demo
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.support.dashboards import answers_of_app
from tests.support.db import migrate, sqlite_url_in, temporary_pg_database

NOW = datetime(2026, 3, 18, 15, 20, tzinfo=UTC)
DAYS = 3


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def metrica(*args: str, env: dict[str, str] | None = None) -> Ran:
    """`metrica ARGS` in this process (the entry point, argument parsing and exit codes as
    a user gets them, without a Python start-up per call); `env` is set for the call."""
    from metrica.cli import main

    saved = {k: v for k, v in os.environ.items() if k.startswith("METRICA_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        for key in [k for k in os.environ if k.startswith("METRICA_")]:
            del os.environ[key]
        os.environ.update(saved)
    return Ran(code, out.getvalue(), err.getvalue())


def metrica_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m metrica.cli ARGS` as its own process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("METRICA_")}
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )


def seeded(url: str, now: datetime = NOW) -> DemoSeed:
    async def run() -> DemoSeed:
        app = create_app(make_settings(url))
        state: AppState = app.state.metrica
        try:
            async with state.sessions() as session:
                return await seed_demo(session, hasher=state.passwords, days=DAYS, now=now)
        finally:
            await state.engine.dispose()

    return asyncio.run(run())


def answers(url: str, seed: DemoSeed) -> dict[str, object]:
    async def run() -> dict[str, object]:
        app = create_app(make_settings(url))
        state: AppState = app.state.metrica
        state.clock = lambda: NOW
        try:
            first = (NOW - timedelta(days=DAYS)).date()
            last = NOW.astimezone(ZoneInfo(DEMO_TZ)).date()
            return await answers_of_app(app, ADMIN_EMAIL, seed.store_id, first, last)
        finally:
            await state.engine.dispose()

    return asyncio.run(run())


def rewrite(archive: Path, out: Path, change: object, *, dump: bytes | None = None) -> None:
    """Copy `archive` to `out` with its manifest changed by `change(dict)` (and its dump
    replaced by `dump`)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            assert data is not None
            raw = data.read()
            if dump is not None and member.name.startswith("database."):
                raw = dump
                member.size = len(raw)
            if member.name == "manifest.json":
                doc = json.loads(raw)
                change(doc)  # type: ignore[operator]
                raw = json.dumps(doc).encode()
                member.size = len(raw)
            dst.addfile(member, io.BytesIO(raw))


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return Manifest.model_validate_json(member.read())


@pytest.fixture
def sqlite_source(tmp_path: Path) -> tuple[str, DemoSeed]:
    url = sqlite_url_in(tmp_path / "source")
    migrate(url)
    return url, seeded(url)


@pytest.mark.timeout(300)
def test_sqlite_backup_restore_verify_round_trip(
    sqlite_source: tuple[str, DemoSeed], tmp_path: Path
) -> None:
    url, seed = sqlite_source
    archive = tmp_path / "metrica.tar"
    created = metrica_process("backup", "create", str(archive), "--db-url", url)
    assert created.returncode == 0, created.stderr
    manifest = read_manifest(archive)
    assert manifest.dialect == "sqlite"
    assert manifest.tables["events"].rows == seed.events
    assert manifest.schema_revision is not None

    target = sqlite_url_in(tmp_path / "target")
    done = metrica("backup", "restore", str(archive), "--db-url", target)
    assert done.returncode == 0, done.stderr
    assert f"{len(manifest.tables)} tables" in done.stdout
    assert answers(target, seed) == answers(url, seed)

    again = metrica("backup", "restore", str(archive), "--db-url", target)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1
    assert "already has" in again.stderr
    assert "--force" in again.stderr
    forced = metrica("backup", "restore", str(archive), "--db-url", target, "--force")
    assert forced.returncode == 0, forced.stderr

    verified = metrica("backup", "verify", str(archive), "--db-url", url)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "source" / "metrica.db") as db:
        logged = db.execute("SELECT kind, ok FROM backup_runs ORDER BY id").fetchall()
    assert logged == [("create", 1), ("verify", 1)]


def test_verify_names_the_table_whose_figures_differ(
    sqlite_source: tuple[str, DemoSeed], tmp_path: Path
) -> None:
    url, _ = sqlite_source
    archive = tmp_path / "good.tar"
    assert metrica("backup", "create", str(archive), "--db-url", url).returncode == 0

    def wrong_checksum(doc: dict[str, dict[str, dict[str, str]]]) -> None:
        doc["tables"]["events"]["checksum"] = "0" * 64

    def wrong_rows(doc: dict[str, dict[str, dict[str, int]]]) -> None:
        doc["tables"]["hourly_counts"]["rows"] += 1

    for change, expected in (
        (wrong_checksum, "table events: checksum differs from the manifest"),
        (wrong_rows, "table hourly_counts:"),
    ):
        bad = tmp_path / "bad.tar"
        rewrite(archive, bad, change)
        done = metrica("backup", "verify", str(bad), "--db-url", url)
        assert done.returncode == 1
        assert expected in done.stderr
        assert done.stderr.count("\n") == 1  # one table differs: one line


def test_damaged_and_missing_files_are_one_line_errors(
    sqlite_source: tuple[str, DemoSeed], tmp_path: Path
) -> None:
    url, _ = sqlite_source
    archive = tmp_path / "good.tar"
    assert metrica("backup", "create", str(archive), "--db-url", url).returncode == 0
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"\x00not a tar" * 1000)
    flipped = tmp_path / "flipped.tar"
    data = bytearray(archive.read_bytes())
    data[4096] ^= 0xFF  # inside the dump, past the tar header
    flipped.write_bytes(bytes(data))
    for path in (truncated, garbage, flipped):
        done = metrica("backup", "verify", str(path), "--db-url", url)
        assert done.returncode == 1, (path, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert str(path) in done.stderr
    # A well-formed archive whose dump (checksum and all) is not a database.
    crafted = tmp_path / "crafted.tar"

    def not_a_database(doc: dict[str, dict[str, object]]) -> None:
        doc["dump"]["bytes"] = len(b"garbage")
        doc["dump"]["sha256"] = hashlib.sha256(b"garbage").hexdigest()

    rewrite(archive, crafted, not_a_database, dump=b"garbage")
    done = metrica("backup", "verify", str(crafted), "--db-url", url)
    assert done.returncode == 1
    assert "file is not a database" in done.stderr
    assert done.stderr.count("\n") == 1
    missing = metrica("backup", "verify", str(tmp_path / "none.tar"), "--db-url", url)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    restore = metrica("backup", "restore", str(garbage), "--db-url", sqlite_url_in(tmp_path / "t"))
    assert restore.returncode == 2
    assert restore.stderr.count("\n") == 1


@pytest.fixture
def pg_pair() -> Iterator[tuple[str, str]]:
    with (
        temporary_pg_database() as source,
        temporary_pg_database(migrated=False) as target,
    ):
        yield source, target


@pytest.mark.timeout(300)
def test_postgresql_backup_restore_verify_by_command(
    pg_pair: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pg_pair
    seed = seeded(source)
    archive = tmp_path / "pg.tar"
    created = metrica("backup", "create", str(archive), "--db-url", source)
    assert created.returncode == 0, created.stderr
    manifest = read_manifest(archive)
    assert manifest.dialect == "postgresql"
    assert manifest.tables["events"].rows == seed.events
    restored = metrica("backup", "restore", str(archive), "--db-url", target)
    assert restored.returncode == 0, restored.stderr
    assert answers(target, seed) == answers(source, seed)
    verified = metrica("backup", "verify", str(archive), "--db-url", source)
    assert verified.returncode == 0, verified.stderr
    sqlite_only = metrica(
        "backup", "verify", str(archive), "--db-url", sqlite_url_in(tmp_path / "x")
    )
    assert sqlite_only.returncode == 2
    assert "needs a PostgreSQL server" in sqlite_only.stderr
    gone = source.rsplit("/", 1)[0] + "/no_such_database"
    nowhere = metrica("backup", "restore", str(archive), "--db-url", gone)
    assert nowhere.returncode == 2
    assert nowhere.stderr.count("\n") == 1
    assert "no_such_database" in nowhere.stderr


def test_the_commands_explain_themselves() -> None:
    backup = metrica_process("backup", "--help")
    assert backup.returncode == 0
    for word in ("create", "restore", "verify", "manifest", "snapshot"):
        assert word in backup.stdout
    restore = metrica("backup", "restore", "--help")
    assert "--force" in restore.stdout
    retention = metrica("retention", "run", "--help")
    assert retention.returncode == 0
    for word in ("--dry-run", "--db-url", "METRICA_RETENTION_RAW_EVENTS_DAYS", "partition"):
        assert word in retention.stdout


def test_retention_run_by_command(tmp_path: Path) -> None:
    import sqlite3

    # The command works on the wall clock: history and expiries are made relative to it.
    now = datetime.now(UTC)
    url = sqlite_url_in(tmp_path / "db")
    migrate(url)
    seed = seeded(url, now=now)
    with sqlite3.connect(tmp_path / "db" / "metrica.db") as db:
        for name, age_days in (("a", 30), ("b", 1)):
            expires = (now - timedelta(days=age_days)).replace(tzinfo=None)
            db.execute("INSERT INTO revoked_tokens VALUES (?, ?)", (name * 64, expires))
    dry = metrica("retention", "run", "--dry-run", "--db-url", url)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("events: 0 rows would be removed")  # 3 days of 90
    assert lines[3].startswith("revoked_tokens: 1 rows would be removed")
    assert lines[-1] == "total: 1 rows would be removed"
    done = metrica("retention", "run", "--db-url", url, "--batch-size", "1")
    assert done.returncode == 0, done.stderr
    assert "revoked_tokens: 1 rows removed" in done.stdout
    with sqlite3.connect(tmp_path / "db" / "metrica.db") as db:
        assert db.execute("SELECT token_hash FROM revoked_tokens").fetchall() == [("b" * 64,)]
        assert db.execute("SELECT count(*) FROM events").fetchone() == (seed.events,)

    fresh = sqlite_url_in(tmp_path / "unmigrated")
    refused = metrica("retention", "run", "--db-url", fresh)
    assert refused.returncode == 2
    assert "migration" in refused.stderr
    bad = metrica(
        "retention", "run", "--db-url", url, env={"METRICA_RETENTION_RAW_EVENTS_DAYS": "3"}
    )
    assert bad.returncode == 2
    assert "RETENTION_RAW_EVENTS_DAYS" in bad.stderr
    assert metrica("retention", "run", "--batch-size", "0", "--db-url", url).returncode == 2
