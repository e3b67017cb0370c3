"""`pull_model` against a real local HTTP server: the file is verified against its pinned
SHA-256 and placed atomically; wrong bytes, HTTP and network errors leave nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.edge.model_download import pull_model
from metrica.vision.models import MODELS, ModelError, cache_dir, resolve_model
from tests.support.data import MODELS_DIR, YOLOX_NANO
from tests.support.local_http import serve
from tests.support.processes import free_port

pytestmark = pytest.mark.usefixtures("no_model_env")


@pytest.fixture
def good_server() -> Iterator[str]:
    yield from serve(MODELS_DIR)


@pytest.fixture
def bad_server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "yolox_nano.onnx").write_bytes(b"\x08\x07" + b"not the model" * 1000)
    yield from serve(served)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pull_verifies_and_places_the_file(good_server: str, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    seen: list[tuple[int, int | None]] = []
    path = pull_model(
        "yolox-nano",
        dest_dir=dest,
        url=f"{good_server}/yolox_nano.onnx",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert path == dest / "yolox_nano.onnx"
    assert path.read_bytes() == YOLOX_NANO.read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == ["yolox_nano.onnx"]
    size = YOLOX_NANO.stat().st_size
    assert seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_pull_uses_the_env_mirror_base_and_default_cache(
    good_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICA_MODEL_URL", good_server + "/")
    path = pull_model("yolox-nano")
    assert path == cache_dir() / "yolox_nano.onnx"
    assert _sha256(path) == MODELS["yolox-nano"].sha256
    assert resolve_model("yolox-nano") == path


def test_pull_skips_a_verified_existing_file(tmp_path: Path) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "yolox_nano.onnx").write_bytes(YOLOX_NANO.read_bytes())
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
    port = free_port()
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
