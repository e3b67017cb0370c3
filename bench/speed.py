"""Throughput of the whole pipeline on one shared clip (overhead_plaza.mp4, 1280x720, by
default), side by side with the decode-only ceiling and the supervision baseline, for a
few configurations.

    uv run python bench/speed.py [--quick] [--clip NAME] [--model PATH] [--int8 PATH]

`--clip shop_door_cctv` times a camera that sees nobody near its lines most of the time,
where the motion gate (`no_gate` row: without it) saves most.

Every figure is frames of video per wall-clock second, decode included, and beside it
`*_cpu_ms`: this process's CPU time per frame (user + system, all threads), which a
shared box disturbs far less than wall time. `--int8 PATH` adds rows for that model
(`metrica models quantize`) at the default and 1-thread settings, so fp32 and int8 are
compared in one run. The LAST line is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from metrica.evaluation.baseline import SupervisionBaseline
from metrica.evaluation.run import frame_size_of
from metrica.evaluation.truth import data_dir, load_truth
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.pipeline import CountingPipeline, PipelineConfig
from metrica.vision.sources import Frame, open_source

CLIP = "overhead_plaza"


def measure(clip: Path, handle: Callable[[Frame], None], max_frames: int) -> tuple[float, float]:
    """Frames per second of decode + `handle` over the first `max_frames` frames, and the
    process CPU milliseconds per frame it took."""
    started, cpu_started = time.perf_counter(), time.process_time()
    frames = 0
    with open_source(str(clip)) as source:
        for frame in source.frames():
            handle(frame)
            frames += 1
            if frames >= max_frames:
                break
    cpu_ms = (time.process_time() - cpu_started) * 1000 / frames
    return frames / (time.perf_counter() - started), cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="first 100 frames only")
    parser.add_argument("--model", type=Path, default=data_dir() / "models" / "yolox_nano.onnx")
    parser.add_argument("--int8", type=Path, help="also time this int8 model (default settings)")
    parser.add_argument(
        "--clip", default=CLIP, help=f"a shared truth clip's name (default: {CLIP})"
    )
    args = parser.parse_args()
    truth_path = data_dir() / "truth" / f"{args.clip}.json"
    if not truth_path.is_file():
        parser.error(f"--clip {args.clip}: no truth file {truth_path}")
    truth = load_truth(truth_path)
    max_frames = 100 if args.quick else truth.frames
    size = frame_size_of(truth.clip)
    figures: dict[str, float] = {}
    figures["decode_fps"], figures["decode_cpu_ms"] = measure(
        truth.clip, lambda f: None, max_frames
    )

    # The baseline as the issue defines it: the same detector as Metrica's default (so the
    # same boxes as in bench/counting.py) + supervision ByteTrack + LineZone. Also timed
    # with the stock model input (416x416), the cheaper detector it would have on its own.
    for name, detector_config in (
        ("baseline", DetectorConfig()),
        ("baseline_stock416", DetectorConfig(rect=False, input_size=416)),
    ):
        detector = OnnxDetector(args.model, detector_config)
        baseline = SupervisionBaseline(truth.lines, frame_size=size, fps=truth.fps)

        def run_baseline(
            frame: Frame, b: SupervisionBaseline = baseline, d: OnnxDetector = detector
        ) -> None:
            b.process_detections(frame.index, d.detect(frame.image))

        figures[f"{name}_fps"], figures[f"{name}_cpu_ms"] = measure(
            truth.clip, run_baseline, max_frames
        )
    default, no_gate = PipelineConfig(), PipelineConfig(motion_gate=None)
    configs: list[tuple[str, dict[str, Any], int, PipelineConfig]] = [
        ("default", {}, 1, default),  # 640 on the long side, 16:9 letterbox
        ("no_gate", {}, 1, no_gate),  # every frame detected (`--no-motion-gate`)
        ("threads1", {"threads": 1}, 1, default),
        ("stride2", {}, 2, default),
        ("input512", {"input_size": 512}, 1, default),
        ("input416", {"input_size": 416}, 1, default),
        ("input416_square", {"input_size": 416, "rect": False}, 1, default),
    ]
    models = {name: args.model for name, _, _, _ in configs}
    if args.int8:
        configs += [("int8", {}, 1, default), ("int8_threads1", {"threads": 1}, 1, default)]
        models |= {"int8": args.int8, "int8_threads1": args.int8}
    for name, detector_kwargs, stride, config in configs:
        detector = OnnxDetector(models[name], DetectorConfig(**detector_kwargs))
        pipeline = CountingPipeline(
            truth.lines, frame_size=size, fps=truth.fps, detector=detector, config=config
        )

        def handle(frame: Frame, p: CountingPipeline = pipeline, s: int = stride) -> None:
            if frame.index % s == 0:
                p.process(frame.index, frame.t_s, frame.image)

        figures[f"metrica_{name}_fps"], figures[f"metrica_{name}_cpu_ms"] = measure(
            truth.clip, handle, max_frames
        )
    for key, value in figures.items():
        print(f"{key:>24}: {value:7.1f}")
    extra = {"clip": args.clip, "frames": max_frames}
    print(json.dumps({k: round(v, 1) for k, v in figures.items()} | extra))


if __name__ == "__main__":
    main()
