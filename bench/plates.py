"""Plate reading accuracy and speed on the shared openalpr photos, and the gain of voting
over a track's frames.

    uv run python bench/plates.py [--quick] [--extra DIR ...]

Reading: the top plate of each photo against its truth file: exact, folded (O=0, I=1),
within one edit; box recall (the top plate's box has IoU ≥ 0.3 with the truth box, or
its centre lies inside it); ms per image (median, p95; model load excluded), per
region, and the median CPU time per image (all threads; steadier than wall time on a
shared machine).
`--extra DIR` scores more labelled folders (e.g. a held-out openalpr/benchmarks part).

Voting: each photo becomes a clip of degraded views (metrica.plates.synthetic: zoom,
drift, blur, noise, JPEG; seed = photo index); the voted text is compared with the first
frame's read and with the single most confident frame's read.

The LAST line is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from metrica.plates.loading import load_reader
from metrica.plates.processor import read_image
from metrica.plates.reader import PlateReader
from metrica.plates.synthetic import degraded_views
from metrica.plates.templates import fit_templates
from metrica.plates.truth import PlateTruth, box_found, load_truth_dir, score_text
from metrica.plates.voting import Vote, vote
from metrica.vision.shared_data import data_dir


def rates(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = max(len(rows), 1)
    times = sorted(r["ms"] for r in rows) or [0.0]
    cpu = sorted(r["cpu_ms"] for r in rows) or [0.0]
    return {
        "images": len(rows),
        "exact_rate": round(sum(r["exact"] for r in rows) / n, 3),
        "folded_rate": round(sum(r["folded"] for r in rows) / n, 3),
        "edit1_rate": round(sum(r["edit1"] for r in rows) / n, 3),
        "box_recall": round(sum(r["box"] for r in rows) / n, 3),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def read_photos(reader: PlateReader, truths: list[PlateTruth], show: bool) -> list[dict[str, Any]]:
    rows = []
    for truth in truths:
        image = read_image(truth.image)
        started, cpu_started = time.perf_counter(), time.process_time()
        plates = reader.read(image)
        ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        got = plates[0].text if plates else ""
        score = score_text(got, truth.text)
        found = bool(plates) and box_found(plates[0].box, truth.box)
        rows.append(
            {
                "exact": score.exact,
                "folded": score.folded,
                "edit1": score.edit1,
                "box": found,
                "ms": ms,
                "cpu_ms": cpu_ms,
            }
        )
        if show and not score.exact:
            print(f"  {truth.image.name:44} truth {truth.text:9} read {got or '-':9} {ms:6.0f} ms")
    return rows


def voting(reader: PlateReader, truths: list[PlateTruth], frames: int) -> dict[str, float]:
    """Exact and folded rates of first frame, best single frame and voted text."""
    hits = {name: [0, 0] for name in ("first", "best", "voted")}
    for seed, truth in enumerate(truths):
        photo = read_image(truth.image)
        reads = [reader.read(view) for view in degraded_views(photo, frames, seed=seed)]
        tops = [r[0] for r in reads if r]
        first = reads[0][0].text if reads[0] else ""
        best = max(tops, key=lambda p: p.score).text if tops else ""
        voted = ""
        if tops:
            probs, _ = vote([Vote(p.probs, p.score) for p in tops])
            voted = fit_templates(probs, reader.templates).text
        for name, text in (("first", first), ("best", best), ("voted", voted)):
            score = score_text(text, truth.text)
            hits[name][0] += score.exact
            hits[name][1] += score.folded
    n = max(len(truths), 1)
    out: dict[str, float] = {"voting_clips": len(truths), "voting_frames": frames}
    for name, (exact, folded) in hits.items():
        out[f"voting_{name}_exact"] = round(exact / n, 3)
        out[f"voting_{name}_folded"] = round(folded / n, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every 3rd photo, fewer clips")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="more truth dirs")
    parser.add_argument("--no-voting", action="store_true", help="skip the voting experiment")
    parser.add_argument("--voting-only", action="store_true", help="only the voting experiment")
    parser.add_argument("--show", action="store_true", help="print each wrong read")
    args = parser.parse_args()
    anpr = data_dir() / "anpr"
    regions = {"us": anpr / "openalpr_us", "eu": anpr / "openalpr_eu"}
    regions |= {f"extra:{d.name}": d for d in args.extra}
    reader = load_reader()
    reader.read(read_image(load_truth_dir(regions["eu"])[0].image))  # warm up
    all_rows: list[dict[str, Any]] = []
    shared_rows: list[dict[str, Any]] = []
    per_region: dict[str, dict[str, float]] = {}
    print(f"{'region':14} {'images':>6} {'exact':>6} {'folded':>6} {'edit1':>6} {'box':>6} "
          f"{'med ms':>7} {'p95 ms':>7} {'cpu ms':>7}")  # fmt: skip
    for name, folder in regions.items():
        if args.voting_only:
            break
        truths = load_truth_dir(folder)[:: 3 if args.quick else 1]
        rows = read_photos(reader, truths, args.show)
        per_region[name] = figures = rates(rows)
        all_rows += rows
        if not name.startswith("extra:"):
            shared_rows += rows
        print(f"{name:14} {figures['images']:6} {figures['exact_rate']:6.1%} "
              f"{figures['folded_rate']:6.1%} {figures['edit1_rate']:6.1%} "
              f"{figures['box_recall']:6.1%} {figures['median_ms']:7.0f} {figures['p95_ms']:7.0f} "
              f"{figures['cpu_median_ms']:7.0f}",
              flush=True)  # fmt: skip
    result: dict[str, Any] = rates(shared_rows)
    result["per_region"] = per_region
    if not args.no_voting:
        clips = [t for folder in (regions["us"], regions["eu"]) for t in load_truth_dir(folder)]
        clips = clips[:: 6 if args.quick else 2]
        result |= voting(reader, clips, 6 if args.quick else 8)
        print(f"voting over {result['voting_clips']} clips of {result['voting_frames']} frames: "
              f"first {result['voting_first_exact']:.1%}, best frame "
              f"{result['voting_best_exact']:.1%}, voted {result['voting_voted_exact']:.1%} "
              "exact")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
