"""`metrica count`, `metrica eval` and `metrica models`: the edge side of the CLI."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from metrica.domain.geometry import CountingLine, LineSpecError, parse_line
from metrica.vision.detector import AUTO_INPUT_SIZE, DetectorConfig, DetectorError, OnnxDetector
from metrica.vision.pipeline import CountingPipeline, FrameResult, PipelineConfig
from metrica.vision.sources import Frame, SourceError, open_source

DEFAULT_MODEL = "yolox-nano"


class CliError(Exception):
    """A problem to report as one line, with exit code 2."""


def add_parser(subparsers: Any) -> None:
    _add_count(subparsers)
    from metrica.vision import eval_command, model_commands, worker_command

    eval_command.add_parser(subparsers)
    model_commands.add_parser(subparsers)
    worker_command.add_parser(subparsers)


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs the detector."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="ONNX model: a file path, or a name looked up in $METRICA_MODEL_DIR and the "
        f"user cache (default: {DEFAULT_MODEL}; get it with `metrica models pull`)",
    )
    parser.add_argument(
        "--score",
        type=float,
        default=DetectorConfig.score_threshold,
        help="minimum detection score (default %(default)s)",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        default=None,
        metavar="PIXELS",
        help=f"long side of the model input, a multiple of 32 (default: {AUTO_INPUT_SIZE} "
        "when the model accepts any size, else its exported size); larger finds smaller "
        "people and costs more CPU",
    )
    parser.add_argument(
        "--classes",
        default="0",
        help="comma-separated COCO class ids to detect (default 0 = person)",
    )
    parser.add_argument("--threads", type=int, default=None, help="inference threads")


def _add_count(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "count",
        help="count people crossing lines in a video file or stream",
        description="Detect, track and count people crossing counting lines. Lines are "
        "ID=x1,y1,x2,y2 in normalised image coordinates (0..1, y down); 'in' is crossing "
        "from the left-hand side of P1->P2 to its right-hand side, so L1=0,0.5,1,0.5 "
        "counts moving down the image as 'in'.",
    )
    parser.add_argument("source", help="video file, rtsp:// or http:// URL, or webcam index")
    parser.add_argument(
        "--line",
        action="append",
        required=True,
        metavar="ID=x1,y1,x2,y2",
        help="a counting segment (repeatable)",
    )
    add_detector_options(parser)
    parser.add_argument(
        "--anchor",
        choices=["feet", "center"],
        default="feet",
        help="the point of a person that crosses: box bottom-centre (feet) or centre",
    )
    parser.add_argument("--stride", type=int, default=1, help="detect every n-th frame")
    parser.add_argument("--events", type=Path, help="write crossings as JSON lines here")
    parser.add_argument("--annotate", type=Path, help="write an annotated video here (.mp4)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=run_count)


def build_detector(args: argparse.Namespace) -> tuple[OnnxDetector, Path]:
    """Resolve the model and load it, turning every failure into a `CliError`."""
    from metrica.vision.model_store import ModelError, resolve_model

    try:
        model_path = resolve_model(args.model)
        classes = tuple(int(c) for c in str(args.classes).split(","))
    except ModelError as exc:
        raise CliError(str(exc)) from None
    except ValueError:
        raise CliError(f"--classes {args.classes!r}: expected comma-separated integers") from None
    if not 0.0 <= args.score <= 1.0:
        raise CliError(f"--score {args.score}: must be within 0..1")
    config = DetectorConfig(score_threshold=args.score, classes=classes, input_size=args.input_size)
    if args.threads:
        config = replace(config, threads=args.threads)
    try:
        return OnnxDetector(model_path, config), model_path
    except DetectorError as exc:
        raise CliError(str(exc)) from None


def parse_lines(specs: list[str]) -> list[CountingLine]:
    try:
        lines = [parse_line(spec) for spec in specs]
    except LineSpecError as exc:
        raise CliError(str(exc)) from None
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise CliError(f"--line ids must be unique, got {', '.join(ids)}")
    return lines


def run_count(args: argparse.Namespace) -> int:
    try:
        return _count(args)
    except CliError as exc:
        print(f"metrica count: error: {exc}", file=sys.stderr)
        return 2


def _count(args: argparse.Namespace) -> int:
    from metrica.vision.counting_run import RunStats, run_counting

    lines = parse_lines(args.line)
    if args.stride < 1:
        raise CliError(f"--stride {args.stride}: must be at least 1")
    detector, _ = build_detector(args)
    stop = threading.Event()
    try:
        source = open_source(args.source, stop=stop)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    config = PipelineConfig(anchor=args.anchor)
    size = (source.width, source.height)
    pipeline = CountingPipeline(
        lines, frame_size=size, fps=source.fps, detector=detector, config=config
    )
    sinks = []
    events_file: TextIO | None = None
    annotator = None
    if args.events:
        try:
            events_file = args.events.open("w", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write events file {args.events}: {exc.strerror}") from None
        sinks.append(_events_sink(events_file))
    if args.annotate:
        from metrica.vision.annotate import AnnotateError, VideoAnnotator

        try:
            annotator = VideoAnnotator(args.annotate, fps=source.fps, width=size[0], height=size[1])
        except AnnotateError as exc:
            raise CliError(str(exc)) from None
        sinks.append(_annotate_sink(annotator, lines, pipeline))

    def report(stats: RunStats) -> None:
        if not args.quiet:
            print(f"\r{_progress_line(stats)}", end="", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with source:
            stats = run_counting(
                source, pipeline, sinks=sinks, stride=args.stride, stop=stop, progress=report
            )
    finally:
        signal.signal(signal.SIGINT, previous)
        if events_file is not None:
            events_file.close()
        if annotator is not None:
            annotator.close()
    if not args.quiet:
        print(f"\r{_progress_line(stats)}", file=sys.stderr)
    summary = {
        "source": args.source,
        "frames": stats.frames,
        "seconds": round(stats.media_s, 3),
        "wall_s": round(stats.wall_s, 3),
        "fps": round(stats.fps, 2),
        "counts": {lid: {"in": i, "out": o} for lid, (i, o) in stats.counts.items()},
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{stats.frames} frames ({stats.media_s:.1f} s of video) at {stats.fps:.1f} fps")
        for line_id, (n_in, n_out) in stats.counts.items():
            print(f"  {line_id}: in {n_in}, out {n_out}")
    return 0


def _progress_line(stats: Any) -> str:
    counts = "  ".join(f"{lid} in {i} out {o}" for lid, (i, o) in stats.counts.items())
    return f"frame {stats.frames}  {stats.fps:.1f} fps  {counts}"


def _events_sink(out: TextIO) -> Any:
    def write(frame: Frame, result: FrameResult) -> None:
        for c in result.crossings:
            record = {
                "line_id": c.line_id,
                "direction": c.direction,
                "frame": c.frame,
                "t_s": round(c.t_s, 3),
                "track_id": c.track_id,
            }
            out.write(json.dumps(record) + "\n")
        if result.crossings:
            out.flush()

    return write


def _annotate_sink(annotator: Any, lines: list[CountingLine], pipeline: CountingPipeline) -> Any:
    line_tuples = [(ln.line_id, ln.x1, ln.y1, ln.x2, ln.y2) for ln in lines]

    def draw(frame: Frame, result: FrameResult) -> None:
        image = annotator.draw(
            frame.image,
            boxes_xyxy=result.tracks.xyxy,
            track_ids=result.tracks.track_id,
            lines=line_tuples,
            counts=pipeline.totals(),
        )
        annotator.write(image)

    return draw
