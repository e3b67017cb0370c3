"""Counting accuracy on every truth clip: Metrica beside the supervision baseline.

    uv run python bench/counting.py [--quick] [--model PATH] [--cache-dir DIR]
                                    [--input-size PX] [--detect-fps FPS]

Prints the per-line table, then as its LAST line one JSON object with the pooled F1 and
count accuracy of both systems on the shared truth, each clip's F1, per failure class the
figures of our own truth files (bench/truth/), and the held-out set (bench/truth/heldout/:
other lines on the shared clips, derived from MOT ground truth by
bench/make_heldout_truth.py, never tuned on) pooled as `heldout_f1` /
`heldout_count_accuracy` (Metrica) and `baseline_heldout_*`. Both are kept out of the
shared pooled figures so those stay comparable. `--quick` scores two short clips (and the
held-out lines on them, which reuse their detections).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from metrica.evaluation.report import build_report, print_table
from metrica.evaluation.run import BASELINE, OURS, evaluate_all
from metrica.evaluation.scoring import EMPTY_SCORE
from metrica.evaluation.truth import data_dir, load_truth, truth_files
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.pipeline import PipelineConfig

QUICK_CLIPS = {"overhead_plaza", "pets09_s2l1_campus"}
OWN_TRUTH = Path(__file__).with_name("truth")
HELDOUT_TRUTH = OWN_TRUTH / "heldout"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two short clips only")
    parser.add_argument("--model", type=Path, default=data_dir() / "models" / "yolox_nano.onnx")
    parser.add_argument("--cache-dir", type=Path, help="reuse detections saved here")
    parser.add_argument("--input-size", type=int, help="detector long side (default: auto)")
    parser.add_argument("--detect-fps", type=float, help="detect at most this many frames/s")
    args = parser.parse_args()
    truths = [load_truth(p) for p in truth_files()]
    truths += [load_truth(p, data_dir()) for p in truth_files(OWN_TRUTH)]
    heldout = [load_truth(p, data_dir()) for p in truth_files(HELDOUT_TRUTH)]
    if args.quick:
        truths = [t for t in truths if t.name in QUICK_CLIPS]
        quick_clips = {t.clip.resolve() for t in truths}
        heldout = [t for t in heldout if t.clip.resolve() in quick_clips]
    heldout_names = {t.name for t in heldout}
    truths += heldout
    detector_config = OnnxDetector(args.model).config
    results, wall_s = evaluate_all(
        truths,
        args.model,
        DetectorConfig(threads=detector_config.threads, input_size=args.input_size),
        PipelineConfig(),
        cache_dir=args.cache_dir,
        max_fps=args.detect_fps,
        progress=lambda name, i, n: print(f"\r{name} {i}/{n}", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    kinds = {t.name: t.kind for t in truths if t.name not in heldout_names}
    held = [r for r in results if r.name in heldout_names]
    shared = [r for r in results if r.name in kinds and not kinds[r.name]]
    own = [r for r in results if kinds.get(r.name)]
    for block, label in ((shared, "POOLED"), (own, "OWN TRUTH"), (held, "HELD-OUT")):
        if block:
            print_table(block, [OURS, BASELINE], file=sys.stdout, pooled_label=label)
            print(file=sys.stdout)
    report = build_report(shared, [OURS, BASELINE], wall_s)
    figures: dict[str, float | int] = {"clips": len(results), "wall_s": report["wall_s"]}
    for system in (OURS, BASELINE):
        pooled = report[system]["pooled"]
        figures[f"{system}_f1"] = pooled["f1"]
        figures[f"{system}_count_accuracy"] = pooled["count_accuracy"]
        figures[f"{system}_true"] = pooled["true_in"] + pooled["true_out"]
        figures[f"{system}_predicted"] = pooled["pred_in"] + pooled["pred_out"]
        for clip, score in report[system]["clips"].items():
            figures[f"{system}_{clip}_f1"] = score["f1"]
        for kind in sorted({k for k in kinds.values() if k}):
            total = sum((r.total(system) for r in own if kinds[r.name] == kind), EMPTY_SCORE)
            figures[f"{system}_class_{kind}_f1"] = round(total.f1, 4)
            figures[f"{system}_class_{kind}_count_accuracy"] = round(total.count_accuracy, 4)
        if held:
            held_total = sum((r.total(system) for r in held), EMPTY_SCORE)
            prefix = "" if system == OURS else f"{system}_"
            figures[f"{prefix}heldout_f1"] = round(held_total.f1, 4)
            figures[f"{prefix}heldout_count_accuracy"] = round(held_total.count_accuracy, 4)
    if held:
        figures["heldout_true"] = sum(len(t.crossings) for t in heldout)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
