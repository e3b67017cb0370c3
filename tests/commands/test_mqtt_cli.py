"""The MQTT flags and commands refuse bad values with one line and exit 2, never echoing a
password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.data import PLAZA


def _metrica(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=os.environ | (env or {}),
    )


def test_edge_run_refuses_a_bad_broker_url(tmp_path: Path) -> None:
    done = _metrica("edge", "run", "--state-dir", str(tmp_path), "--mqtt-url", "mqtt://b:pw@h")
    assert done.returncode == 2
    assert "environment" in done.stderr
    assert "pw@" not in done.stderr


def test_worker_needs_the_broker_password_in_the_environment() -> None:
    clip = PLAZA.clip
    env = {"METRICA_WORKER_KEY": "k", "METRICA_MQTT_PASSWORD": ""}
    argv = ["worker", str(clip), "--api-url", "http://127.0.0.1:9"]
    argv += ["--camera-id", "11111111-2222-4333-8444-555555555555"]
    argv += [
        "--mqtt-url",
        "mqtt://127.0.0.1:1",
        "--mqtt-box-id",
        "0b7e3c3e-4d6b-4c1d-9d2e-3c1a2b3c4d5e",
    ]
    done = _metrica(*argv, env=env)
    assert done.returncode == 2
    assert "METRICA_MQTT_PASSWORD" in done.stderr


def test_consume_needs_a_broker_url(tmp_path: Path) -> None:
    env = {"METRICA_MQTT_URL": "", "METRICA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"}
    done = _metrica("mqtt", "consume", env=env)
    assert done.returncode == 2
    assert "METRICA_MQTT_URL" in done.stderr


def test_acl_prints_the_acl_without_a_database() -> None:
    done = _metrica("mqtt", "acl")
    assert done.returncode == 0, done.stderr
    assert "pattern read metrica/v1/boxes/%u/config" in done.stdout
    assert "allow_anonymous false" in done.stderr  # the broker config it goes with
