"""What the backend lets a policy name: event types, their fields, and which fields may be
changed before storage. Checked at load, so a typo is refused with its line instead of
silently matching nothing."""

from __future__ import annotations

from metrica.domain.policies import Rule

# Read-stage fields are those of the read APIs (`PlateReadPublic`); ingest-stage fields are
# those a box sends.
FIELDS: dict[str, frozenset[str]] = {
    "line_crossed": frozenset({"line_id", "direction", "track_id"}),
    "plate_read": frozenset({"text", "vehicle_class", "camera_id", "job_id", "crop_url"}),
}
ANY_FIELD = frozenset().union(*FIELDS.values())
COUNTED = frozenset({"line_id", "direction"})  # the hourly counts are made of them at ingest
MADE_ON_SERVER = frozenset({"plate_read"})  # plate reads come from uploads, not from boxes


def problem(rule: Rule) -> tuple[str, str] | None:
    """(the rule's key at fault, why) when the backend cannot honour `rule`, else None."""
    if rule.event != "*" and rule.event not in FIELDS:
        return "event", f"unknown event type {rule.event!r} (known: {', '.join(sorted(FIELDS))})"
    known = ANY_FIELD if rule.event == "*" else FIELDS[rule.event]
    if rule.field is not None and rule.field not in known:
        names = ", ".join(sorted(known))
        return "field", f"{rule.event} events have no field {rule.field!r} ({names})"
    if rule.stage == "ingest" and rule.event in MADE_ON_SERVER:
        return "stage", f"{rule.event} is made on the server: its rules apply when read"
    if rule.stage == "ingest" and rule.field in COUNTED and rule.action in ("drop", "redact"):
        return "field", f"the counts are made of {rule.field!r}: deny the event instead"
    if rule.stage == "ingest" and rule.field == "track_id" and rule.action == "redact":
        return "action", "a track id is a number: drop it at ingest (masking keeps nothing useful)"
    return None
