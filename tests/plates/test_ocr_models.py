"""OCR model files: the wheel's are verified, missing or changed files are clear errors."""

from pathlib import Path

import pytest

from metrica.plates.ocr import load_ocr_engine
from metrica.plates.ocr_models import (
    WHEEL_MODEL_SHA256,
    OcrModelError,
    OcrModelFiles,
    default_model_files,
    sha256_of,
    verify_model_files,
)


def test_the_wheel_ships_the_pinned_models() -> None:
    files = default_model_files()
    verify_model_files(files)
    assert {files.detector.name, files.recogniser.name} == set(WHEEL_MODEL_SHA256)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    files = OcrModelFiles(tmp_path / "det.onnx", tmp_path / "rec.onnx")
    with pytest.raises(OcrModelError, match=r"not found: .*det\.onnx"):
        verify_model_files(files)
    with pytest.raises(OcrModelError, match="not found"):
        load_ocr_engine(files)


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    det, rec = tmp_path / "det.onnx", tmp_path / "rec.onnx"
    det.write_bytes(b"not the model")
    rec.write_bytes(b"nor this")
    files = OcrModelFiles(det, rec, sha256={"det.onnx": "0" * 64})
    with pytest.raises(OcrModelError, match=f"has sha256 {sha256_of(det)}, expected 0{{64}}"):
        verify_model_files(files)


def test_user_files_that_are_not_models_fail_to_load(tmp_path: Path) -> None:
    det, rec = tmp_path / "det.onnx", tmp_path / "rec.onnx"
    det.write_bytes(b"junk")
    rec.write_bytes(b"junk")
    with pytest.raises(OcrModelError, match="cannot load OCR"):
        load_ocr_engine(OcrModelFiles(det, rec))
