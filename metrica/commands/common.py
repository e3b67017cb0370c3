"""What every command shares: the one-line error and `--line` parsing. Light on imports."""

from __future__ import annotations

import argparse
import sys
from typing import TypeAlias

from metrica.domain.geometry import CountingLine, LineSpecError, parse_line

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What `add_parser(subparsers)` of each command module receives."""


class CliError(Exception):
    """A problem to report as one line, with exit code 2."""


def fail(command: str, message: str) -> int:
    """Print `metrica COMMAND: error: MESSAGE` on stderr; the exit code for bad input."""
    print(f"metrica {command}: error: {message}", file=sys.stderr)
    return 2


def parse_lines(specs: list[str]) -> list[CountingLine]:
    """`--line` values as counting lines; malformed or repeated ids are a `CliError`."""
    try:
        lines = [parse_line(spec) for spec in specs]
    except LineSpecError as exc:
        raise CliError(str(exc)) from None
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise CliError(f"--line ids must be unique, got {', '.join(ids)}")
    return lines
