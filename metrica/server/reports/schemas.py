"""Report API shapes: ReportPreferences."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReportPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly_enabled: bool
