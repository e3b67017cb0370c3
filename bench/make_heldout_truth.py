"""Held-out line-crossing truth, derived exactly from MOT ground truth on other lines.

    uv run python bench/make_heldout_truth.py [--check]

For every shared MOT sequence whose `seqinfo.ini` maps its gt onto a local clip, writes
`bench/truth/heldout/<sequence>_grid.json` (the shared truth format) with the crossings
of a fixed grid of full-frame lines, computed by `metrica.evaluation.mot_truth` — no eye,
no model, nothing picked by how well a counter does. Lines of the shared truth on the
same clip are left out, so the held-out set shares no line with what the counter was
tuned on. `--check` writes nothing and exits 1 when a committed file differs from what
this script would write. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from metrica.domain.geometry import CountingLine
from metrica.evaluation.mot_truth import (
    ClipMapping,
    GtBox,
    GtCrossing,
    line_crossings,
    read_gt,
    read_mapping,
    sha256_of,
)
from metrica.evaluation.truth import data_dir, load_truth, truth_files

OUT_DIR = Path(__file__).with_name("truth") / "heldout"
CLASS = "heldout_grid"

# The rule, fixed before any scoring: full-frame vertical lines at these x (p1 at the top,
# p2 at the bottom: in = moving left) and full-frame horizontal lines at these y (p1 at
# the left, p2 at the right: in = moving down), normalised to the frame.
GRID_X = (0.2, 0.4, 0.7, 0.85)
GRID_Y = (0.3, 0.6, 0.75)


def grid_lines() -> list[CountingLine]:
    """The grid, named H1.. (top to bottom) then V1.. (left to right), sorted by id."""
    horizontal = [CountingLine(f"H{i}", 0.0, y, 1.0, y) for i, y in enumerate(GRID_Y, 1)]
    vertical = [CountingLine(f"V{i}", x, 0.0, x, 1.0) for i, x in enumerate(GRID_X, 1)]
    return horizontal + vertical


def _same_segment(a: CountingLine, b: CountingLine) -> bool:
    ends_a = {(a.x1, a.y1), (a.x2, a.y2)}
    return ends_a == {(b.x1, b.y1), (b.x2, b.y2)}


def shared_lines_on(clip: Path) -> list[CountingLine]:
    """Every line the shared truth draws on `clip` (the ones the counter was tuned on)."""
    lines: list[CountingLine] = []
    for path in truth_files():
        truth = load_truth(path)
        if truth.clip.resolve() == clip.resolve():
            lines += truth.lines
    return lines


def _direction_words(line: CountingLine) -> str:
    return "moving left" if line.x1 == line.x2 else "moving down"


def build(sequence: Path, mapping: ClipMapping) -> dict[str, Any]:
    """The truth document of one sequence."""
    gt_path = sequence / "gt" / "gt.txt"
    boxes = read_gt(gt_path)
    shared = shared_lines_on(mapping.clip)
    lines, dropped = [], []
    for line in grid_lines():
        if any(_same_segment(line, s) for s in shared):
            dropped.append(line.line_id)
        else:
            lines.append(line)
    crossings = line_crossings(boxes, lines, mapping)
    everyone = [GtBox(b.frame, b.track_id, b.left, b.top, b.width, b.height, True) for b in boxes]
    unseen = sorted(
        set(line_crossings(everyone, lines, mapping)) - set(crossings),
        key=lambda c: (c.line_id, c.frame),
    )
    rel_clip = mapping.clip.relative_to(data_dir().resolve()).as_posix()
    rel_gt = gt_path.resolve().relative_to(data_dir().resolve()).as_posix()
    notes = (
        f"Computed exactly by bench/make_heldout_truth.py (metrica/evaluation/mot_truth.py) "
        f"from the MOTChallenge ground truth {rel_gt} (sha256 {sha256_of(gt_path)}); no eye, "
        f"no model. Lines: a fixed grid chosen before any scoring, full-frame vertical lines "
        f"at x = {', '.join(map(str, GRID_X))} (p1 top, p2 bottom: in = moving left) and "
        f"horizontal lines at y = {', '.join(map(str, GRID_Y))} (p1 left, p2 right: in = "
        f"moving down); the shared truth's lines on this clip "
        f"({', '.join(s.line_id for s in shared) or 'none'}) are not part of the grid"
        f"{' (dropped: ' + ', '.join(dropped) + ')' if dropped else ''}. Feet = bottom-centre "
        f"of each considered == 1 gt box, scaled by {mapping.scale} onto the clip; gt frame N "
        f"= decoded frame N{mapping.frame_offset:+d}. A crossing is every sign change of the "
        f"feet against a line (cross(p2-p1, feet-p1) from - to + is in) whose crossing point "
        f"lies on the segment; frame = the first frame with the feet on the new side (the "
        f"same rule reproduces the shared pets09_s2l1_campus.json P1-P3 exactly). A track's "
        f"run through considered == 0 boxes (MOT leaves them out of its evaluation) is not "
        f"seen, so crossings there do not count: {len(unseen)} such"
        + (
            " ("
            + "; ".join(
                f"{c.line_id} frame {c.frame} {c.direction} track {c.gt_track}" for c in unseen
            )
            + ")"
            if unseen
            else ""
        )
        + ". Score with the shared rule: same line and direction within +-0.5 s."
    )
    document = {
        "clip": rel_clip,
        "fps": mapping.fps,
        "frames": mapping.frames,
        "width": mapping.width,
        "height": mapping.height,
        "anchor": "feet",
        "class": CLASS,
        "gt_sha256": sha256_of(gt_path),
        "lines": [
            {
                "id": line.line_id,
                "p1": [line.x1, line.y1],
                "p2": [line.x2, line.y2],
                "in": _direction_words(line),
            }
            for line in lines
        ],
        "crossings": [_crossing(c) for c in crossings],
        "notes": notes,
    }
    return document


def _crossing(c: GtCrossing) -> dict[str, Any]:
    return {"line": c.line_id, "frame": c.frame, "direction": c.direction, "gt_track": c.gt_track}


def render(document: dict[str, Any]) -> str:
    """The shared files' layout, one line and one crossing per row."""
    rows = [
        f' "{key}": {json.dumps(value)},'
        for key, value in document.items()
        if key not in ("lines", "crossings", "notes")
    ]
    lines = ",\n".join(f"  {json.dumps(line)}" for line in document["lines"])
    crossings = ",\n".join(f"  {json.dumps(c)}" for c in document["crossings"])
    return (
        "{\n" + "\n".join(rows) + "\n"
        f' "lines": [\n{lines}\n ],\n'
        f' "crossings": [\n{crossings}\n ],\n'
        f' "notes": {json.dumps(document["notes"])}\n' + "}\n"
    )


def output_name(sequence: Path) -> str:
    return sequence.name.lower().replace("-", "_") + "_grid.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    written, skipped, stale = [], [], []
    for sequence in sorted((data_dir() / "sequences").iterdir()):
        mapping = read_mapping(sequence / "seqinfo.ini")
        if mapping is None or not mapping.clip.is_file():
            print(f"{sequence.name}: skipped, no local clip its gt maps onto", file=sys.stderr)
            skipped.append(sequence.name)
            continue
        document = build(sequence, mapping)
        target = OUT_DIR / output_name(sequence)
        text = render(document)
        if args.check:
            if not target.is_file() or target.read_text() != text:
                stale.append(target.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        print(f"{target.name}: {len(document['crossings'])} crossings", file=sys.stderr)
        written.append(target.name)
    print(json.dumps({"files": written, "skipped": skipped, "stale": stale}))
    if stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
