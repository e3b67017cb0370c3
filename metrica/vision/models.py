"""Which detector weights to load: the known models and where a name is looked up.

Model files are too big for the repo and an edge box may be offline, so resolution is
local only (`--model PATH`, then `METRICA_MODEL_DIR`, then the user cache, then the
shared data folder's `models/`, where the README's checkout has them) and a miss is an
error that names every folder it looked in and says how to get the file. Downloading is
the edge's job (`metrica.edge.model_download`), never a side effect of loading.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from metrica.vision.shared_data import data_dir

DEFAULT_MODEL = "yolox-nano"
ONNX_FIRST_BYTE = 0x08  # ModelProto field 1 (ir_version, varint): every exporter writes it first


class ModelError(ValueError):
    """A model that cannot be found, downloaded, verified or read."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model we know how to fetch: its file name, official URL and pinned sha256."""

    name: str
    file_name: str
    url: str
    sha256: str


MODELS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="yolox-nano",
            file_name="yolox_nano.onnx",
            url="https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx",
            sha256="d39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a",
        ),
    )
}


def cache_dir() -> Path:
    """The per-user model cache: `$XDG_CACHE_HOME/metrica/models` or `~/.cache/metrica/models`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "metrica" / "models"


def search_dirs() -> list[Path]:
    """Directories searched for a model named without a path, in order: the operator's
    (`METRICA_MODEL_DIR`), what `metrica models pull` fetched (the cache), then the shared
    data folder's (`METRICA_DATA_DIR` or `../shared/data`, `models/`)."""
    dirs = [Path(d) for d in [os.environ.get("METRICA_MODEL_DIR", "")] if d]
    return [*dirs, cache_dir(), data_dir() / "models"]


def file_name_for(name: str) -> str:
    """`yolox-nano` -> `yolox_nano.onnx` (registry names first, then the same rule)."""
    spec = MODELS.get(name)
    return spec.file_name if spec else f"{name.replace('-', '_')}.onnx"


def _looks_like_path(model: str) -> bool:
    return model.endswith(".onnx") or "/" in model or os.sep in model


def resolve_model(model: str | None) -> Path:
    """A model file on disk: an explicit path, or a name found in `search_dirs()`."""
    model = model or DEFAULT_MODEL
    if _looks_like_path(model):
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelError(f"model not found: {path}")
        return path
    file_name = file_name_for(model)
    for directory in search_dirs():
        if (directory / file_name).is_file():
            return directory / file_name
    where = ", ".join(str(d) for d in search_dirs())
    how = f"run `metrica models pull {model}` or " if model in MODELS else ""
    raise ModelError(
        f"no model found for {model!r} ({file_name} in {where}): {how}pass --model PATH"
    )


def check_model_file(path: Path, *, load: bool = False) -> None:
    """Reject a file that is not an ONNX model, cheaply; `load=True` also opens it in
    ONNX Runtime (seconds, so only where a clear early error is worth it)."""
    try:
        with path.open("rb") as f:
            head = f.read(1)
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    if not head or head[0] != ONNX_FIRST_BYTE:
        raise ModelError(f"not an ONNX model: {path}")
    if load:
        import onnxruntime as ort  # lazy: heavy, and only the worker needs it

        try:
            ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own untyped errors
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise ModelError(f"cannot load model {path}: {first_line}") from None
