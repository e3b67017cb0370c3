"""`metrica policy check FILE`: validate a privacy policy and say what each rule does."""

from __future__ import annotations

import argparse
from pathlib import Path

from metrica.commands.common import Subparsers, fail
from metrica.server.policies.loader import PolicyFileError, load_policies

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
    check.add_argument(
        "--store-dir",
        type=Path,
        default=None,
        help="also the per-store files (<store id>.yaml), as METRICA_POLICY_DIR",
    )
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        policy = load_policies(args.file, args.store_dir)
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
