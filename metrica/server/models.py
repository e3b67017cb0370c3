"""Every table, imported in one place for Alembic and tests."""

from metrica.server.auth.models import (
    ExternalIdentity,
    Invitation,
    LoginCode,
    RevokedToken,
    User,
)
from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot, CountingLineRow
from metrica.server.db import Base
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.plates.models import (
    PlateAlert,
    PlateAudit,
    PlateJob,
    PlateReadRow,
    PlateWatch,
)
from metrica.server.stores.models import Store, StoreClerk, StoreOwner

__all__ = [
    "Base",
    "Camera",
    "CameraHeartbeat",
    "CameraSnapshot",
    "CountingLineRow",
    "EventRow",
    "ExternalIdentity",
    "HourlyCount",
    "Invitation",
    "LoginCode",
    "PlateAlert",
    "PlateAudit",
    "PlateJob",
    "PlateReadRow",
    "PlateWatch",
    "RevokedToken",
    "Store",
    "StoreClerk",
    "StoreOwner",
    "User",
]
