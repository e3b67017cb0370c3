"""`metrica worker` as a user or a service manager meets it: --help explains everything,
bad configuration is one line on stderr with exit code 2, before anything starts; and
`--config cameras.yaml` runs one process per camera, crashes isolated and restarted with
growing, rate-limited delays, SIGTERM stopping everything cleanly."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml

from metrica.cli import main
from tests.support.data import YOLOX_NANO, video
from tests.support.processes import free_port, poll

CLIP = str(video("town_centre_short.mp4"))
CAMERA = str(uuid.uuid4())
ENV = (
    "METRICA_API_URL",
    "METRICA_CAMERA_ID",
    "METRICA_WORKER_KEY",
    "METRICA_WORKER_KEY_FILE",
    "METRICA_SOURCE",
    "METRICA_MODEL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_help_explains_flags_environment_outbox_signals_and_several_cameras(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "--api-url", "--camera-id", "--key-file", "--model", "--line", "--loop", "--realtime",
        "--as-camera", "--detect-fps",
        "--outbox", "--outbox-max-events", "--flush-deadline-s", "--heartbeat-s",
        "--snapshot-s", "--config-poll-s", "--metrics-port", "--config",
        "METRICA_API_URL", "METRICA_WORKER_KEY", "METRICA_SOURCE", "METRICA_MODEL",
        "SQLite outbox", "quarantined", "kill -9", "SIGTERM", "exit codes",
    ):  # fmt: skip
        assert needle in text, needle


GOOD = ["--api-url", "http://127.0.0.1:9", "--camera-id", CAMERA, "--key", "k"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([CLIP, "--camera-id", CAMERA, "--key", "k"], "--api-url is required"),
        ([CLIP, "--api-url", "ftp://host", "--camera-id", CAMERA, "--key", "k"], "http(s)://"),
        ([CLIP, "--api-url", "http://h:99999", "--camera-id", CAMERA, "--key", "k"], "bad port"),
        ([CLIP, "--api-url", "http://h", "--camera-id", "front-door", "--key", "k"], "UUID"),
        ([CLIP, "--api-url", "http://h", "--camera-id", CAMERA], "a worker key is required"),
        ([CLIP, *GOOD[:4], "--key-file", "/no/such/key"], "cannot read key file"),
        (GOOD, "a SOURCE is required"),
        (["/no/such/clip.mp4", *GOOD], "video not found"),
        ([CLIP, *GOOD, "--line", "L1=0,0.5,1"], "expected 4 comma-separated numbers"),
        ([CLIP, *GOOD, "--batch-max", "5000"], "--batch-max"),
        ([CLIP, *GOOD, "--heartbeat-s", "0"], "--heartbeat-s"),
        (["rtsp://cam/stream", *GOOD, "--loop"], "are for video files, not streams"),
        (["rtsp://cam/stream", *GOOD, "--as-camera"], "are for video files, not streams"),
        ([CLIP, *GOOD, "--detect-fps", "0"], "--detect-fps 0.0: must be within"),
        ([CLIP, *GOOD, "--detect-fps", "nan"], "--detect-fps nan: must be within"),
        ([CLIP, *GOOD, "--model", "/no/such/model.onnx"], "model not found"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("metrica worker: error: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_environment_fills_what_flags_leave_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METRICA_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("METRICA_CAMERA_ID", CAMERA)
    monkeypatch.setenv("METRICA_WORKER_KEY", "k")
    monkeypatch.setenv("METRICA_SOURCE", CLIP)
    monkeypatch.setenv("METRICA_MODEL", "/no/such/env-model.onnx")
    assert main(["worker"]) == 2  # got as far as the model: everything else was found
    assert "model not found: /no/such/env-model.onnx" in capsys.readouterr().err
    assert main(["worker", "--model", str(YOLOX_NANO), "--api-url", "nope"]) == 2  # flags win
    assert "--api-url 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            f"""
            api_url: http://127.0.0.1:8000
            cameras:
              - camera_id: {CAMERA}
                source: a.mp4
                key: k1
              - camera_id: front-door
                source: b.mp4
                key: k2
            """,
            ":6: cameras.1.camera_id: Value error, 'front-door': expected the camera's UUID",
        ),
        (
            f"""
            api_url: http://127.0.0.1:8000
            cameras:
              - camera_id: {CAMERA}
                source: a.mp4
                key: k1
                sauce: typo
            """,
            ":6: cameras.0.sauce: Extra inputs are not permitted",
        ),
        (
            f"""
            cameras:
              - camera_id: {CAMERA}
                source: a.mp4
                key_env: METRICA_TEST_UNSET_KEY
            """,
            "environment variable METRICA_TEST_UNSET_KEY is not set",
        ),
        ("cameras: [unclosed", "not valid YAML"),
    ],
)
def test_a_bad_cameras_file_names_the_line(
    tmp_path: Path, body: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cameras.yaml"
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    assert main(["worker", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("metrica worker: error: ")
    assert message in err


def test_a_crashing_camera_is_restarted_with_backoff_and_never_stops_the_others(
    tmp_path: Path,
) -> None:
    config = {
        "api_url": f"http://127.0.0.1:{free_port()}",  # nothing listens: the backend is down
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

        def three_restarts_and_a_finished_clip() -> list[tuple[str, str]] | None:
            log = log_path.read_text()
            crashes: list[tuple[str, str]] = re.findall(
                r"camera broken: worker exited with code 2; restarting in ([\d.]+) s "
                r"\((\d+) crash",
                log,
            )
            assert proc.poll() is None, "the supervisor exited"
            return crashes if "camera good: worker finished" in log and len(crashes) >= 3 else None

        try:
            crashes = poll(
                three_restarts_and_a_finished_clip,
                timeout_s=180,
                what="three restarts of the broken camera and the good camera's whole clip",
            )
        except AssertionError as failed:
            raise AssertionError(f"{failed}; log so far:\n{log_path.read_text()}") from None
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
