"""Line-crossing truth derived exactly from MOTChallenge ground truth: no eye, no model.

The feet of a person are the bottom-centre of their gt box (`considered` == 1 boxes only),
scaled onto the clip and put on the clip's decoded frame index (the sequence's
`seqinfo.ini` `[Clip]` section says how). Each track's feet are fed to the project's own
`LineCounter` with no hysteresis band, no cooldown and no fragment guard, so every sign
change of the feet against the line whose crossing point lies between the segment's end
points counts, exactly as the truth rule says. The event's `frame` is the first frame with
the feet on the new side — how the shared `pets09_s2l1_campus.json` was computed.

A track's considered boxes are cut into runs of consecutive frames: where a track passes
through considered == 0 boxes (people far away at the edge of the scene), its feet are
not seen, so a crossing there is not counted and the run after it starts afresh.
"""

from __future__ import annotations

import configparser
import csv
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from metrica.domain.counting import CounterConfig, LineCounter, Segment, TrackPoint
from metrica.domain.events import Direction
from metrica.domain.geometry import CountingLine

# Every sign change counts: the truth rule has no band, no cooldown and no id guessing.
EXACT = CounterConfig(
    band_ratio=0.0,
    band_min=0.0,
    band_max=0.0,
    cooldown_s=0.0,
    max_idle_s=math.inf,
    inherit_s=0.0,
)


@dataclass(frozen=True, slots=True)
class ClipMapping:
    """How a MOT sequence's gt maps onto a local clip (its `seqinfo.ini` `[Clip]`)."""

    clip: Path  # the video, resolved from the sequence folder
    width: int
    height: int
    fps: float
    frames: int
    scale: float  # gt pixels x scale = clip pixels
    frame_offset: int  # gt frame N = decoded clip frame N + frame_offset


@dataclass(frozen=True, slots=True)
class GtBox:
    """One row of a MOT `gt.txt`, in the sequence's own pixels and 1-based frames."""

    frame: int
    track_id: int
    left: float
    top: float
    width: float
    height: float
    considered: bool


@dataclass(frozen=True, slots=True)
class GtCrossing:
    """A true crossing: line, decoded frame index, direction and the gt track."""

    line_id: str
    frame: int
    direction: Direction
    gt_track: int


def read_mapping(seqinfo: Path) -> ClipMapping | None:
    """The `[Clip]` section of a `seqinfo.ini`, or None when the sequence has no clip."""
    if not seqinfo.is_file():
        return None
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parser.read(seqinfo)
    if not parser.has_section("Clip"):
        return None
    clip = parser["Clip"]
    return ClipMapping(
        clip=(seqinfo.parent / clip["file"]).resolve(),
        width=int(clip["width"]),
        height=int(clip["height"]),
        fps=float(clip["frameRate"]),
        frames=int(clip["frames"]),
        scale=float(clip["scale"]),
        frame_offset=int(clip["gtFrameToDecodedIndex"]),
    )


def read_gt(path: Path) -> list[GtBox]:
    """All rows of a MOT `gt.txt` (frame,id,left,top,width,height,considered,...)."""
    with path.open(newline="") as handle:
        return [
            GtBox(
                frame=int(row[0]),
                track_id=int(row[1]),
                left=float(row[2]),
                top=float(row[3]),
                width=float(row[4]),
                height=float(row[5]),
                considered=row[6].strip() == "1",
            )
            for row in csv.reader(handle)
            if row
        ]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def feet_runs(
    boxes: Iterable[GtBox], mapping: ClipMapping
) -> list[tuple[int, list[tuple[int, float, float]]]]:
    """Each track's considered feet as runs of consecutive frames, `(gt track, [(decoded
    frame, x, y)])` in clip pixels; tracks in order of first appearance in the file."""
    by_track: dict[int, list[GtBox]] = {}
    for box in boxes:
        by_track.setdefault(box.track_id, []).append(box)
    runs: list[tuple[int, list[tuple[int, float, float]]]] = []
    for track_id, track in by_track.items():
        current: list[tuple[int, float, float]] = []
        expected: int | None = None  # the gt frame that continues the current run
        for box in sorted(track, key=lambda b: b.frame):
            if not box.considered:
                continue
            if current and box.frame != expected:
                runs.append((track_id, current))
                current = []
            frame = box.frame + mapping.frame_offset
            x = (box.left + box.width / 2) * mapping.scale
            y = (box.top + box.height) * mapping.scale
            current.append((frame, x, y))
            expected = box.frame + 1
        if current:
            runs.append((track_id, current))
    return runs


def line_crossings(
    boxes: Sequence[GtBox], lines: Sequence[CountingLine], mapping: ClipMapping
) -> list[GtCrossing]:
    """Every true crossing of `lines` by the gt tracks, sorted by line id, then frame."""
    runs = feet_runs(boxes, mapping)
    found: list[GtCrossing] = []
    for line in lines:
        segment = Segment(line.line_id, *line.to_pixels(mapping.width, mapping.height))
        for track_id, run in runs:
            counter = LineCounter(segment, EXACT)
            for frame, x, y in run:
                for crossing in counter.update(
                    frame, frame / mapping.fps, [TrackPoint(track_id, x, y)]
                ):
                    # The counter stamps an interpolated frame; the truth rule's frame is
                    # the first one with the feet on the new side: this one.
                    found.append(GtCrossing(line.line_id, frame, crossing.direction, track_id))
    return sorted(found, key=lambda c: (c.line_id, c.frame))
