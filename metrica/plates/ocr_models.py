"""Which OCR weights to load, verified before use so that no download path is ever taken.

The default engine is the PP-OCRv6 text detector and recogniser that the `rapidocr` wheel
ships inside itself (Apache-2.0). We always pass rapidocr explicit file paths (it would
otherwise download what it misses) and check each file's sha256 against a pinned table:
a changed wheel is a clear error at start, not a silent different model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class OcrModelError(ValueError):
    """OCR model files that are missing, unreadable or not the ones we pinned."""


# sha256 of the files in the rapidocr 3.10.0 wheel's `rapidocr/models/` folder.
WHEEL_MODEL_SHA256: Mapping[str, str] = {
    "PP-OCRv6_det_small.onnx": "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    "PP-OCRv6_rec_small.onnx": "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
}


@dataclass(frozen=True, slots=True)
class OcrModelFiles:
    """A PaddleOCR-format pair: a DB text detector and a CTC recogniser, as ONNX files.

    `sha256` maps a file's name to its expected digest; files not in it are not checked
    (a model a user trained and supplies). `keys` is the recogniser's character list, one
    per line, for models that do not carry it in their ONNX metadata.
    """

    detector: Path
    recogniser: Path
    keys: Path | None = None
    sha256: Mapping[str, str] | None = None


def wheel_models_dir() -> Path:
    """The model folder inside the installed rapidocr package."""
    try:
        import rapidocr
    except ModuleNotFoundError:
        raise OcrModelError(
            "the plate reader needs the 'plates' extra (pip install 'metrica[plates]')"
        ) from None
    return Path(rapidocr.__file__).resolve().parent / "models"


def default_model_files() -> OcrModelFiles:
    """The PP-OCRv6 pair shipped in the rapidocr wheel, with its pinned hashes."""
    folder = wheel_models_dir()
    return OcrModelFiles(
        detector=folder / "PP-OCRv6_det_small.onnx",
        recogniser=folder / "PP-OCRv6_rec_small.onnx",
        sha256=WHEEL_MODEL_SHA256,
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model_files(files: OcrModelFiles) -> None:
    """Raise `OcrModelError` naming the first file that is missing or has another hash."""
    paths = [files.detector, files.recogniser, *([files.keys] if files.keys else [])]
    for path in paths:
        if not path.is_file():
            raise OcrModelError(f"OCR model file not found: {path}")
    for path in paths:
        expected = (files.sha256 or {}).get(path.name)
        if expected is None:
            continue
        try:
            actual = sha256_of(path)
        except OSError as exc:
            raise OcrModelError(f"cannot read OCR model {path}: {exc.strerror or exc}") from None
        if actual != expected:
            raise OcrModelError(
                f"OCR model {path} has sha256 {actual}, expected {expected}: "
                "reinstall the 'plates' extra or pass the files you mean to use"
            )
