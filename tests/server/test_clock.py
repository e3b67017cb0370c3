"""The pinned server clock of the end-to-end runs (METRICA_CLOCK_START): it starts where it
is told, advances with the wall clock, resets, and is refused in production."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from metrica.server.db import pin_clock, utcnow
from metrica.server.settings import Settings

START = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def unpinned() -> Iterator[None]:
    yield
    pin_clock(None)


def test_a_pinned_clock_starts_there_and_advances_with_the_wall_clock(unpinned: None) -> None:
    pin_clock(START, at_epoch_s=time.time() - 90)  # it read START 90 s ago
    assert timedelta(seconds=90) <= utcnow() - START < timedelta(seconds=95)
    pin_clock(None)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=1)


def test_settings_read_it_from_the_environment_and_refuse_it_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METRICA_CLOCK_START", "2026-11-18T10:00:00+00:00")
    monkeypatch.setenv("METRICA_CLOCK_STARTED_AT", "1800000000.5")
    s = Settings()
    assert (s.clock_start, s.clock_started_at) == (START, 1800000000.5)
    monkeypatch.setenv("METRICA_CLOCK_START", "2026-11-18T10:00:00")  # no offset: which zone?
    with pytest.raises(ValidationError, match="UTC offset"):
        Settings()
    monkeypatch.setenv("METRICA_CLOCK_START", "2026-11-18T10:00:00+00:00")
    with pytest.raises(ValidationError, match="for tests"):
        Settings(environment="production", secret_key="a-real-secret-of-some-length")
