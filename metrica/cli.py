"""The `metrica` command: one entry point, subcommands registered by each part.

Parts are imported lazily so an edge box runs without the server's dependencies and
the server runs without OpenCV.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules exposing `add_parser(subparsers)`, with the extra that their imports need.
# Each parser sets `func(args) -> int` as its handler.
COMMAND_MODULES: dict[str, str] = {
    "metrica.vision.commands": "edge",
    "metrica.server.commands": "server",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metrica",
        description="Anonymous people counting from existing CCTV.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name, extra in COMMAND_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("metrica"):
                continue  # that part is not built into this install
            print(
                f"metrica: {module_name} needs the '{extra}' extra "
                f"(pip install 'metrica[{extra}]'): missing {exc.name}",
                file=sys.stderr,
            )
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
