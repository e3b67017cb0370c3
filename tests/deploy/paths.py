"""Where the deploy artefacts live, and how to run the tools that check them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "rules.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
ALERTMANAGER = DEPLOY / "alertmanager" / "alertmanager.yml"
OPERATIONS = ROOT / "docs" / "operations.md"


def tool(name: str) -> str:
    """The tool's path; scripts/ensure-promtool.sh installs them (a missing one fails)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: run bash scripts/ensure-promtool.sh"
    return path


def run(*args: str | Path, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout_s, check=False
    )


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a document's headings (lower case, punctuation dropped)."""
    anchors = set()
    for line in markdown.splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            anchors.add(text.replace(" ", "-"))
    return anchors
