"""Write the backend's OpenAPI document to a file, by importing the app (no server needed).

Usage: uv run python scripts/export-openapi.py web/openapi.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from metrica.server.app import create_app


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: export-openapi.py OUTPUT.json", file=sys.stderr)
        return 2
    document = create_app().openapi()
    Path(argv[1]).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"wrote {argv[1]} ({len(document.get('paths', {}))} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
