"""`metrica models pull|list`: get detector weights onto an edge box."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrica.commands.common import Subparsers, fail
from metrica.edge.model_download import pull_model
from metrica.vision.models import MODELS, ModelError, resolve_model


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
    return 0
