"""`--anchor`, `--no-motion-gate`: the counting pipeline's settings that `count` and `worker`
share."""

from __future__ import annotations

import argparse

from metrica.vision.motion import MotionGateConfig
from metrica.vision.pipeline import PipelineConfig


def add_pipeline_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--anchor",
        choices=["feet", "center"],
        default="feet",
        help="the point of a person that crosses: box bottom-centre (feet) or centre",
    )
    parser.add_argument(
        "--no-motion-gate",
        dest="motion_gate",
        action="store_false",
        help="run the detector on every frame the pacing allows; by default a frame in "
        "which nothing moved near a line since the last detection skips it (the tracker "
        "coasts; at least one detection a second)",
    )


def pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    """The pipeline settings the command line asks for."""
    gate = MotionGateConfig() if args.motion_gate else None
    return PipelineConfig(anchor=args.anchor, motion_gate=gate)
