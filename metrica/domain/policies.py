"""Privacy by rule: which events and fields are stored and shown, per event type, field,
role, camera and hour. Pure: the caller parses the file and passes the event as a dict.

A policy is global rules then per-store rules, in file order; for each event and each
field the **last** matching rule wins, so a store can re-allow what the global rules
deny or redact. Actions: `deny` (the whole event: never stored, or never shown), `drop`
(remove the field), `redact` (mask the field: `AB•••23`, or `•••` for short values),
`allow` (undo an earlier rule for what it matches). Rules apply at `ingest` (before
anything is stored) or at `read` (per role of the reader).
"""

from __future__ import annotations

import re
import uuid
from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from metrica.domain.fleet import Schedule

Action = Literal["allow", "deny", "redact", "drop"]
Stage = Literal["ingest", "read"]
Role = Literal["superadmin", "owner", "clerk"]
MASK = "•••"
PROTECTED_FIELDS = frozenset({"event_id", "type", "camera_id", "store_id", "occurred_at"})
_NAME = r"^(\*|[a-z][a-z0-9_]{0,63})$"


class Rule(BaseModel):
    """One rule; `field` unset means the whole event (only `deny` and `allow`)."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(default="*", pattern=_NAME, description="Event type, or * for all.")
    field: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    action: Action
    stage: Stage = "read"
    roles: list[Role] | None = Field(
        default=None, description="Readers the rule applies to (read only); unset = all."
    )
    cameras: list[uuid.UUID] | None = Field(default=None, description="Unset = all cameras.")
    hours: Schedule | None = Field(default=None, description="Local hours it applies in.")

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.field is None and self.action in ("redact", "drop"):
            raise ValueError(f"'{self.action}' needs a field")
        if self.field is not None and self.action == "deny":
            raise ValueError("'deny' is for whole events; 'drop' removes a field")
        if self.field in PROTECTED_FIELDS:
            raise ValueError(f"{self.field!r} identifies the event; it cannot be changed")
        if self.roles is not None and self.stage == "ingest":
            raise ValueError("roles apply when reading (stage: read), not at ingest")
        return self

    def matches(
        self, event_type: str, *, stage: Stage, role: Role | None, camera: uuid.UUID | None,
        local: time | None,
    ) -> bool:  # fmt: skip
        if self.stage != stage or self.event not in ("*", event_type):
            return False
        if self.roles is not None and role not in self.roles:
            return False
        if self.cameras is not None and camera not in self.cameras:
            return False
        return self.hours is None or (local is not None and self.hours.active_at(local))

    def explain(self) -> str:
        """The rule in one plain sentence."""
        what = f"{self.event} events" if self.event != "*" else "events of every type"
        target = what if self.field is None else f"field '{self.field}' of {what}"
        verbs = {
            "deny": "never stored" if self.stage == "ingest" else "hidden",
            "drop": "removed before storage" if self.stage == "ingest" else "removed",
            "redact": "masked (AB•••23)",
            "allow": "allowed (undoing earlier rules)",
        }
        when = " at ingest" if self.stage == "ingest" else " when read"
        who = f" by {', '.join(self.roles)}" if self.roles else ""
        where = f" from {len(self.cameras)} camera(s)" if self.cameras else ""
        hours = f" between {self.hours.start} and {self.hours.end}" if self.hours else ""
        return f"{target}{where}{hours}: {verbs[self.action]}{when}{who}"


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules: list[Rule] = Field(default_factory=list, max_length=1000)
    stores: dict[uuid.UUID, list[Rule]] = Field(default_factory=dict)

    def rules_for(self, store: uuid.UUID | None) -> list[Rule]:
        return [*self.rules, *(self.stores.get(store, []) if store else [])]


def mask(value: object) -> str:
    """`AB123CD` -> `AB•••CD`: the first and last two characters of a value of 6 or more,
    else only the mask."""
    text = re.sub(r"\s+", "", str(value))
    return f"{text[:2]}{MASK}{text[-2:]}" if len(text) >= 6 else MASK


def apply(
    policy: Policy,
    event: dict[str, Any],
    *,
    stage: Stage,
    store: uuid.UUID | None = None,
    camera: uuid.UUID | None = None,
    role: Role | None = None,
    local: time | None = None,
) -> dict[str, Any] | None:
    """The event as the policy lets it through at `stage`, or None when it is denied.

    `event` is a flat dict with a `type`; `local` is the event's time of day in its
    store's timezone (for rules with hours).
    """
    event_type = str(event.get("type", ""))
    whole: Action = "allow"
    per_field: dict[str, Action] = {}
    for rule in policy.rules_for(store):
        if not rule.matches(event_type, stage=stage, role=role, camera=camera, local=local):
            continue
        if rule.field is None:
            whole = rule.action
        else:
            per_field[rule.field] = rule.action
    if whole == "deny":
        return None
    out = dict(event)
    for name, action in per_field.items():
        if name not in out:
            continue
        if action == "drop":
            del out[name]
        elif action == "redact" and out[name] is not None:
            out[name] = mask(out[name])
    return out
