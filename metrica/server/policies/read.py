"""Policy when reading: a plate read as the reader's role may see it.

The rules name the read API's fields (`catalogue.FIELDS["plate_read"]`). Masking `text`
masks `normalized` with it (the same plate); dropping `text` or `vehicle_class` shows
`•••` (the API always has a string there); dropping or masking an id or the crop removes
it (null), and the crop itself is then refused.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from metrica.domain.policies import MASK, Role, apply, mask
from metrica.server.ops.metrics import PLATE_READS_POLICY_MASKED
from metrica.server.plates.schemas import PlateReadPublic
from metrica.server.policies.loader import ActivePolicy

_ROLES: dict[str, Role] = {"superadmin": "superadmin", "owner": "owner", "clerk": "clerk"}


def role_of(name: str) -> Role | None:
    """A user's role as the rules name it (None for anything else: no role rule applies)."""
    return _ROLES.get(name)


def plate_view(
    active: ActivePolicy, read: PlateReadPublic, *, role: str, tz: ZoneInfo
) -> PlateReadPublic | None:
    """The read as `role` may see it, or None when the policy hides it."""
    if not active.at_read:
        return read
    seen: dict[str, Any] = {
        "type": "plate_read",
        "text": read.text,
        "vehicle_class": read.vehicle_class,
        "camera_id": read.camera_id,
        "job_id": read.job_id,
        "crop_url": read.crop_url,
    }
    out = apply(
        active.policy,
        seen,
        stage="read",
        store=read.store_id,
        camera=read.camera_id,
        role=role_of(role),
        local=read.occurred_at.astimezone(tz).time(),
    )
    if out is None:
        return None
    if out == seen:
        return read
    PLATE_READS_POLICY_MASKED.inc()
    text = out.get("text", MASK)
    normalized = read.normalized
    if "text" not in out:
        normalized = MASK
    elif text != read.text:
        normalized = mask(read.normalized)
    return read.model_copy(
        update={
            "text": text,
            "normalized": normalized,
            "vehicle_class": out.get("vehicle_class", MASK),
            "camera_id": _kept(out, "camera_id", seen),
            "job_id": _kept(out, "job_id", seen),
            "crop_url": _kept(out, "crop_url", seen),
        }
    )


def _kept(out: dict[str, Any], name: str, seen: dict[str, Any]) -> Any:
    """An id or URL survives only untouched (a masked UUID is no UUID)."""
    return seen[name] if out.get(name) == seen[name] else None
