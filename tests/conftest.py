"""Fixtures more than one folder of tests uses; the harness itself is tests/support/."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def no_model_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may see the developer's own model dirs or mirror, nor the shared data
    folder's models: METRICA_MODEL_DIR and METRICA_MODEL_URL unset, the cache and the data
    folder under this test's tmp_path."""
    monkeypatch.delenv("METRICA_MODEL_DIR", raising=False)
    monkeypatch.delenv("METRICA_MODEL_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("METRICA_DATA_DIR", str(tmp_path / "data"))
