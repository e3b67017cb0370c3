"""Hand-labelled plate photos (the openalpr/benchmarks layout) and how reads are scored.

A truth file `X.txt` beside `X.jpg` holds tab- or space-separated lines
`X.jpg x y w h PLATETEXT`: the plate's box in pixels and its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metrica.plates.chars import fold

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class PlateTruth:
    image: Path
    box: Box
    text: str


def load_truth_dir(folder: Path) -> list[PlateTruth]:
    """Every labelled image in `folder`, sorted by name (unparseable files are skipped)."""
    found = []
    for txt in sorted(folder.glob("*.txt")):
        parts = txt.read_text(encoding="utf-8", errors="replace").split()
        if len(parts) < 6 or not all(p.lstrip("-").isdigit() for p in parts[1:5]):
            continue
        image = folder / parts[0]
        if image.is_file():
            x, y, w, h = (int(p) for p in parts[1:5])
            found.append(PlateTruth(image, (x, y, w, h), parts[5].upper()))
    return found


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def box_found(got: Box, truth: Box) -> bool:
    """IoU ≥ 0.3, or the read box's centre inside the truth box (the text of a plate is
    smaller than the plate, so IoU alone undercounts)."""
    gx, gy, gw, gh = got
    tx, ty, tw, th = truth
    ix = max(0, min(gx + gw, tx + tw) - max(gx, tx))
    iy = max(0, min(gy + gh, ty + th) - max(gy, ty))
    union = gw * gh + tw * th - ix * iy
    if union > 0 and ix * iy / union >= 0.3:
        return True
    cx, cy = gx + gw / 2, gy + gh / 2
    return tx <= cx <= tx + tw and ty <= cy <= ty + th


@dataclass(frozen=True, slots=True)
class Score:
    exact: bool
    folded: bool
    edit1: bool


def score_text(got: str, truth: str) -> Score:
    return Score(got == truth, fold(got) == fold(truth), edit_distance(got, truth) <= 1)
