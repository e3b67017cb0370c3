"""The counting settings an audit passes to its clip counter: validated, and described."""

from __future__ import annotations

import pytest

from metrica.domain.audits import DEFAULT_COUNTING, CountingSettings, every_nth


@pytest.mark.parametrize(
    ("stride", "text"),
    [(1, "every frame"), (2, "every 2nd frame"), (3, "every 3rd frame"), (4, "every 4th frame"),
     (11, "every 11th frame"), (12, "every 12th frame"), (21, "every 21st frame"),
     (22, "every 22nd frame"), (100, "every 100th frame")],
)  # fmt: skip
def test_every_nth(stride: int, text: str) -> None:
    assert every_nth(stride) == text


def test_defaults_and_hostile_values() -> None:
    assert CountingSettings(model=None, input_size=None, stride=1) == DEFAULT_COUNTING
    for bad in ({"stride": 0}, {"stride": -3}, {"input_size": 0}):
        with pytest.raises(ValueError, match="must be"):
            CountingSettings(**bad)  # type: ignore[arg-type]
