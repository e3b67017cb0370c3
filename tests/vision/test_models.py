"""Model lookup against real files: an explicit path, METRICA_MODEL_DIR, the cache, the
shared data folder, and a clear way forward when nothing is found; ONNX files are checked
before they are used. (Downloads: tests/edge/test_model_download.py.)"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from metrica.vision.models import (
    MODELS,
    ModelError,
    cache_dir,
    check_model_file,
    resolve_model,
    search_dirs,
)
from tests.support.data import MODELS_DIR, YOLOX_NANO

pytestmark = pytest.mark.usefixtures("no_model_env")


def test_registry_pins_the_shared_file() -> None:
    assert hashlib.sha256(YOLOX_NANO.read_bytes()).hexdigest() == MODELS["yolox-nano"].sha256


def test_explicit_path_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("METRICA_MODEL_DIR", str(MODELS_DIR))
    explicit = tmp_path / "mine.onnx"
    explicit.write_bytes(YOLOX_NANO.read_bytes())
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


def test_the_shared_data_folder_comes_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The README's checkout holds yolox_nano.onnx in ../shared/data/models (or
    # $METRICA_DATA_DIR/models): a name finds it when nothing earlier has one.
    data_models = tmp_path / "data" / "models"
    data_models.mkdir(parents=True)
    (data_models / "yolox_nano.onnx").write_bytes(b"\x08")
    assert resolve_model("yolox-nano") == data_models / "yolox_nano.onnx"
    cache_dir().mkdir(parents=True)
    (cache_dir() / "yolox_nano.onnx").write_bytes(b"\x08")
    assert resolve_model("yolox-nano") == cache_dir() / "yolox_nano.onnx"


def test_without_the_variable_the_data_folder_is_beside_the_repo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("METRICA_DATA_DIR")
    repo = Path(__file__).resolve().parents[2]
    assert search_dirs()[-1] == repo.parent / "shared" / "data" / "models"


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
    for looked_in in (tmp_path / "empty", cache_dir(), tmp_path / "data" / "models"):
        assert str(looked_in) in message  # every folder it looked in, named


def test_check_model_file_accepts_onnx() -> None:
    check_model_file(YOLOX_NANO)
    check_model_file(YOLOX_NANO, load=True)


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
