"""A signed-in superadmin on a real backend, and `metrica edge` processes for fleet tests."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.users import create_superadmin


def admin_client(base_url: str, db_url: str) -> httpx.Client:
    """An HTTP client signed in (bearer) as a fresh superadmin of the backend."""
    email, password = f"root-{uuid.uuid4().hex[:8]}@example.com", "fleet-" + uuid.uuid4().hex

    create_superadmin(db_url, email, password)
    client = httpx.Client(base_url=base_url, timeout=10)
    signed_in = client.post("/auth/login", json={"email": email, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    client.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
    return client


def edge(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`metrica edge ARGS` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "edge", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class BoxRun:
    """`metrica edge run` as a subprocess, its log in a file."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_box(state_dir: Path, *args: str) -> BoxRun:
    log_path = state_dir.parent / f"{state_dir.name}.log"
    argv = [sys.executable, "-m", "metrica.cli", "edge", "run", "--state-dir", str(state_dir)]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen([*argv, *args], stdout=log_file, stderr=subprocess.STDOUT)
    return BoxRun(proc, log_path)
