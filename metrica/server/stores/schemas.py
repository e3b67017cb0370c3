"""Store schemas: StoreCreate, StoreUpdate, StorePublic, StoresPublic, OwnerAdd."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from metrica.domain.fields import SafeStr
from metrica.domain.kpis import WEEKDAYS, validate_opening_hours
from metrica.server.auth.schemas import EmailStr

OpeningHoursIn = dict[str, list[str] | None]
# What a client may send (bounded before `validate_opening_hours` checks the content).
_Hhmm = Annotated[SafeStr, Field(max_length=5)]
_Weekday = Annotated[SafeStr, Field(max_length=3)]
_OpeningHoursInput = Annotated[
    dict[_Weekday, Annotated[list[_Hhmm], Field(max_length=2)] | None],
    Field(max_length=len(WEEKDAYS)),
]


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


def _hours(value: OpeningHoursIn) -> OpeningHoursIn:
    return validate_opening_hours(value)


Timezone = Annotated[SafeStr, Field(min_length=1, max_length=64), AfterValidator(_timezone)]
OpeningHours = Annotated[_OpeningHoursInput, AfterValidator(_hours)]
DEFAULT_HOURS: OpeningHoursIn = {d: ["09:00", "20:00"] for d in WEEKDAYS[:6]} | {"sun": None}


class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SafeStr = Field(min_length=1, max_length=200)
    timezone: Timezone
    opening_hours: OpeningHours = Field(default_factory=lambda: dict(DEFAULT_HOURS))


class StoreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SafeStr | None = Field(default=None, min_length=1, max_length=200)
    timezone: Timezone | None = None
    opening_hours: OpeningHours | None = None


class StorePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    timezone: str
    opening_hours: OpeningHoursIn


class StoresPublic(BaseModel):
    data: list[StorePublic]
    count: int


class OwnerAdd(BaseModel):
    email: EmailStr
