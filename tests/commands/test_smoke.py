"""`metrica smoke` against a real `metrica serve` (SQLite): every step passes on a healthy
server and leaves nothing behind; a wrong password fails naming the step, without
echoing the password; no password and no terminal is a one-line usage error."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from metrica.server.db import create_engine, session_factory
from metrica.server.stores.models import Store
from tests.support.backend import Backend
from tests.support.db import migrate, sqlite_url_in
from tests.support.users import create_superadmin

EMAIL = "ops@example.com"
PASSWORD = "violet harbour lamp smoke"
STEPS = ("docs load", "sign in", "provision", "worker posts", "camera live", "clean up")


def _make_admin(db_url: str) -> None:
    create_superadmin(db_url, EMAIL, PASSWORD)


def _stores(db_url: str) -> int:
    async def count() -> int:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return int(await session.scalar(select(func.count()).select_from(Store)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    url = sqlite_url_in(tmp_path_factory.mktemp("smoke"))
    migrate(url)
    _make_admin(url)
    with Backend(url) as running:
        yield running


def _smoke(url: str, *extra: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("METRICA_SMOKE_")}
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "smoke", "--url", url, *extra],
        env=clean | env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_healthy_server_passes_every_step_and_is_left_clean(backend: Backend) -> None:
    before = _stores(backend.db_url)
    done = _smoke(
        backend.url,
        "--admin-email",
        EMAIL,
        env={"METRICA_SMOKE_PASSWORD": PASSWORD},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for step in (*STEPS, "sign out"):
        assert any(line.startswith(f"✓ {step} ") for line in lines), (step, done.stdout)
    assert "✗" not in done.stdout
    assert " ms " in lines[0]
    assert "3 in / 1 out counted" in done.stdout
    assert lines[-1] == "smoke: all steps passed"
    assert PASSWORD not in done.stdout + done.stderr
    assert _stores(backend.db_url) == before


def test_a_wrong_password_fails_naming_the_step(backend: Backend) -> None:
    done = _smoke(
        backend.url,
        env={"METRICA_SMOKE_EMAIL": EMAIL, "METRICA_SMOKE_PASSWORD": "not the password"},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✓ docs load " in done.stdout
    assert any(
        line.startswith("✗ sign in ") and "401" in line for line in done.stdout.splitlines()
    ), done.stdout
    assert "✓ provision" not in done.stdout
    assert done.stdout.splitlines()[-1] == "smoke: FAILED at step 'sign in'"
    assert "not the password" not in done.stdout + done.stderr


def test_a_server_that_is_not_there_fails_at_the_first_step(tmp_path: Path) -> None:
    from tests.support.processes import free_port

    done = _smoke(
        f"http://127.0.0.1:{free_port()}",
        env={"METRICA_SMOKE_EMAIL": EMAIL, "METRICA_SMOKE_PASSWORD": PASSWORD},
    )
    assert done.returncode == 1
    assert "✗ docs load" in done.stdout
    assert "ConnectError" in done.stdout
    assert done.stdout.splitlines()[-1] == "smoke: FAILED at step 'docs load'"


def test_without_a_password_or_a_terminal_it_says_so(backend: Backend) -> None:
    done = _smoke(backend.url, "--admin-email", EMAIL, env={})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "metrica smoke: error: set METRICA_SMOKE_PASSWORD (no terminal to ask for "
        "ops@example.com's password)"
    )
