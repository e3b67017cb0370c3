"""`metrica models pull` as a user runs it, against a local HTTP server (no internet here)."""

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.data import YOLOX_NANO
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
