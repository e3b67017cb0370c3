"""Where detector weights come from: resolve a model on disk, or pull a known one.

Model files are too big for the repo and an edge box may be offline, so resolution is
local only (`--model PATH`, then `METRICA_MODEL_DIR`, then the user cache) and a miss is
an error that says how to get the file. Downloads are explicit (`metrica models pull`),
checked against a pinned sha256 and renamed into place atomically, so a half-written or
tampered file is never picked up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

DEFAULT_MODEL = "yolox-nano"
MAX_DOWNLOAD_BYTES = 1 << 30  # a wrong URL that streams forever must not fill the disk
CHUNK_BYTES = 1 << 16
ONNX_FIRST_BYTE = 0x08  # ModelProto field 1 (ir_version, varint): every exporter writes it first

Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes if the server said)."""


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
    """Directories searched for a model named without a path, in order."""
    dirs = [Path(d) for d in [os.environ.get("METRICA_MODEL_DIR", "")] if d]
    return [*dirs, cache_dir()]


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(spec: ModelSpec, url: str | None = None) -> str:
    """`url`, else `METRICA_MODEL_URL`, else the official one; a URL not ending in `.onnx`
    is a mirror base that the file name is appended to."""
    chosen = url or os.environ.get("METRICA_MODEL_URL") or spec.url
    return chosen if chosen.endswith(".onnx") else f"{chosen.rstrip('/')}/{spec.file_name}"


def pull_model(
    name: str,
    *,
    dest_dir: Path | None = None,
    url: str | None = None,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Download a registry model into `dest_dir` (default `cache_dir()`), verify, rename."""
    spec = MODELS.get(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    dest_dir = dest_dir or cache_dir()
    target = dest_dir / spec.file_name
    if target.is_file() and sha256_of(target) == spec.sha256:
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    source = download_url(spec, url)
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{spec.file_name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _stream(source, out, name, progress, timeout_s, max_bytes)
            out.flush()
            os.fsync(out.fileno())
        if actual != spec.sha256:
            raise ModelError(
                f"checksum mismatch for {name} from {source}: "
                f"expected sha256 {spec.sha256}, got {actual}"
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def _stream(
    source: str,
    out: BinaryIO,
    name: str,
    progress: Progress | None,
    timeout_s: float,
    max_bytes: int,
) -> str:
    """Write the body of GET `source` to `out`; return its sha256."""
    digest = hashlib.sha256()
    done = 0
    try:
        with httpx.stream("GET", source, follow_redirects=True, timeout=timeout_s) as response:
            if response.status_code != 200:
                raise ModelError(
                    f"cannot download {name} from {source}: HTTP {response.status_code}"
                )
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            for chunk in response.iter_bytes(CHUNK_BYTES):
                done += len(chunk)
                if done > max_bytes:
                    raise ModelError(
                        f"cannot download {name} from {source}: over {max_bytes} bytes"
                    )
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, total)
    except httpx.HTTPError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot download {name} from {source}: {detail}") from None
    return digest.hexdigest()
