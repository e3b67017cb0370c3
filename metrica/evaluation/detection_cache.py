"""Detections of a whole clip saved to disk, so tracker and counter tuning re-runs fast."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np

from metrica.vision.detections import Detections


def cache_key(model_path: Path, clip: Path, settings: str) -> str:
    """A name that changes when the model, the clip or the detector settings change."""
    digest = hashlib.sha256()
    for path in (model_path, clip):
        digest.update(f"{path.name}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    digest.update(settings.encode())
    return f"{clip.stem}-{digest.hexdigest()[:16]}.npz"


def save(path: Path, per_frame: list[Detections]) -> None:
    """Write all frames' detections to one compressed file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = np.array([len(d) for d in per_frame], np.int64)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        counts=counts,
        xyxy=np.concatenate([d.xyxy for d in per_frame]) if per_frame else np.zeros((0, 4)),
        confidence=np.concatenate([d.confidence for d in per_frame]) if per_frame else [],
        class_id=np.concatenate([d.class_id for d in per_frame]) if per_frame else [],
    )
    tmp.replace(path)


def load(path: Path) -> list[Detections]:
    """Read what `save` wrote."""
    data = np.load(path)
    bounds = np.concatenate([[0], np.cumsum(data["counts"])])
    return [
        Detections(
            data["xyxy"][a:b].astype(np.float32),
            data["confidence"][a:b].astype(np.float32),
            data["class_id"][a:b].astype(np.int64),
        )
        for a, b in itertools.pairwise(bounds)
    ]
