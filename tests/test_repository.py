"""No merge left half-done: a conflict marker in a doc or source file once landed in the README."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED_SUFFIXES = {".md", ".py", ".ts", ".tsx", ".yaml", ".yml", ".toml", ".json", ".sh"}
SKIPPED_DIRS = {".git", ".venv", "node_modules", "dist", "out", ".mypy_cache", ".ruff_cache"}
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def conflict_marker_lines(text: str) -> list[int]:
    """1-based line numbers of git's conflict markers in `text`."""
    return [text.count("\n", 0, match.start()) + 1 for match in MARKER.finditer(text)]


def checked_files(root: Path) -> list[Path]:
    """Text files of the project, without descending into dependencies or build output."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS]
        found.extend(Path(folder, name) for name in names if Path(name).suffix in CHECKED_SUFFIXES)
    return found


def test_a_conflict_marker_is_found_and_ordinary_rules_are_not() -> None:
    text = "a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> int8\n| --- |\n========== title\n"
    assert conflict_marker_lines(text) == [2, 4, 6]


def test_no_file_of_the_project_holds_a_conflict_marker() -> None:
    files = checked_files(ROOT)
    assert any(path.name == "README.md" for path in files)
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := conflict_marker_lines(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert offenders == {}
