"""`metrica worker` as a subprocess for tests that run it against a real backend, and its
outbox file read from outside while it runs."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from metrica.domain.geometry import CountingLine
from tests.support.backend import CameraKey
from tests.support.data import PLAZA, YOLOX_NANO

# Quicker than the defaults, so the tests do not wait on the worker's timers: send every
# half second, retry within 2 s, heartbeat and poll the camera's config every 2 s. Later
# flags of the same name win.
QUICK = (
    "--send-every-s", "0.5", "--retry-max-s", "2", "--flush-deadline-s", "30",
    "--heartbeat-s", "2", "--config-poll-s", "2",
)  # fmt: skip


def line_args(lines: Sequence[CountingLine]) -> list[str]:
    """`--line ID=x1,y1,x2,y2` for each line, as `metrica worker` and `metrica count` take them."""
    return [arg for line in lines for arg in ("--line", line.as_arg())]


@dataclass
class WorkerRun:
    """`metrica worker` as a subprocess; stderr (the log) and stdout (--json) in files."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    out_path: Path

    def wait(self, timeout_s: float = 240) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the worker ran past {timeout_s} s:\n{self.tail()}") from None

    def finish(self) -> dict[str, Any]:
        """Wait for the end of the clip and the flush; the --json summary."""
        assert self.wait() == 0, self.tail()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        lines = self.out_path.read_text().strip().splitlines()
        assert lines, f"no JSON summary on stdout:\n{self.tail()}"
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self) -> str:
        """The end of the log, for failure messages."""
        return self.log()[-6000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it; the worker must flush and exit 0."""
        self.kill(signal.SIGTERM)
        assert self.wait(60) == 0, self.tail()


def start_worker(
    tmp: Path,
    api_url: str,
    camera: CameraKey,
    *args: str,
    lines: Sequence[CountingLine] = PLAZA.lines,
    outbox: Path | None = None,
    name: str = "worker",
    source: str = str(PLAZA.clip),
) -> WorkerRun:
    """`metrica worker` on `source` (the plaza clip) with these lines (none: the backend's),
    the key in the environment as `metrica up` passes it, QUICK timers, then `args`."""
    argv = [
        sys.executable, "-m", "metrica.cli", "worker", source,
        "--model", str(YOLOX_NANO), *line_args(lines),
        "--api-url", api_url, "--camera-id", camera.camera_id,
        "--outbox", str(outbox or tmp / "outbox.db"), "--json", *QUICK, *args,
    ]  # fmt: skip
    env = os.environ | {"METRICA_WORKER_KEY": camera.key}
    log_path, out_path = tmp / f"{name}.log", tmp / f"{name}.out"
    with log_path.open("wb") as log_file, out_path.open("wb") as out_file:
        proc = subprocess.Popen(argv, env=env, stdout=out_file, stderr=log_file)
    return WorkerRun(proc, log_path, out_path)


def outbox_rows(path: Path, table: str = "outbox") -> list[tuple[Any, ...]]:
    """Rows of a table of the worker's outbox file, read while the worker may be running
    (WAL); none while the file or the table does not exist yet."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(f"SELECT * FROM {table}").fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        db.close()


def metric(port: int, name: str) -> float | None:
    """The value of one series of the worker's /metrics (None while it does not answer)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.TransportError:
        return None
    found = re.search(rf"^{re.escape(name)}{{[^}}]*}} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None
