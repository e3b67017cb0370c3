"""`metrica models pull`: bring known detector weights onto an edge box, verified.

Downloads are explicit, checked against the registry's pinned sha256 and renamed into
place atomically, so a half-written or tampered file is never picked up by
`metrica.vision.models.resolve_model`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import httpx

from metrica.vision.models import MODELS, ModelError, ModelSpec, cache_dir

MAX_DOWNLOAD_BYTES = 1 << 30  # a wrong URL that streams forever must not fill the disk
CHUNK_BYTES = 1 << 16

Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes if the server said)."""


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
