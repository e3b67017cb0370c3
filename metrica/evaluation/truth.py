"""Loading line-crossing ground truth (the format of `shared/data/truth/README.md`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from metrica.domain.geometry import CountingLine
from metrica.evaluation.scoring import FrameCrossing
from metrica.vision.shared_data import data_dir

__all__ = ["TruthFile", "data_dir", "load_truth", "truth_files"]


@dataclass(frozen=True)
class TruthFile:
    """One clip's hand-checked crossings and the lines they refer to."""

    name: str
    clip: Path
    fps: float
    frames: int
    lines: list[CountingLine]
    crossings: list[FrameCrossing]
    kind: str = ""  # the failure class a file stands for (its optional "class" field)


def load_truth(path: Path, base_dir: Path | None = None) -> TruthFile:
    """Read a truth JSON; the clip path is resolved against the data folder."""
    raw = json.loads(path.read_text())
    base = base_dir or path.resolve().parent.parent
    lines = [
        CountingLine(line["id"], *line["p1"], *line["p2"])  # p1 → p2, IN = left → right
        for line in raw["lines"]
    ]
    crossings = [
        FrameCrossing(c["line"], c["direction"], int(c["frame"])) for c in raw["crossings"]
    ]
    return TruthFile(
        name=path.stem,
        clip=base / raw["clip"],
        fps=float(raw["fps"]),
        frames=int(raw["frames"]),
        lines=lines,
        crossings=crossings,
        kind=str(raw.get("class", "")),
    )


def truth_files(folder: Path | None = None) -> list[Path]:
    """All truth files in the shared truth folder, sorted by name."""
    return sorted((folder or data_dir() / "truth").glob("*.json"))
