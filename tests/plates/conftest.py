"""One plate reader for the whole session: loading its three models takes seconds."""

from __future__ import annotations

import pytest

from metrica.plates.loading import load_reader
from metrica.plates.reader import PlateReader


@pytest.fixture(scope="session")
def reader() -> PlateReader:
    return load_reader()
