"""Alert API shapes: settings, the episode log and the result of a test notice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from metrica.domain.alerts import AlertKind
from metrica.domain.fields import NoControlChars

MAX_RECIPIENTS = 10
MAX_CAPACITY = 100_000
MAX_LOG_ENTRIES = 200

# One mailbox, nothing a mail header could read as a second one (no comma, semicolon,
# angle brackets or quotes), no whitespace or control characters.
RecipientEmail = Annotated[
    str,
    Field(pattern=r"^[^@\s,;<>\"'()\\]+@[^@\s,;<>\"'()\\]+\.[^@\s,;<>\"'()\\]+$", max_length=254),
    NoControlChars,
]


class AlertSettingsUpdate(BaseModel):
    """Everything an owner sets for a store's alerts (the whole object, PUT)."""

    model_config = ConfigDict(extra="forbid")

    capacity_enabled: bool = False
    capacity_limit: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    camera_down_enabled: bool = False
    low_count_enabled: bool = False
    emails: list[RecipientEmail] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    webhook_url: HttpUrl | None = Field(default=None, max_length=2000)

    @field_validator("emails")
    @classmethod
    def _unique(cls, emails: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for email in emails:
            seen.setdefault(email.lower(), email)
        return list(seen.values())

    @model_validator(mode="after")
    def _limit_when_on(self) -> AlertSettingsUpdate:
        if self.capacity_enabled and self.capacity_limit is None:
            raise ValueError("capacity_limit is required when the capacity alert is on")
        return self


class AlertSettingsPublic(BaseModel):
    store_id: uuid.UUID
    capacity_enabled: bool
    capacity_limit: int | None
    camera_down_enabled: bool
    low_count_enabled: bool
    emails: list[str]
    webhook_url: str | None
    webhook_secret: str = Field(
        description="Signs each webhook body: X-Metrica-Signature: sha256=HMAC-SHA256(body)."
    )
    owner_emails: list[str] = Field(description="Who gets the emails when `emails` is empty.")
    updated_at: datetime | None


class AlertEpisodePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AlertKind
    subject: str
    message: str
    value: int
    threshold: int
    started_at: datetime
    resolved_at: datetime | None
    raised_email_ok: bool | None
    raised_webhook_ok: bool | None
    resolved_email_ok: bool | None
    resolved_webhook_ok: bool | None


class AlertLog(BaseModel):
    data: list[AlertEpisodePublic]
    count: int


class ChannelOutcome(BaseModel):
    """What happened to a test notice on one channel; `detail` never carries a secret, a
    URL or a server's own words."""

    status: Literal["sent", "failed", "skipped"]
    detail: str


class AlertTestResult(BaseModel):
    """`POST /stores/{id}/alerts/test`: the notice went out now, channel by channel."""

    sent_at: datetime
    recipients: list[str] = Field(description="Who the email went to (or was meant to).")
    email: ChannelOutcome
    webhook: ChannelOutcome
