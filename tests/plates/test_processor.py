"""`PlateUploadProcessor`, the plate service's contract: a photo gives one `PlateFound`
per plate, a video one per vehicle track, the same again when processed again."""

from pathlib import Path

import pytest

from metrica.domain.plates import PlateFound, UploadProcessor
from metrica.plates.chars import fold
from metrica.plates.processor import PlateUploadProcessor, read_image
from metrica.plates.reader import PlateReader
from metrica.plates.scan import ScanConfig
from metrica.plates.synthetic import degraded_views, write_clip
from metrica.vision.shared_data import data_dir

EU = data_dir() / "anpr" / "openalpr_eu"


@pytest.fixture(scope="module")
def processor(reader: PlateReader) -> UploadProcessor:
    return PlateUploadProcessor(reader, scan=ScanConfig(sample_fps=10.0))


def run(
    processor: UploadProcessor, path: Path, kind: str
) -> tuple[list[PlateFound], list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    found = list(processor.process(path, kind, lambda done, total: calls.append((done, total))))  # type: ignore[arg-type]
    return found, calls


def test_a_photo_gives_its_plate(processor: UploadProcessor) -> None:
    found, progress = run(processor, EU / "test_002.jpg", "image")
    assert len(found) == 1
    plate = found[0]
    assert (plate.track_key, plate.normalized) == (0, "RK755AJ")
    assert plate.first_seen_s == plate.last_seen_s == 0.0
    assert plate.crop_jpeg[:2] == b"\xff\xd8"
    assert 0 < plate.confidence <= 1
    assert progress == [(1, 1)]


def test_a_video_gives_one_plate_per_track_the_same_each_time(
    processor: UploadProcessor, tmp_path: Path
) -> None:
    views = list(degraded_views(read_image(EU / "test_004.jpg"), frames=10, seed=5))
    clip = write_clip(views, tmp_path / "clip.mp4")
    found, progress = run(processor, clip, "video")
    assert len(found) == 1, found
    assert fold(found[0].normalized) == "RK115AN"
    assert found[0].track_key == 0
    assert found[0].vehicle_class != "unknown"
    assert progress[-1] == (10, 10)
    again, _ = run(processor, clip, "video")
    assert again == found


def test_an_unreadable_upload_is_a_value_error(processor: UploadProcessor, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(ValueError, match="cannot decode video"):
        run(processor, junk, "video")
    with pytest.raises(ValueError, match="not a readable image"):
        run(processor, junk, "image")
