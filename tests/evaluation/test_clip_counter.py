"""The audits' real clip counter applies a camera's counting settings: its input size (one
detector loaded per model and size, kept), its stride (only every n-th frame detected),
on a short H.264 clip cut by the worker's recorder; a model it lacks is a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from metrica.domain.audits import CountingSettings
from metrica.edge.recorder import cut_clip
from metrica.evaluation.clip_counter import OnnxClipCounter
from metrica.vision.detector import Detections
from tests.support.data import truth

INDOOR = truth("indoor_one_by_one")
FRAMES = 12  # 1.2 s at 10 fps: enough to see every n-th frame detected


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "indoor.mp4"
    assert cut_clip(INDOOR.clip, path, FRAMES / INDOOR.fps) == FRAMES
    return path


def test_input_size_and_stride_are_the_cameras(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = OnnxClipCounter()
    settings = CountingSettings(input_size=320, stride=3)
    detector = counter.detector_for(settings)
    assert detector.long_side == 320
    assert detector.input_hw_for((432, 768)) == (192, 320)
    assert counter.detector_for(CountingSettings(input_size=320, stride=1)) is detector

    seen: list[tuple[int, int]] = []
    real_detect = detector.detect

    def spy(image: npt.NDArray[np.uint8]) -> Detections:
        seen.append(image.shape[:2])
        return real_detect(image)

    monkeypatch.setattr(detector, "detect", spy)
    result = counter.count(clip, INDOOR.lines, settings)
    assert (result.frames, result.fps, result.width, result.height) == (FRAMES, 10.0, 768, 432)
    assert len(seen) == FRAMES // 3, "frames 0, 3, 6 and 9 only"
    assert result.counted_with == "yolox-nano @ 320, every 3rd frame"

    default = counter.detector_for(CountingSettings())
    assert default is not detector
    assert default.long_side == 640


def test_a_model_it_lacks_is_a_value_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"model 'yolo-absent'.*yolo_absent\.onnx"):
        OnnxClipCounter().count(
            tmp_path / "never-read.mp4", INDOOR.lines, CountingSettings("yolo-absent")
        )
