"""`metrica worker` as a user or a service manager meets it: --help explains everything,
and bad configuration is one line on stderr with exit code 2, before anything starts."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from metrica.cli import main
from tests.vision.shared_data import YOLOX_NANO, video

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
        (["rtsp://cam/stream", *GOOD, "--loop"], "--loop and --realtime are for video files"),
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
