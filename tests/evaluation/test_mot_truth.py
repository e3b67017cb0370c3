"""Truth derived from MOT ground truth: the derivation reproduces the shared PETS09 truth
exactly, and the committed held-out file is what the script writes today."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from metrica.domain.geometry import CountingLine
from metrica.evaluation.mot_truth import (
    ClipMapping,
    GtBox,
    line_crossings,
    read_gt,
    read_mapping,
)
from metrica.evaluation.truth import data_dir, load_truth

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "bench" / "truth" / "heldout" / "pets09_s2l1_grid.json"


def _pets09() -> tuple[Path, ClipMapping]:
    sequence = data_dir() / "sequences" / "PETS09-S2L1"
    mapping = read_mapping(sequence / "seqinfo.ini")
    assert mapping is not None
    return sequence, mapping


def test_derivation_reproduces_the_shared_pets09_truth_exactly() -> None:
    sequence, mapping = _pets09()
    shared = json.loads((data_dir() / "truth" / "pets09_s2l1_campus.json").read_text())
    lines = [CountingLine(raw["id"], *raw["p1"], *raw["p2"]) for raw in shared["lines"]]
    derived = line_crossings(read_gt(sequence / "gt" / "gt.txt"), lines, mapping)
    assert len(shared["crossings"]) == 75
    assert [
        {"line": c.line_id, "frame": c.frame, "direction": c.direction, "gt_track": c.gt_track}
        for c in derived
    ] == shared["crossings"]


def _mapping() -> ClipMapping:
    return ClipMapping(Path("clip.avi"), 100, 100, 10.0, 20, scale=0.5, frame_offset=-1)


def _walk(track: int, xs: list[float], considered: list[bool] | None = None) -> list[GtBox]:
    """A 20x40 box walking along x (gt pixels), feet at gt y = 100 (clip y = 50)."""
    flags = considered or [True] * len(xs)
    return [
        GtBox(frame, track, x - 10, 60, 20, 40, flag)
        for frame, (x, flag) in enumerate(zip(xs, flags, strict=True), start=1)
    ]


def test_each_sign_change_counts_at_the_first_frame_past_the_line() -> None:
    line = CountingLine("V", 0.5, 0.0, 0.5, 1.0)  # clip x = 50, gt x = 100; in = moving left
    boxes = _walk(7, [90, 96, 104, 110, 99, 98])
    crossings = line_crossings(boxes, [line], _mapping())
    # gt frame 3 (decoded 2) is the first past the line going right; gt frame 5 coming back.
    assert [(c.frame, c.direction, c.gt_track) for c in crossings] == [(2, "out", 7), (4, "in", 7)]


def test_crossing_outside_the_segment_or_in_unconsidered_boxes_does_not_count() -> None:
    short = CountingLine("S", 0.5, 0.0, 0.5, 0.4)  # ends above the feet (clip y = 50)
    assert line_crossings(_walk(1, [90, 110]), [short], _mapping()) == []
    line = CountingLine("V", 0.5, 0.0, 0.5, 1.0)
    hidden = _walk(1, [90, 96, 104, 110], considered=[True, False, False, True])
    assert line_crossings(hidden, [line], _mapping()) == []
    seen = _walk(1, [90, 96, 104, 110], considered=[True, True, True, False])
    assert [c.frame for c in line_crossings(seen, [line], _mapping())] == [2]


def test_committed_heldout_truth_is_what_the_script_writes_and_avoids_the_shared_lines() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_heldout_truth.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert report == {
        "files": ["pets09_s2l1_grid.json"],
        "skipped": ["TUD-Stadtmitte"],
        "stale": [],
    }
    heldout = load_truth(HELDOUT, data_dir())
    shared = load_truth(data_dir() / "truth" / "pets09_s2l1_campus.json")
    assert heldout.kind == "heldout_grid"
    assert heldout.clip == shared.clip
    assert not {line.line_id for line in heldout.lines} & {line.line_id for line in shared.lines}
    assert not {(ln.x1, ln.y1, ln.x2, ln.y2) for ln in heldout.lines} & {
        (ln.x1, ln.y1, ln.x2, ln.y2) for ln in shared.lines
    }
    assert len(heldout.crossings) == 144
