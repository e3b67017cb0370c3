"""A stand-in plate reader for the service tests: the upload says what it holds.

The real reader (metrica.plates) is another component; the service's contract with it is
`UploadProcessor`. A scripted upload is a PNG signature followed by JSON:
`{"frames": 4, "frame_s": 0.0, "plates": [{"frame": 2, "text": "AB 123"}], "fail": null}`.
Each frame takes `frame_s` seconds of work (so a worker can be killed mid-job); a plate is
yielded when its frame is done, with track_key = its index in the list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from metrica.domain.plate_text import normalize_plate
from metrica.domain.plates import PlateFound, Progress, UploadKind

PNG = b"\x89PNG\r\n\x1a\n"


def scripted_upload(
    plates: list[str],
    *,
    frames: int = 3,
    frame_s: float = 0.0,
    fail: str | None = None,
    at: list[int] | None = None,
) -> bytes:
    """`at`: the frame each plate is found at (default: plate i at frame i + 1)."""
    where = at or [min(frames, i + 1) for i in range(len(plates))]
    script: dict[str, Any] = {
        "frames": frames,
        "frame_s": frame_s,
        "plates": [{"frame": f, "text": t} for t, f in zip(plates, where, strict=True)],
        "fail": fail,
    }
    return PNG + json.dumps(script).encode()


def crop_for(text: str) -> bytes:
    return b"\xff\xd8\xff\xe0" + text.encode() + b"\xff\xd9"


class ScriptedProcessor:
    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first  # raise RuntimeError in the first N runs
        self.runs = 0

    def process(self, path: Path, kind: UploadKind, progress: Progress) -> Iterator[PlateFound]:
        self.runs += 1
        data = path.read_bytes()
        if not data.startswith(PNG):
            raise ValueError(f"{path.name} is not a scripted upload")
        script = json.loads(data[len(PNG) :])
        if script.get("fail") == "unreadable":
            raise ValueError("cannot decode this file")
        if self.runs <= self.fail_first:
            raise RuntimeError("the reader crashed")
        frames = int(script["frames"])
        for frame in range(1, frames + 1):
            time.sleep(float(script["frame_s"]))
            progress(frame, frames)
            for key, plate in enumerate(script["plates"]):
                if plate["frame"] == frame:
                    yield PlateFound(
                        track_key=key,
                        text=plate["text"],
                        normalized=normalize_plate(plate["text"]),
                        confidence=0.9,
                        box=(1, 2, 3, 4),
                        vehicle_class="car",
                        first_seen_s=float(frame),
                        last_seen_s=float(frame) + 0.5,
                        crop_jpeg=crop_for(plate["text"]),
                    )
