"""`--model`, `--score`, `--input-size`, `--classes`, `--threads`, `--provider`: one detector,
every command."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

import onnxruntime as ort

from metrica.commands.common import CliError
from metrica.vision.detector import AUTO_INPUT_SIZE, DetectorConfig, DetectorError, OnnxDetector
from metrica.vision.models import DEFAULT_MODEL, ModelError, resolve_model
from metrica.vision.providers import (
    DEFAULT_PROVIDER,
    PROVIDER_CHAINS,
    ProviderError,
    provider_chain,
    provider_options,
)


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs the detector."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="ONNX model: a file path, or a name looked up in $METRICA_MODEL_DIR, the user "
        "cache, then the shared data folder's models/ ($METRICA_DATA_DIR or ../shared/data) "
        f"(default: {DEFAULT_MODEL}; get it with `metrica models pull`)",
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
    parser.add_argument(
        "--provider",
        default=os.environ.get("METRICA_PROVIDER", DEFAULT_PROVIDER),
        help=f"where the detector runs: {', '.join(PROVIDER_CHAINS)} (default: "
        f"$METRICA_PROVIDER or {DEFAULT_PROVIDER}); a GPU needs the onnxruntime-gpu build "
        "installed in place of onnxruntime",
    )


def build_detector(args: argparse.Namespace) -> tuple[OnnxDetector, Path]:
    """Resolve the model and load it, turning every failure into a `CliError`."""
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
        chain = provider_chain(args.provider, ort.get_available_providers())
    except ProviderError as exc:
        raise CliError(f"--provider: {exc}") from None
    try:
        return OnnxDetector(model_path, config, provider_options(chain)), model_path
    except DetectorError as exc:
        raise CliError(str(exc)) from None
