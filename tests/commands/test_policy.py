"""`metrica policy check FILE`: a valid file is explained rule by rule; a bad one is one
line naming the file's line and the reason, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrica.cli import main

GOOD = """\
version: 1
rules:
  - event: line_crossed
    field: track_id
    action: drop
    stage: ingest
  - event: plate_read
    field: text
    action: redact
    roles: [owner]
stores:
  6f1c2b1e-0000-4000-8000-000000000001:
    - event: plate_read
      field: text
      action: allow
"""


def test_a_valid_policy_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    assert main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid, 2 global rule(s), 1 store(s)" in out
    assert "field 'track_id' of line_crossed events: removed before storage at ingest" in out
    assert "field 'text' of plate_read events: masked (AB•••23) when read by owner" in out
    assert "allowed (undoing earlier rules)" in out


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        (GOOD.replace("action: redact", "action: blur"), ":9: rules.1.action", "Input should be"),
        (GOOD.replace("    stage: ingest\n", "    stage: ingest\n    roles: [owner]\n"),
         ":3: rules.0", "roles apply when reading"),
        ("rules: [\n", ":2", "not valid YAML"),
        ("version: 2\n", ":1: version", "Input should be 1"),
    ],
)  # fmt: skip
def test_a_bad_policy_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, why: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{path}{where}" in err
    assert why in err


def test_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_store_files_are_checked_with_the_global_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    stores = tmp_path / "stores"
    stores.mkdir()
    own = stores / "6f1c2b1e-0000-4000-8000-000000000002.yaml"
    own.write_text("rules:\n  - {event: plate_read, field: crop_url, action: drop}\n")
    assert main(["policy", "check", str(path), "--store-dir", str(stores)]) == 0
    assert "valid, 2 global rule(s), 2 store(s)" in capsys.readouterr().out
    own.write_text("rules:\n  - event: plate_read\n    field: plate\n    action: drop\n")
    assert main(["policy", "check", str(path), "--store-dir", str(stores)]) == 2
    err = capsys.readouterr().err
    assert f"{own}:3: rules.0.field" in err
    assert "no field 'plate'" in err
