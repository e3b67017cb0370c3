"""The evaluation's figures as a table for people and a JSON-ready report for machines."""

from __future__ import annotations

from typing import Any, TextIO

from metrica.evaluation.run import ClipEvaluation
from metrica.evaluation.scoring import EMPTY_SCORE, Score


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


def print_table(
    results: list[ClipEvaluation], systems: list[str], file: TextIO, pooled_label: str = "POOLED"
) -> None:
    """Per line, per clip and pooled rows of each system (the last under `pooled_label`)."""
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
        _row(pooled_label, "all", system, pooled, file)


def _row(clip: str, line: str, system: str, s: Score, file: TextIO) -> None:
    print(
        f"{clip:<28}{line:<6}{system:<10}{s.true_in:>6}/{s.true_out:<5}{s.pred_in:>6}/{s.pred_out:<5}"
        f"{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.count_accuracy:>11.2f}",
        file=file,
    )
