"""The `metrica` command: one entry point; each subcommand's module loads only when run.

An edge box runs without the server's dependencies and the server without OpenCV, and
`metrica worker` does not pay for importing the web stack (or the other way round).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True, slots=True)
class Command:
    """Where a subcommand lives, the optional extra its imports need, and its one-line help."""

    module: str
    extra: str
    help: str


COMMANDS: dict[str, Command] = {
    "count": Command(
        "metrica.commands.count", "edge", "count people crossing lines in a video file or stream"
    ),
    "worker": Command(
        "metrica.commands.worker",
        "edge",
        "run the edge worker: count a camera and ship events to the backend",
    ),
    "edge": Command(
        "metrica.commands.edge",
        "edge",
        "run this machine as a fleet box: `edge enroll` once, then `edge run`",
    ),
    "eval": Command(
        "metrica.commands.eval", "edge", "score counting against hand-checked ground truth"
    ),
    "models": Command(
        "metrica.commands.models", "edge", "download, list and quantize detector models"
    ),
    "fleet": Command(
        "metrica.commands.fleet", "server", "fleet maintenance: rotate the camera-secret keys"
    ),
    "mqtt": Command(
        "metrica.commands.mqtt",
        "server",
        "MQTT for fleet boxes: Mosquitto's ACL and password file, the consumer",
    ),
    "policy": Command(
        "metrica.commands.policy", "edge", "check a privacy policy file and explain its rules"
    ),
    "plates": Command(
        "metrica.commands.plates",
        "plates",
        "read licence plates in photos, or one per vehicle in a video",
    ),
    "serve": Command(
        "metrica.commands.serve", "server", "run the backend (migrates the database first)"
    ),
    "demo": Command(
        "metrica.commands.demo", "server", "seed demo users, a store and weeks of history"
    ),
    "retention": Command(
        "metrica.commands.retention", "server", "remove data past its retention (chunked)"
    ),
    "backup": Command(
        "metrica.commands.backup",
        "server",
        "back up, restore and verify the database (pg_dump / SQLite backup API)",
    ),
    "smoke": Command(
        "metrica.commands.smoke",
        "server",
        "post-deploy smoke test of a running backend (sign-in, provision, events, live)",
    ),
    "plates-worker": Command(
        "metrica.commands.plates_worker",
        "server",
        "run plate jobs (uploads to read) from the Redis queue",
    ),
    "up": Command(
        "metrica.commands.up",
        "server",
        "run the whole product here: web app, backend, demo data and a live worker",
    ),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `chosen`'s module is imported (the others are listed by name)."""
    parser = argparse.ArgumentParser(
        prog="metrica",
        description="Anonymous people counting from existing CCTV.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        if name == chosen:
            _load(command).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=command.help, add_help=False)
    return parser


def _load(command: Command) -> ModuleType:
    try:
        return importlib.import_module(command.module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("metrica"):
            raise
        print(
            f"metrica: this command needs the '{command.extra}' extra "
            f"(pip install 'metrica[{command.extra}]'): missing {exc.name}",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
