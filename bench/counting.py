"""Counting accuracy on every truth clip: Metrica beside the supervision baseline.

    uv run python bench/counting.py [--quick] [--model PATH] [--cache-dir DIR]
                                    [--input-size PX] [--detect-fps FPS]

Prints the per-line table, then as its LAST line one JSON object with the pooled F1 and
count accuracy of both systems on the shared truth, each clip's F1, and per failure
class the figures of our own truth files (bench/truth/, kept out of the pooled figures so
they stay comparable). `--quick` scores two short clips.
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
    if args.quick:
        truths = [t for t in truths if t.name in QUICK_CLIPS]
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
    kinds = {t.name: t.kind for t in truths}
    shared = [r for r in results if not kinds[r.name]]
    print_table(results, [OURS, BASELINE], file=sys.stdout)
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
            total = sum((r.total(system) for r in results if kinds[r.name] == kind), EMPTY_SCORE)
            figures[f"{system}_class_{kind}_f1"] = round(total.f1, 4)
            figures[f"{system}_class_{kind}_count_accuracy"] = round(total.count_accuracy, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
