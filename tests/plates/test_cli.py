"""`metrica plates read|scan` as a user runs them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from metrica.plates.chars import fold
from metrica.plates.processor import read_image
from metrica.plates.synthetic import degraded_views, write_clip
from metrica.vision.shared_data import data_dir

EU = data_dir() / "anpr" / "openalpr_eu"


def metrica(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "plates", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_read_json_lines_folders_and_an_unreadable_image(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "nested").mkdir(parents=True)
    shutil.copy(EU / "test_002.jpg", photos / "a.jpg")
    shutil.copy(EU / "eu10.jpg", photos / "nested" / "b.JPG")
    (photos / "notes.txt").write_text("not an image, not looked at")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG but not really")
    done = metrica("read", str(broken), str(photos), "--json")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert str(broken) in done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["image"] for line in lines] == [
        str(photos / "a.jpg"),
        str(photos / "nested/b.JPG"),
    ]
    for line in lines:
        assert set(line) == {"image", "plates"}
        assert line["plates"], line
        for plate in line["plates"]:
            assert set(plate) == {"text", "confidence", "box"}
            assert isinstance(plate["text"], str)
            assert 0 < plate["confidence"] <= 1
            assert len(plate["box"]) == 4
            assert all(isinstance(v, int) for v in plate["box"])
    assert fold(lines[0]["plates"][0]["text"]) == "RK755AJ"
    assert fold(lines[1]["plates"][0]["text"]) == fold("WA56660")


def test_read_table_and_an_image_without_plates(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.full((240, 320, 3), 200, np.uint8))
    done = metrica("read", str(EU / "test_002.jpg"), str(empty))
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].split()[:3] == ["IMAGE", "PLATE", "CONF"]
    assert "RK755AJ" in rows[1]
    assert rows[1].startswith(str(EU / "test_002.jpg"))
    assert rows[2].split() == [str(empty), "-"]
    done = metrica("read", str(empty), "--json")
    assert json.loads(done.stdout) == {"image": str(empty), "plates": []}


def test_scan_writes_one_voted_event_per_vehicle(tmp_path: Path) -> None:
    photo = read_image(EU / "test_002.jpg")
    clip = write_clip(list(degraded_views(photo, frames=10, seed=3)), tmp_path / "clip.mp4")
    events, crops = tmp_path / "plates.jsonl", tmp_path / "crops"
    done = metrica("scan", str(clip), "--events", str(events), "--crops", str(crops),
                   "--sample-fps", "10")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "frames 10/10" in done.stderr
    written = [json.loads(line) for line in events.read_text().splitlines()]
    assert len(written) == 1, written
    event = written[0]
    assert fold(event["text"]) == "RK755AJ"
    assert event["normalized"] == event["text"]
    assert event["reads"] >= 3
    assert 0.0 <= event["first_seen_s"] < event["last_seen_s"] <= 1.0
    assert event["vehicle_class"] in {"car", "truck", "bus"}
    assert Path(event["crop"]).read_bytes()[:2] == b"\xff\xd8"


def test_scan_of_a_missing_video_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = metrica("scan", str(tmp_path / "none.mp4"))
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1]
        == f"metrica plates: error: video not found: {tmp_path / 'none.mp4'}"
    )
