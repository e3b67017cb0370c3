"""Counting accuracy on every truth clip: Metrica beside the supervision baseline.

    uv run python bench/counting.py [--quick] [--model PATH] [--cache-dir DIR]

Prints the per-line table, then as its LAST line one JSON object with the pooled F1 and
count accuracy of both systems and each clip's F1. `--quick` scores two short clips.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from metrica.evaluation.report import build_report, print_table
from metrica.evaluation.run import BASELINE, OURS, evaluate_all
from metrica.evaluation.truth import data_dir, load_truth, truth_files
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.pipeline import PipelineConfig

QUICK_CLIPS = {"overhead_plaza", "pets09_s2l1_campus"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two short clips only")
    parser.add_argument("--model", type=Path, default=data_dir() / "models" / "yolox_nano.onnx")
    parser.add_argument("--cache-dir", type=Path, help="reuse detections saved here")
    args = parser.parse_args()
    truths = [load_truth(p) for p in truth_files()]
    if args.quick:
        truths = [t for t in truths if t.name in QUICK_CLIPS]
    detector_config = OnnxDetector(args.model).config
    results, wall_s = evaluate_all(
        truths,
        args.model,
        DetectorConfig(threads=detector_config.threads),
        PipelineConfig(),
        cache_dir=args.cache_dir,
        progress=lambda name, i, n: print(f"\r{name} {i}/{n}", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    print_table(results, [OURS, BASELINE], file=sys.stdout)
    report = build_report(results, [OURS, BASELINE], wall_s)
    figures: dict[str, float | int] = {"clips": len(results), "wall_s": report["wall_s"]}
    for system in (OURS, BASELINE):
        pooled = report[system]["pooled"]
        figures[f"{system}_f1"] = pooled["f1"]
        figures[f"{system}_count_accuracy"] = pooled["count_accuracy"]
        figures[f"{system}_true"] = pooled["true_in"] + pooled["true_out"]
        figures[f"{system}_predicted"] = pooled["pred_in"] + pooled["pred_out"]
        for clip, score in report[system]["clips"].items():
            figures[f"{system}_{clip}_f1"] = score["f1"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
