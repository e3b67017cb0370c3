"""Fleet rules both ends share: version drift, schedules across midnight, presence."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from metrica.domain.fleet import Schedule, box_is_online, version_drift


@pytest.mark.parametrize(
    ("box", "release", "drift"),
    [
        ("0.1.0", "0.1.0", "current"),
        ("0.1", "0.1.0", "current"),
        ("0.0.9", "0.1.0", "behind"),
        ("0.10.0", "0.9.0", "ahead"),
        ("v1.2.3", "1.2.3", "current"),
        ("", "0.1.0", "unknown"),
        ("nightly", "0.1.0", "unknown"),
    ],
)
def test_version_drift(box: str, release: str, drift: str) -> None:
    assert version_drift(box, release) == drift


@pytest.mark.parametrize(
    ("start", "end", "at", "active"),
    [
        ("07:00", "22:00", "06:59", False),
        ("07:00", "22:00", "07:00", True),
        ("07:00", "22:00", "22:00", False),
        ("22:00", "06:00", "23:30", True),
        ("22:00", "06:00", "05:59", True),
        ("22:00", "06:00", "12:00", False),
    ],
)
def test_schedule_spans_midnight(start: str, end: str, at: str, active: bool) -> None:
    assert Schedule(start=start, end=end).active_at(time.fromisoformat(at)) is active


@pytest.mark.parametrize(
    ("start", "end"), [("24:00", "01:00"), ("7:00", "08:00"), ("07:00", "07:00")]
)
def test_bad_schedules_are_refused(start: str, end: str) -> None:
    with pytest.raises(ValidationError):
        Schedule(start=start, end=end)


def test_presence() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert box_is_online(now - timedelta(seconds=119), now, offline_after_s=120)
    assert not box_is_online(now - timedelta(seconds=120), now, offline_after_s=120)
    assert not box_is_online(None, now, offline_after_s=120)
