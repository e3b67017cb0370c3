"""`metrica worker --config cameras.yaml`: one process per camera, crashes isolated and
restarted with growing, rate-limited delays; SIGTERM stops everything cleanly."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import yaml

from tests.vision.shared_data import YOLOX_NANO, video


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port  # nothing listens once the socket is closed: the backend is "down"


def test_a_crashing_camera_is_restarted_with_backoff_and_never_stops_the_others(
    tmp_path: Path,
) -> None:
    config = {
        "api_url": f"http://127.0.0.1:{closed_port()}",
        "model": str(YOLOX_NANO),
        "args": ["--stride", "5", "--flush-deadline-s", "1", "--retry-max-s", "0.5"],
        "restart": {"base_s": 0.3, "cap_s": 2.0, "window_s": 120},
        "stop_timeout_s": 20,
        "cameras": [
            {
                "camera_id": str(uuid.uuid4()),
                "name": "good",
                "source": str(video("overhead_plaza.mp4")),
                "key": "k-good",
                "lines": ["L1=0,0.5,1,0.5"],
                "outbox": str(tmp_path / "good.db"),
            },
            {
                "camera_id": str(uuid.uuid4()),
                "name": "broken",
                "source": str(tmp_path / "no-such-clip.mp4"),
                "key": "k-broken",
                "outbox": str(tmp_path / "broken.db"),
            },
        ],
    }
    path = tmp_path / "cameras.yaml"
    path.write_text(yaml.safe_dump(config))
    log_path = tmp_path / "supervisor.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "metrica.cli", "worker", "--config", str(path)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                log = log_path.read_text()
                crashes = re.findall(
                    r"camera broken: worker exited with code 2; restarting in ([\d.]+) s "
                    r"\((\d+) crash",
                    log,
                )
                if "camera good: worker finished" in log and len(crashes) >= 3:
                    break
                assert proc.poll() is None, log
                time.sleep(0.25)
            else:
                raise AssertionError(f"timed out; log so far:\n{log_path.read_text()}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    assert proc.returncode == 0
    # Each crash counts towards a longer pause: 1, 2, 3 … recent crashes, delays within
    # the doubling (equal jitter: half to all of base·2^n, capped).
    assert [int(n) for _, n in crashes[:3]] == [1, 2, 3]
    for index, (delay, _) in enumerate(crashes[:3]):
        ceiling = min(2.0, 0.3 * 2**index)
        assert ceiling / 2 - 0.05 <= float(delay) <= ceiling + 0.05
    # The healthy camera counted the whole clip while its neighbour crash-looped; with the
    # backend down, every crossing waits in its outbox.
    with sqlite3.connect(tmp_path / "good.db") as db:
        queued = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        quarantined = db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
    assert queued >= 10
    assert quarantined == 0
    assert "stopping every worker" in log_path.read_text()
