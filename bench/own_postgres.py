"""A PostgreSQL server of the bench's own, set up as a write-heavy production box would be.

The machine's PostgreSQL runs with the package defaults (128 MB of shared buffers, a
checkpoint every 1 GB of WAL), which no one runs an ingest database with: millions of
events a minute then spend their time on checkpoints and full-page images. This starts a
throw-away server (`initdb` in a temporary folder, a free port, trust auth on 127.0.0.1
only) with the settings docs/operations-capacity.md recommends, so a bench can measure
both side by side. Durability is unchanged: `fsync` and `synchronous_commit` stay on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_support import free_port

# What a dedicated 2-core, 8 GB ingest box would run with (see docs/operations-capacity.md).
INGEST_SETTINGS = {
    "shared_buffers": "2GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "lz4",
    "wal_buffers": "64MB",
}


def _bindir() -> Path:
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def own_postgres(settings: dict[str, str] | None = None) -> Iterator[str]:
    """Start a server with `settings` (default `INGEST_SETTINGS`); yields its SQLAlchemy URL
    (database `postgres`); stops it and removes its files on exit."""
    bindir, port = _bindir(), free_port()
    folder = Path(tempfile.mkdtemp(prefix="metrica-bench-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    options = " ".join(
        f"-c {key}={value}"
        for key, value in {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(folder),
            **(settings or INGEST_SETTINGS),
        }.items()
    )
    try:
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                          "--auth=trust", "--encoding=UTF8", "--no-instructions"]),
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
                          "-o", options, "-w", "start"]),
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)
