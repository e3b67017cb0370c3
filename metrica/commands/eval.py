"""`metrica eval`: score the counter (and the supervision baseline) on every truth clip."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from metrica.commands.common import CliError, Subparsers, fail
from metrica.commands.detector_options import add_detector_options, build_detector
from metrica.evaluation.report import build_report, print_table
from metrica.evaluation.run import BASELINE, OURS, evaluate_all
from metrica.evaluation.truth import data_dir, load_truth, truth_files
from metrica.vision.pipeline import PipelineConfig


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
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
    try:
        report = evaluate_command(args)
    except CliError as exc:
        return fail("eval", str(exc))
    if args.json:
        print(json.dumps(report))
    return 0


def evaluate_command(args: argparse.Namespace) -> dict[str, Any]:
    """Run the evaluation the options describe; prints the table, returns the report."""
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
