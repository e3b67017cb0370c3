"""`metrica eval`: score the counter (and the supervision baseline) on every truth clip."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from metrica.vision.evaluate import BASELINE, OURS, ClipEvaluation
from metrica.vision.scoring import EMPTY_SCORE, Score


def add_parser(subparsers: Any) -> None:
    from metrica.vision.commands import add_detector_options

    parser = subparsers.add_parser(
        "eval",
        help="score counting against hand-checked ground truth",
        description="Runs the counter on every clip of the truth folder and prints, per "
        "line, true/predicted IN and OUT, precision, recall and F1 of crossing events "
        "(one-to-one within the tolerance) and count accuracy, then totals per clip and "
        "pooled; the supervision ByteTrack + LineZone baseline is scored side by side.",
    )
    add_detector_options(parser)
    parser.add_argument("--truth", type=Path, help="truth folder (default: shared data)")
    parser.add_argument("--cache-dir", type=Path, help="reuse detections saved here")
    parser.add_argument("--no-baseline", action="store_true", help="score only Metrica")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from metrica.vision.commands import CliError, build_detector

    try:
        report = evaluate_command(args, build_detector)
    except CliError as exc:
        print(f"metrica eval: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    return 0


def evaluate_command(args: argparse.Namespace, build_detector: Any) -> dict[str, Any]:
    """Run the evaluation the options describe; prints the table, returns the report."""
    from metrica.vision.commands import CliError
    from metrica.vision.evaluate import evaluate_all
    from metrica.vision.pipeline import PipelineConfig
    from metrica.vision.truth import data_dir, load_truth, truth_files

    folder = args.truth or data_dir() / "truth"
    paths = truth_files(folder)
    if not paths:
        raise CliError(f"no truth files (*.json) in {folder}")
    truths = [load_truth(p) for p in paths]
    missing = [str(t.clip) for t in truths if not t.clip.exists()]
    if missing:
        raise CliError(f"clip not found: {missing[0]}")
    detector, model_path = build_detector(args)

    def progress(name: str, index: int, total: int) -> None:
        print(f"\rdetecting {name}: frame {index}/{total}", end="", file=sys.stderr, flush=True)

    results, wall_s = evaluate_all(
        truths,
        model_path,
        detector.config,
        PipelineConfig(),
        cache_dir=args.cache_dir,
        with_baseline=not args.no_baseline,
        progress=progress,
    )
    print("\r", end="", file=sys.stderr)
    systems = [OURS] if args.no_baseline else [OURS, BASELINE]
    print_table(results, systems, file=sys.stderr if args.json else sys.stdout)
    return build_report(results, systems, wall_s)


def build_report(
    results: list[ClipEvaluation], systems: list[str], wall_s: float
) -> dict[str, Any]:
    """Pooled and per-clip figures of each system, as plain JSON-ready data."""
    report: dict[str, Any] = {"wall_s": round(wall_s, 1)}
    for system in systems:
        pooled = sum((r.total(system) for r in results), EMPTY_SCORE)
        report[system] = {
            "pooled": pooled.as_dict(),
            "clips": {r.name: r.total(system).as_dict() for r in results},
        }
    return report


def print_table(results: list[ClipEvaluation], systems: list[str], file: Any) -> None:
    header = f"{'clip':<28}{'line':<6}{'system':<10}{'true in/out':>12}{'pred in/out':>12}"
    header += f"{'P':>7}{'R':>7}{'F1':>7}{'count acc':>11}"
    print(header, file=file)
    for result in results:
        for line_id in result.lines[systems[0]]:
            for system in systems:
                _row(result.name, line_id, system, result.lines[system][line_id], file)
        for system in systems:
            _row(result.name, "all", system, result.total(system), file)
        print(file=file)
    for system in systems:
        pooled = sum((r.total(system) for r in results), EMPTY_SCORE)
        _row("POOLED", "all", system, pooled, file)


def _row(clip: str, line: str, system: str, s: Score, file: Any) -> None:
    print(
        f"{clip:<28}{line:<6}{system:<10}{s.true_in:>6}/{s.true_out:<5}{s.pred_in:>6}/{s.pred_out:<5}"
        f"{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.count_accuracy:>11.2f}",
        file=file,
    )
