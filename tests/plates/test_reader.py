"""The reader on real photos from the shared openalpr set: plate text and box."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from metrica.plates.chars import fold
from metrica.plates.ocr import OcrEngine, TextBox
from metrica.plates.processor import read_image
from metrica.plates.reader import PlateReader
from metrica.plates.truth import PlateTruth, box_found, load_truth_dir
from metrica.vision.shared_data import data_dir

ANPR = data_dir() / "anpr"
# Photos that read right today, US and EU, with and without a template fit.
PHOTOS = [
    ("openalpr_eu", "test_002.jpg"),  # LLDDDLL
    ("openalpr_eu", "eu10.jpg"),
    ("openalpr_us", "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg"),
    ("openalpr_us", "1e241dc8-8f18-4955-8988-03a0ab49f813.jpg"),
    ("openalpr_us", "car6.jpg"),  # a van with a phone number and lettering around the plate
]


def truth_for(folder: str, name: str) -> PlateTruth:
    return next(t for t in load_truth_dir(ANPR / folder) if t.image.name == name)


@pytest.mark.parametrize(("folder", "name"), PHOTOS)
def test_reads_the_plate_of_a_real_photo(reader: PlateReader, folder: str, name: str) -> None:
    truth = truth_for(folder, name)
    plates = reader.read(read_image(truth.image))
    assert plates, f"no plate found in {name}"
    assert fold(plates[0].text) == fold(truth.text)
    assert box_found(plates[0].box, truth.box), (plates[0].box, truth.box)
    assert 0.0 < plates[0].confidence <= 1.0
    assert plates[0].vehicle_class in {"car", "bus", "truck", "motorcycle", "unknown"}


def test_an_image_without_a_plate_gives_none(reader: PlateReader) -> None:
    grey = np.full((480, 640, 3), 128, np.uint8)
    assert reader.read(grey) == []


def test_a_file_that_is_not_an_image_is_a_value_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="not a readable image"):
        read_image(bad)
    with pytest.raises(ValueError, match="cannot read"):
        read_image(tmp_path / "missing.jpg")


def test_a_sure_plate_on_the_largest_vehicle_ends_the_search(reader: PlateReader) -> None:
    """eu11 shows two vehicles; the first one's plate is sure, so the second is not
    searched, and the answer is the one a full search gives."""
    image = read_image(data_dir() / "anpr" / "openalpr_eu" / "eu11.jpg")
    searched: list[tuple[int, ...]] = []

    class CountingFinder:
        def find(self, crop: np.ndarray) -> list[TextBox]:
            searched.append(crop.shape)
            return reader.ocr.finder.find(crop)

    texts = []
    for stop in (True, False):
        config = replace(reader.config, stop_at_sure_vehicle=stop)
        engine = OcrEngine(CountingFinder(), reader.ocr.reader)
        counting = PlateReader(engine, reader.templates, reader.detector, config)
        searched.clear()
        plates = counting.read(image)
        texts.append((len(searched), plates[0].text, plates[0].box))
    (stopped, text, box), (full, full_text, full_box) = texts
    assert stopped == 1 < full
    assert (text, box) == (full_text, full_box)
    assert text == "BS47040"
