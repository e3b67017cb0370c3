"""`metrica models pull` as a user runs it, against a local HTTP server (no internet here)."""

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.data import YOLOX_NANO, video
from tests.support.local_http import serve


@pytest.fixture
def model_server(tmp_path: Path) -> Iterator[str]:
    """Serves a folder with the real YOLOX-Nano file and a tampered copy."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "yolox_nano.onnx").write_bytes(YOLOX_NANO.read_bytes())
    (served / "tampered.onnx").write_bytes(YOLOX_NANO.read_bytes()[:-10] + b"0123456789")
    yield from serve(served)


def pull(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("METRICA_MODEL_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "models", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_pull_verifies_sha256_and_the_model_is_then_found(
    model_server: str, tmp_path: Path
) -> None:
    done = pull("pull", "yolox-nano", "--url", f"{model_server}/yolox_nano.onnx", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = Path(done.stdout.strip())
    assert saved == tmp_path / "metrica" / "models" / "yolox_nano.onnx"
    assert (
        hashlib.sha256(saved.read_bytes()).hexdigest()
        == hashlib.sha256(YOLOX_NANO.read_bytes()).hexdigest()
    )
    assert "sha256 verified" in done.stderr
    listing = pull("list", cache=tmp_path)
    assert f"yolox-nano\t{saved}" in listing.stdout


def test_pull_of_tampered_bytes_fails_and_leaves_nothing(model_server: str, tmp_path: Path) -> None:
    done = pull("pull", "yolox-nano", "--url", f"{model_server}/tampered.onnx", cache=tmp_path)
    assert done.returncode == 2
    assert "sha256" in done.stderr
    assert "Traceback" not in done.stderr
    models = tmp_path / "metrica" / "models"
    assert not models.exists() or not any(models.iterdir())


def quantize(*args: str, model_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "METRICA_MODEL_DIR": str(model_dir)}
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "models", "quantize", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_quantize_writes_an_int8_model_that_the_name_lookup_finds(tmp_path: Path) -> None:
    clip = str(video("town_centre_short.mp4"))
    done = quantize(
        "--calibration", clip, "--frames", "2", "--input-size", "320", model_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    made = tmp_path / "yolox_nano_int8.onnx"
    assert Path(done.stdout.strip()) == made
    assert "calibrating on 2 frames at 320 px" in done.stderr
    assert made.read_bytes()[:1] == b"\x08"  # an ONNX file
    env = {**os.environ, "METRICA_MODEL_DIR": str(tmp_path)}
    listing = subprocess.run(
        [sys.executable, "-m", "metrica.cli", "models", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    assert f"yolox-nano-int8\t{made}" in listing.stdout
    again = quantize("--calibration", clip, "--frames", "2", model_dir=tmp_path)
    assert again.returncode == 2
    assert "exists (pass --force" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration", "/nonexistent/clip.mp4"], "calibration clip not found"),
        (["no-such-model"], "no model found for 'no-such-model'"),
        (["--frames", "0"], "--frames 0: must be at least 1"),
        (["--input-size", "100"], "--input-size 100: must be a positive multiple of 32"),
    ],
)
def test_quantize_bad_input_is_one_clear_line(
    args: list[str], message: str, tmp_path: Path
) -> None:
    done = quantize(*args, model_dir=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_quantize_into_an_unwritable_place_fails_before_calibrating(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = quantize("--out", str(blocker / "x.onnx"), model_dir=tmp_path)
    assert done.returncode == 2
    assert f"cannot write {blocker / 'x.onnx'}" in done.stderr
    assert "calibrating" not in done.stderr
    assert "Traceback" not in done.stderr
