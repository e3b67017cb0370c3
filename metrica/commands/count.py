"""`metrica count`: count people crossing lines in a video file or stream."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from metrica.commands.common import (
    CliError,
    Subparsers,
    fail,
    parse_lines,
)
from metrica.commands.detector_options import add_detector_options, build_detector
from metrica.commands.pipeline_options import add_pipeline_options, pipeline_config
from metrica.domain.geometry import CountingLine
from metrica.vision.annotate import AnnotateError, VideoAnnotator
from metrica.vision.counting_run import (
    FrameSink,
    RunStats,
    run_counting,
    tracking_fps,
    wait_for_stream,
)
from metrica.vision.detector import Detector
from metrica.vision.pipeline import CountingPipeline, FrameResult
from metrica.vision.sources import Frame, FrameSource, SourceError, open_source, redact_uri


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "count",
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
    parser.add_argument("--stride", type=int, default=1, help="detect every n-th frame")
    add_pipeline_options(parser)
    parser.add_argument(
        "--max-frames",
        type=int,
        metavar="N",
        help="stop after N frames (a live stream otherwise runs until Ctrl-C)",
    )
    parser.add_argument("--events", type=Path, help="write crossings as JSON lines here")
    parser.add_argument("--annotate", type=Path, help="write an annotated video here (.mp4)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=run_count)


def run_count(args: argparse.Namespace) -> int:
    try:
        return _count(args)
    except CliError as exc:
        return fail("count", str(exc))


def _count(args: argparse.Namespace) -> int:
    lines = parse_lines(args.line)
    if args.stride < 1:
        raise CliError(f"--stride {args.stride}: must be at least 1")
    if args.max_frames is not None and args.max_frames < 1:
        raise CliError(f"--max-frames {args.max_frames}: must be at least 1")
    _setup_logging(quiet=args.quiet)
    stop = threading.Event()
    try:  # before the detector: a wrong path is reported at once, not after loading it
        source = open_source(args.source, stop=stop)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with source:
            detector, _ = build_detector(args)
            # A live source knows its frame rate and size only once it delivered a frame.
            streaming = wait_for_stream(source, stop)
            if streaming:
                stats = _run(args, source, lines, detector, stop)
            else:  # stopped before the camera ever answered
                stats = RunStats(counts={line.line_id: (0, 0) for line in lines})
    finally:
        signal.signal(signal.SIGINT, previous)
    if not args.quiet:
        print(f"\r{_progress_line(stats)}", file=sys.stderr)
    summary = {
        "source": redact_uri(args.source),
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


def _run(
    args: argparse.Namespace,
    source: FrameSource,
    lines: list[CountingLine],
    detector: Detector,
    stop: threading.Event,
) -> RunStats:
    """Count on a source that is ready, writing the events file and annotated video."""
    config = pipeline_config(args)
    size = (source.width, source.height)
    fps = tracking_fps(source)
    pipeline = CountingPipeline(lines, frame_size=size, fps=fps, detector=detector, config=config)
    sinks: list[FrameSink] = []
    events_file: TextIO | None = None
    annotator: VideoAnnotator | None = None

    def report(stats: RunStats) -> None:
        if not args.quiet:
            print(f"\r{_progress_line(stats)}", end="", file=sys.stderr, flush=True)

    try:
        if args.events:
            try:
                events_file = args.events.open("w", encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot write events file {args.events}: {exc.strerror}") from None
            sinks.append(_events_sink(events_file))
        if args.annotate:
            try:
                annotator = VideoAnnotator(args.annotate, fps=fps, width=size[0], height=size[1])
            except AnnotateError as exc:
                raise CliError(str(exc)) from None
            sinks.append(_annotate_sink(annotator, lines, pipeline))
        return run_counting(
            source, pipeline, sinks=sinks, stride=args.stride, stop=stop,
            max_frames=args.max_frames, progress=report,
        )  # fmt: skip
    finally:
        if events_file is not None:
            events_file.close()
        if annotator is not None:
            annotator.close()


def _setup_logging(*, quiet: bool) -> None:
    """What the source says about a live stream (waiting, reconnected) goes to stderr;
    with --quiet only warnings."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="metrica count: %(message)s",
        stream=sys.stderr,
    )


def _progress_line(stats: RunStats) -> str:
    counts = "  ".join(f"{lid} in {i} out {o}" for lid, (i, o) in stats.counts.items())
    return f"frame {stats.frames}  {stats.fps:.1f} fps  {counts}"


def _events_sink(out: TextIO) -> FrameSink:
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


def _annotate_sink(
    annotator: VideoAnnotator, lines: list[CountingLine], pipeline: CountingPipeline
) -> FrameSink:
    def draw(frame: Frame, result: FrameResult) -> None:
        if result.final:
            return  # no new frame to draw
        image = annotator.draw(
            frame.image,
            boxes_xyxy=result.tracks.xyxy,
            track_ids=result.tracks.track_id,
            lines=lines,
            counts=pipeline.totals(),
        )
        annotator.write(image)

    return draw
