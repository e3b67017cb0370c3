"""Int8 static quantisation of the real YOLOX-Nano, calibrated on real frames (kept small:
a few frames at a small input, seconds), and the errors for what cannot be quantised."""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest

from metrica.vision.calibration_frames import calibration_frames, spread
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.quantize import (
    QuantizeConfig,
    QuantizeError,
    chunk_size,
    float_tail,
    prepared_float_graph,
    quantize_yolox,
)
from tests.support.data import YOLOV8N_INT8, YOLOX_NANO, plaza_frame, video

SIZE = 416  # calibrate and detect at the same small size: fast, and what the file is for
CALIBRATION = [video("town_centre_short.mp4")]  # not a scored clip


def iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)

    def area(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])

    return np.asarray(inter / (area(a)[:, None] + area(b)[None, :] - inter), np.float64)


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("int8") / "yolox_nano_int8.onnx"
    messages: list[str] = []
    result = quantize_yolox(
        YOLOX_NANO,
        out,
        calibration_frames(CALIBRATION, 8),
        QuantizeConfig(long_side=SIZE),
        progress=messages.append,
    )
    assert result.path == out
    assert result.frames == 8
    assert any("calibrating on 8 frames" in m for m in messages)
    assert not out.with_name(out.name + ".partial").exists()
    return out


def test_the_int8_model_finds_the_people_fp32_finds(int8_model: Path) -> None:
    model = onnx.load(str(int8_model))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    # int8 weights: the file is well under half the fp32 one
    assert int8_model.stat().st_size < 0.5 * YOLOX_NANO.stat().st_size
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["metrica.quantized_from"] == "yolox_nano.onnx"
    config = DetectorConfig(input_size=SIZE)  # the default score threshold, 0.25
    detector = OnnxDetector(int8_model, config)
    assert detector.flexible
    assert detector.family == "yolox"
    frame = plaza_frame()
    ours = detector.detect(frame)
    reference = OnnxDetector(YOLOX_NANO, config).detect(frame)
    assert len(reference) >= 15  # the plaza is busy at this moment
    assert 0.6 * len(reference) <= len(ours) <= 1.3 * len(reference)
    # Nearly every person fp32 is sure of (score >= 0.4) has an int8 box on it, and the
    # boxes sit tight. (Measured on this frame: 19 of 21, median IoU 0.87.)
    sure = reference.xyxy[reference.confidence >= 0.4]
    overlap = iou(sure, ours.xyxy).max(axis=1)
    assert np.mean(overlap >= 0.5) >= 0.8
    assert float(np.median(overlap)) >= 0.8


def test_the_prediction_tail_stays_float(int8_model: Path) -> None:
    model = onnx.load(str(int8_model))
    produced_by = {o: n for n in model.graph.node for o in n.output}
    output = produced_by[model.graph.output[0].name]
    assert output.op_type == "Transpose"  # no DequantizeLinear in front of the output
    tail = float_tail(prepared_float_graph(YOLOX_NANO))
    assert len(tail) >= 9  # 3 levels x (3 prediction convs, sigmoids, concat)
    assert all(produced_by[i].op_type != "DequantizeLinear" for i in output.input)


def test_an_ultralytics_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QuantizeError, match="only YOLOX"):
        quantize_yolox(YOLOV8N_INT8, tmp_path / "x.onnx", iter([plaza_frame()]))
    assert not (tmp_path / "x.onnx").exists()


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.onnx"
    bogus.write_text("not a model")
    with pytest.raises(QuantizeError, match="cannot load model"):
        quantize_yolox(bogus, tmp_path / "x.onnx", iter([plaza_frame()]))


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(QuantizeError, match="at least 1 frame"):
        quantize_yolox(YOLOX_NANO, tmp_path / "x.onnx", iter([]), QuantizeConfig(long_side=SIZE))
    assert not (tmp_path / "x.onnx").exists()


def test_an_already_quantised_model_is_refused(int8_model: Path, tmp_path: Path) -> None:
    with pytest.raises(QuantizeError, match="already quantised"):
        quantize_yolox(int8_model, tmp_path / "x.onnx", iter([plaza_frame()]))


def test_calibration_frames_spread_evenly_and_refuse_bad_clips(tmp_path: Path) -> None:
    assert spread([100, 10], 5) == [[16, 50, 83], [2, 7]]
    assert spread([3], 10) == [[0, 1, 2]]  # never more than the clip has
    with pytest.raises(QuantizeError, match="at least 1"):
        spread([100], 0)
    frames = list(calibration_frames(CALIBRATION, 3))
    assert len(frames) == 3
    assert frames[0].shape == (388, 690, 3)
    assert not np.array_equal(frames[0], frames[2])
    text = tmp_path / "clip.mp4"
    text.write_text("not a video")
    with pytest.raises(QuantizeError, match="cannot read calibration clip"):
        list(calibration_frames([text], 3))
    with pytest.raises(QuantizeError, match="not found"):
        list(calibration_frames([tmp_path / "missing.mp4"], 3))


def test_chunks_divide_the_frame_count() -> None:
    assert [chunk_size(n) for n in (1, 2, 3, 4, 6, 7, 40)] == [1, 2, 3, 4, 3, 1, 4]
