"""`IsoInstant`: the event's time, parsed without a Python call per value on the JSON path;
the Python path (objects built in code, FastAPI's fallback) must agree with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from metrica.domain.fields import IsoInstant


class Stamped(BaseModel):
    at: IsoInstant


ACCEPTED = {
    "2026-11-18T10:00:00Z": datetime(2026, 11, 18, 10, tzinfo=UTC),
    "2026-11-18T10:00:00.5+00:00": datetime(2026, 11, 18, 10, 0, 0, 500_000, tzinfo=UTC),
    "2026-11-18 10:00+0130": datetime(2026, 11, 18, 8, 30, tzinfo=UTC),
    "2000-01-01T01:00:00+01:00": datetime(2000, 1, 1, tzinfo=UTC),
    "2099-12-31T23:59:59.999999Z": datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
}
REFUSED = [
    "2026-11-18T10:00:00",  # no offset
    "2026-11-18",
    "2026-13-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:59:59+01:00",  # 1999 in UTC
    "2099-12-31T23:30:00-01:00",  # 2100 in UTC
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-12:00",
    "1700000000",
    "now",
    "2026-11-18T10:00:00Z\x00",
]


@pytest.mark.parametrize("sent", sorted(ACCEPTED))
def test_accepted_on_both_paths_as_the_same_instant(sent: str) -> None:
    from_json = Stamped.model_validate_json(json.dumps({"at": sent})).at
    from_python = Stamped.model_validate({"at": sent}).at
    assert from_json == from_python == ACCEPTED[sent]
    # Offset zero is `datetime.UTC` itself: comparisons and encodings stay cheap.
    assert (from_json.tzinfo is UTC) == (from_json.utcoffset() == timedelta(0))


@pytest.mark.parametrize("sent", REFUSED)
def test_refused_on_both_paths_with_one_error_at_the_field(sent: str) -> None:
    for validate in (
        lambda: Stamped.model_validate_json(json.dumps({"at": sent})),
        lambda: Stamped.model_validate({"at": sent}),
    ):
        with pytest.raises(ValidationError) as refused:
            validate()
        assert [e["loc"] for e in refused.value.errors()] == [("at",)]


@pytest.mark.parametrize("sent", [1_700_000_000, None, True, 2.5])
def test_a_number_is_not_an_instant(sent: object) -> None:
    with pytest.raises(ValidationError):
        Stamped.model_validate_json(json.dumps({"at": sent}))
    with pytest.raises(ValidationError):
        Stamped.model_validate({"at": sent})


def test_a_datetime_from_code_is_range_checked_and_kept() -> None:
    berlin = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 18, 11, tzinfo=berlin)
    assert Stamped(at=at).at is at
    with pytest.raises(ValidationError):
        Stamped(at=datetime(2026, 11, 18, 11))
    with pytest.raises(ValidationError):
        Stamped(at=datetime(1999, 12, 31, tzinfo=UTC))
