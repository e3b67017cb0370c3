"""API shapes of the ops routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CheckPublic(BaseModel):
    ok: bool
    ms: float = Field(description="How long the check took, in milliseconds.")
    detail: str = Field(description="What the check found (never a secret).")


class DeepHealthPublic(BaseModel):
    status: Literal["ok", "fail"]
    checks: dict[str, CheckPublic] = Field(
        description="By name: database, migrations, disk, cameras, and redis / blobs when "
        "the server has them."
    )
