"""`metrica policy check FILE`: validate a privacy policy and say what each rule does."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from pydantic import ValidationError

from metrica.commands.common import Subparsers, fail
from metrica.domain.policies import Policy
from metrica.edge.cameras_file import line_of

DESCRIPTION = """\
Check a privacy policy file (YAML) and explain it rule by rule. A bad file is refused
with the line and the reason (exit 2). Format and semantics: docs/policies.md.
"""


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "policy", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    check = commands.add_parser("check", help="validate a policy file and explain it")
    check.add_argument("file", type=Path, help="the policy YAML file")
    check.set_defaults(func=run_check)


MAX_BYTES = 1_000_000


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message names the line."""


def load_policy(path: Path) -> Policy:
    """Parse and validate a policy file; errors point at the line."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PolicyFileError(f"{path}: over 1 MB; a policy is a few rules")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyFileError(f"{path}: not UTF-8 text") from None
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise PolicyFileError(f"{at}: not valid YAML: {problem}") from None
    try:
        return Policy.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if p != "__root__"]
        where = ".".join(str(p) for p in loc) or "file"
        line = line_of(root, loc)
        at = f"{path}:{line}" if line else str(path)
        raise PolicyFileError(f"{at}: {where}: {first['msg']}") from None


def run_check(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.file)
    except PolicyFileError as exc:
        return fail("policy check", str(exc))
    print(f"{args.file}: valid, {len(policy.rules)} global rule(s), {len(policy.stores)} store(s)")
    for i, rule in enumerate(policy.rules, 1):
        print(f"  {i}. {rule.explain()}")
    for store, rules in policy.stores.items():
        print(f"  store {store} (after the global rules; later rules win):")
        for i, rule in enumerate(rules, 1):
            print(f"    {i}. {rule.explain()}")
    return 0
