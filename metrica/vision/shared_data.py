"""Where the shared data folder is: clips, model weights and ground truth, never committed.

`METRICA_DATA_DIR`, else `../shared/data` beside the repository (the README's layout).
Model lookup falls back to its `models/` folder and evaluation reads its truth files, so
both agree on one place.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_dir() -> Path:
    """The shared data folder: `METRICA_DATA_DIR`, else `../shared/data` beside the repo."""
    return Path(os.environ.get("METRICA_DATA_DIR") or DEFAULT_DATA_DIR)
