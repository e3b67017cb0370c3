"""`metrica models pull|list|quantize`: get detector weights onto an edge box, or make an
int8 copy of local fp32 weights."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrica.commands.common import Subparsers, fail
from metrica.edge.model_download import pull_model
from metrica.vision.models import (
    DEFAULT_MODEL,
    MODELS,
    ModelError,
    file_name_for,
    resolve_model,
    search_dirs,
)

# What `quantize` writes for a source name, so `--model yolox-nano-int8` finds it.
INT8_SUFFIX = "-int8"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "models",
        description="Models are looked up by --model PATH, then $METRICA_MODEL_DIR, then the "
        "user cache (~/.cache/metrica/models), then the shared data folder's models/ "
        "($METRICA_DATA_DIR or ../shared/data beside the repository).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    pull = actions.add_parser("pull", help="download a model and verify its sha256")
    pull.add_argument("name", choices=sorted(MODELS), help="model name")
    pull.add_argument("--dest", type=Path, help="folder to save into (default: user cache)")
    pull.add_argument("--url", help="download from this URL instead (mirror, air-gapped)")
    pull.set_defaults(func=run_pull)
    listing = actions.add_parser("list", help="known models and where they are")
    listing.set_defaults(func=run_list)
    quantize = actions.add_parser(
        "quantize",
        help="make an int8 copy of a local fp32 YOLOX model (nothing is downloaded)",
        description="Int8 static quantisation (ONNX Runtime, QDQ, per-channel weights) of a "
        "local fp32 YOLOX model, calibrated on frames of local clips. The result is written "
        "where `--model NAME-int8` finds it: $METRICA_MODEL_DIR if set, else the user cache. "
        "Measured here (docs/int8.md): ~10 % less detector CPU per frame, pooled F1 "
        "0.947 -> 0.910; not recommended for counting.",
    )
    quantize.add_argument(
        "source",
        nargs="?",
        default=DEFAULT_MODEL,
        help=f"fp32 model, a name or a path (default {DEFAULT_MODEL})",
    )
    quantize.add_argument(
        "--out", type=Path, help="file to write (default: MODEL_DIR/<source>_int8.onnx)"
    )
    quantize.add_argument(
        "--calibration",
        type=Path,
        nargs="+",
        metavar="VIDEO",
        help="clips to calibrate on (default: the shared data's town_centre clips, which "
        "no pooled accuracy figure scores)",
    )
    quantize.add_argument(
        "--frames", type=int, default=40, help="calibration frames, spread evenly (default 40)"
    )
    quantize.add_argument(
        "--input-size",
        type=int,
        default=640,
        metavar="PIXELS",
        help="long side to calibrate at: the size the worker will run (default 640)",
    )
    quantize.add_argument("--force", action="store_true", help="overwrite an existing file")
    quantize.set_defaults(func=run_quantize)


def run_pull(args: argparse.Namespace) -> int:
    def progress(done: int, total: int | None) -> None:
        size = f"/{total / 1e6:.1f}" if total else ""
        print(f"\r{args.name}: {done / 1e6:.1f}{size} MB", end="", file=sys.stderr, flush=True)

    try:
        path = pull_model(args.name, dest_dir=args.dest, url=args.url, progress=progress)
    except ModelError as exc:
        print(file=sys.stderr)  # end the progress line
        return fail("models", str(exc))
    print(f"\n{args.name}: sha256 verified, saved to {path}", file=sys.stderr)
    print(path)
    return 0


def run_list(args: argparse.Namespace) -> int:
    for name in sorted(MODELS):
        try:
            where = str(resolve_model(name))
        except ModelError:
            where = "not downloaded (metrica models pull " + name + ")"
        print(f"{name}\t{where}")
        int8 = name + INT8_SUFFIX
        try:
            print(f"{int8}\t{resolve_model(int8)}")
        except ModelError:
            print(f"{int8}\tnot made (metrica models quantize {name})")
    return 0


def default_int8_path(source_name: str) -> Path:
    """Where `quantize` writes by default: the first search folder, a name lookup finds."""
    stem = source_name if source_name in MODELS else Path(source_name).stem.replace("_", "-")
    return search_dirs()[0] / file_name_for(stem + INT8_SUFFIX)


def run_quantize(args: argparse.Namespace) -> int:
    # Lazy: onnxruntime.quantization and OpenCV load only for this action.
    from metrica.vision.calibration_frames import calibration_frames, default_calibration_clips
    from metrica.vision.quantize import QuantizeConfig, QuantizeError, quantize_yolox

    try:
        source = resolve_model(args.source)
    except ModelError as exc:
        return fail("models", str(exc))
    output: Path = args.out or default_int8_path(args.source)
    if output.resolve() == source.resolve():
        return fail("models", f"--out {output} is the source model")
    if output.exists() and not args.force:
        return fail("models", f"{output} exists (pass --force to replace it)")
    clips = args.calibration or default_calibration_clips()
    if not clips:
        return fail("models", "no calibration clips here: pass --calibration VIDEO [VIDEO ...]")
    if args.frames < 1:
        return fail("models", f"--frames {args.frames}: must be at least 1")
    if args.input_size < 32 or args.input_size % 32:
        return fail("models", f"--input-size {args.input_size}: must be a positive multiple of 32")
    try:  # fail before a minute of calibration, not after
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return fail("models", f"cannot write {output}: {exc.strerror or exc}")

    def progress(message: str) -> None:
        print(f"quantize: {message}", file=sys.stderr, flush=True)

    progress(f"{source} -> {output}, calibrating on {', '.join(str(c) for c in clips)}")
    try:
        result = quantize_yolox(
            source,
            output,
            calibration_frames(clips, args.frames),
            QuantizeConfig(long_side=args.input_size),
            progress=progress,
        )
    except QuantizeError as exc:
        return fail("models", str(exc))
    except OSError as exc:  # the output folder unwritable, the disk full
        return fail("models", f"cannot write {output}: {exc.strerror or exc}")
    progress(
        f"done: {result.frames} frames, {result.float_nodes} nodes kept in float, "
        f"{result.path.stat().st_size / 1e6:.1f} MB"
    )
    print(result.path)
    return 0
