"""Every table, imported in one place for Alembic and tests."""

from metrica.server.alerts.models import AlertEpisode, AlertSettings
from metrica.server.audits.models import AuditResult, Recording, RecordingAudit
from metrica.server.auth.models import (
    ExternalIdentity,
    Invitation,
    LoginCode,
    RevokedToken,
    User,
)
from metrica.server.backups.models import BackupRun
from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot, CountingLineRow
from metrica.server.db import Base
from metrica.server.events.models import EventIdRow, EventRow, HourlyCount
from metrica.server.fleet.models import Box, BoxCamera, EnrolmentToken
from metrica.server.ops.models import OpsProbe
from metrica.server.plates.models import (
    PlateAlert,
    PlateAudit,
    PlateJob,
    PlateReadRow,
    PlateWatch,
)
from metrica.server.reports.models import ReportPreference, ReportSend
from metrica.server.stores.models import Store, StoreClerk, StoreOwner

__all__ = [
    "AlertEpisode",
    "AlertSettings",
    "AuditResult",
    "BackupRun",
    "Base",
    "Box",
    "BoxCamera",
    "Camera",
    "CameraHeartbeat",
    "CameraSnapshot",
    "CountingLineRow",
    "EnrolmentToken",
    "EventIdRow",
    "EventRow",
    "ExternalIdentity",
    "HourlyCount",
    "Invitation",
    "LoginCode",
    "OpsProbe",
    "PlateAlert",
    "PlateAudit",
    "PlateJob",
    "PlateReadRow",
    "PlateWatch",
    "Recording",
    "RecordingAudit",
    "ReportPreference",
    "ReportSend",
    "RevokedToken",
    "Store",
    "StoreClerk",
    "StoreOwner",
    "User",
]
