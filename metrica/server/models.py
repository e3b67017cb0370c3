"""Every table, imported in one place for Alembic and tests."""

from metrica.server.auth.models import Invitation, LoginCode, User
from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot, CountingLineRow
from metrica.server.db import Base
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.stores.models import Store, StoreOwner

__all__ = [
    "Base",
    "Camera",
    "CameraHeartbeat",
    "CameraSnapshot",
    "CountingLineRow",
    "EventRow",
    "HourlyCount",
    "Invitation",
    "LoginCode",
    "Store",
    "StoreOwner",
    "User",
]
