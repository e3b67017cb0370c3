"""What every command shares: the one-line error and `--line` parsing. Light on imports."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TypeAlias

from metrica.domain.geometry import CountingLine, LineSpecError, parse_line

if TYPE_CHECKING:  # the server stack loads only for the commands that run it
    from metrica.server.settings import Settings

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


def server_settings(db_url: str | None) -> Settings:
    """The backend's settings, with `--db-url` winning over METRICA_DATABASE_URL."""
    from metrica.server.settings import Settings

    return Settings(database_url=db_url) if db_url else Settings()
