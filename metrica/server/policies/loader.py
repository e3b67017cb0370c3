"""Reading policy files: the global one (`policy_file`) and one per store
(`policy_dir/<store id>.yaml`). Any problem is a `PolicyFileError` naming the file, the
line and the reason, so that `metrica policy check` and the server's start say the same."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from metrica.domain.policies import Policy, Rule
from metrica.server.policies import catalogue

MAX_BYTES = 1_000_000
MAX_STORE_FILES = 10_000


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message names the line."""


def line_of(node: Any, loc: list[Any]) -> int | None:
    """1-based line of the YAML node at `loc` (or of its nearest existing parent). The edge
    has the same helper for cameras files; the backend may not import the edge."""
    if node is None:
        return None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _read(path: Path) -> tuple[Any, Any]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PolicyFileError(f"{path}: over 1 MB; a policy is a few rules")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyFileError(f"{path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise PolicyFileError(f"{at}: not valid YAML: {problem}") from None


def _refuse(path: Path, root: Any, loc: list[Any], why: str) -> PolicyFileError:
    line = line_of(root, loc)
    at = f"{path}:{line}" if line else str(path)
    where = ".".join(str(p) for p in loc) or "file"
    return PolicyFileError(f"{at}: {where}: {why}")


def _check_rules(path: Path, root: Any, rules: list[Rule], loc: list[Any]) -> None:
    for i, rule in enumerate(rules):
        found = catalogue.problem(rule)
        if found is not None:
            key, why = found
            raise _refuse(path, root, [*loc, i, key], why)


def load_policy(path: Path) -> Policy:
    """Parse and validate one policy file; errors point at the line."""
    raw, root = _read(path)
    try:
        policy = Policy.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if p != "__root__"]
        raise _refuse(path, root, loc, first["msg"]) from None
    _check_rules(path, root, policy.rules, ["rules"])
    keys = list(raw.get("stores", {}) or {}) if isinstance(raw, dict) else []
    for key in keys:
        _check_rules(path, root, policy.stores[uuid.UUID(str(key))], ["stores", key])
    return policy


def load_policies(global_file: Path | None, store_dir: Path | None) -> Policy:
    """The global file's rules, and per store its `stores:` entry then its own file's rules
    (`<store id>.yaml` in `store_dir`, holding `rules:` only)."""
    policy = load_policy(global_file) if global_file is not None else Policy()
    if store_dir is None:
        return policy
    try:
        files = sorted(p for p in store_dir.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError as exc:
        raise PolicyFileError(f"cannot read {store_dir}: {exc.strerror}") from None
    if len(files) > MAX_STORE_FILES:
        raise PolicyFileError(f"{store_dir}: over {MAX_STORE_FILES} policy files")
    stores = dict(policy.stores)
    for path in files:
        try:
            store_id = uuid.UUID(path.stem)
        except ValueError:
            raise PolicyFileError(f"{path}: the name must be a store id (<uuid>.yaml)") from None
        own = load_policy(path)
        if own.stores:
            raise PolicyFileError(f"{path}: a store's file holds its own `rules:` only")
        stores[store_id] = [*stores.get(store_id, []), *own.rules]
    return Policy(rules=policy.rules, stores=stores)


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The policy in force, and whether it has rules for each stage (the hot paths skip
    it otherwise)."""

    policy: Policy
    at_ingest: bool
    at_read: bool

    @classmethod
    def of(cls, policy: Policy) -> ActivePolicy:
        rules = [*policy.rules, *(r for rs in policy.stores.values() for r in rs)]
        return cls(
            policy,
            at_ingest=any(r.stage == "ingest" for r in rules),
            at_read=any(r.stage == "read" for r in rules),
        )


NO_POLICY = ActivePolicy(Policy(), at_ingest=False, at_read=False)
