"""Model resolution and download against real files and a real local HTTP server."""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.vision.models import (
    MODELS,
    ModelError,
    cache_dir,
    check_model_file,
    pull_model,
    resolve_model,
)
from tests.vision.local_http import serve

DATA_DIR = Path(
    os.environ.get(
        "METRICA_DATA_DIR", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    )
)
MODELS_DIR = DATA_DIR / "models"
YOLOX = MODELS_DIR / "yolox_nano.onnx"


@pytest.fixture
def yolox() -> Path:
    if not YOLOX.is_file():
        pytest.skip(f"shared data missing: {YOLOX} (set METRICA_DATA_DIR)")
    return YOLOX


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may see the developer's own model dirs or mirror."""
    monkeypatch.delenv("METRICA_MODEL_DIR", raising=False)
    monkeypatch.delenv("METRICA_MODEL_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def good_server(yolox: Path) -> Iterator[str]:
    yield from serve(MODELS_DIR)


@pytest.fixture
def bad_server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "yolox_nano.onnx").write_bytes(b"\x08\x07" + b"not the model" * 1000)
    yield from serve(served)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_pins_the_shared_file(yolox: Path) -> None:
    assert _sha256(yolox) == MODELS["yolox-nano"].sha256


def test_pull_verifies_and_places_the_file(good_server: str, tmp_path: Path, yolox: Path) -> None:
    dest = tmp_path / "models"
    seen: list[tuple[int, int | None]] = []
    path = pull_model(
        "yolox-nano",
        dest_dir=dest,
        url=f"{good_server}/yolox_nano.onnx",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert path == dest / "yolox_nano.onnx"
    assert path.read_bytes() == yolox.read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == ["yolox_nano.onnx"]
    size = yolox.stat().st_size
    assert seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_pull_uses_the_env_mirror_base_and_default_cache(
    good_server: str, monkeypatch: pytest.MonkeyPatch, yolox: Path
) -> None:
    monkeypatch.setenv("METRICA_MODEL_URL", good_server + "/")
    path = pull_model("yolox-nano")
    assert path == cache_dir() / "yolox_nano.onnx"
    assert _sha256(path) == MODELS["yolox-nano"].sha256
    assert resolve_model("yolox-nano") == path


def test_pull_skips_a_verified_existing_file(tmp_path: Path, yolox: Path) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "yolox_nano.onnx").write_bytes(yolox.read_bytes())
    # The URL is unreachable: only a skipped download can succeed.
    assert pull_model("yolox-nano", dest_dir=dest, url="http://127.0.0.1:1/yolox_nano.onnx")


def test_pull_rejects_wrong_bytes_and_leaves_nothing(bad_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    with pytest.raises(ModelError, match="checksum mismatch") as info:
        pull_model("yolox-nano", dest_dir=dest, url=bad_server)
    message = str(info.value)
    assert MODELS["yolox-nano"].sha256 in message
    assert _sha256(tmp_path / "served" / "yolox_nano.onnx") in message
    assert list(dest.iterdir()) == []


def test_pull_reports_http_errors(good_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    with pytest.raises(ModelError, match=r"HTTP 404$"):
        pull_model("yolox-nano", dest_dir=dest, url=f"{good_server}/missing/yolox_nano.onnx")
    assert list(dest.iterdir()) == []


def test_pull_reports_network_errors_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelError, match="cannot download yolox-nano") as info:
        pull_model("yolox-nano", dest_dir=tmp_path, url=f"http://127.0.0.1:{port}")
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_pull_bounds_the_download(good_server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="over 1000 bytes"):
        pull_model("yolox-nano", dest_dir=tmp_path, url=good_server, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


def test_pull_unknown_name() -> None:
    with pytest.raises(ModelError, match="unknown model 'yolo-mega'; known: yolox-nano"):
        pull_model("yolo-mega")


def test_explicit_path_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, yolox: Path) -> None:
    monkeypatch.setenv("METRICA_MODEL_DIR", str(MODELS_DIR))
    explicit = tmp_path / "mine.onnx"
    explicit.write_bytes(yolox.read_bytes())
    assert resolve_model(str(explicit)) == explicit


def test_explicit_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.onnx"
    with pytest.raises(ModelError, match=f"^model not found: {re.escape(str(missing))}$"):
        resolve_model(str(missing))


def test_model_dir_comes_before_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model_dir = tmp_path / "site"
    for directory in (model_dir, cache_dir()):
        directory.mkdir(parents=True)
        (directory / "yolox_nano.onnx").write_bytes(b"\x08")
    monkeypatch.setenv("METRICA_MODEL_DIR", str(model_dir))
    assert resolve_model("yolox-nano") == model_dir / "yolox_nano.onnx"
    assert resolve_model(None) == model_dir / "yolox_nano.onnx"
    (model_dir / "yolox_nano.onnx").unlink()
    assert resolve_model("yolox-nano") == cache_dir() / "yolox_nano.onnx"


def test_cache_falls_back_to_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "metrica" / "models"


def test_missing_model_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("METRICA_MODEL_DIR", str(tmp_path / "empty"))
    with pytest.raises(ModelError) as info:
        resolve_model("yolox-nano")
    message = str(info.value)
    assert message.startswith("no model found")
    assert "run `metrica models pull yolox-nano` or pass --model PATH" in message
    assert str(tmp_path / "empty") in message


def test_check_model_file_accepts_onnx(yolox: Path) -> None:
    check_model_file(yolox)
    check_model_file(yolox, load=True)


def test_check_model_file_rejects_other_files(tmp_path: Path) -> None:
    text = tmp_path / "readme.onnx"
    text.write_text("hello")
    with pytest.raises(ModelError, match=r"^not an ONNX model: "):
        check_model_file(text)
    with pytest.raises(ModelError, match=r"^cannot read model "):
        check_model_file(tmp_path / "absent.onnx")
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ModelError, match=r"^cannot load model ") as info:
        check_model_file(fake, load=True)
    assert "\n" not in str(info.value)
