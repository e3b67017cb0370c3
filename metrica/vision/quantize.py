"""Int8 static quantisation of a YOLOX ONNX model, calibrated on real frames.

The fp32 graph is first made to accept any input size (`onnx_shapes`) and raised to opset
13 (per-channel weights need `axis` on QuantizeLinear/DequantizeLinear), then ONNX Runtime
quantises it in QDQ form: int8 weights per output channel, uint8 activations (the u8×s8
kernels that AVX-512 VNNI / AVX-VNNI run fastest) with ranges calibrated on frames
letterboxed exactly as the detector feeds them. Ranges are the 99.999th percentile of each
activation's histogram, asymmetric: min/max ranges let a few outliers coarsen everything
else, and symmetric ranges waste half of uint8 on SiLU outputs that are never below −0.28
(measured: docs/int8.md). The prediction tail of the head stays in float: each level's
`Concat` joins box offsets (about ±5) with objectness probabilities (0..1), and one int8
scale for both would round a score to ~0.04 steps. The result keeps the source's declared
input size, so the detector loads it like the original and frees the size itself.

Nothing here reads video: callers pass frames (`metrica.vision.calibration_frames`).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import onnx

from metrica.vision.detections import FloatArray
from metrica.vision.detector import DetectorConfig, DetectorError, OnnxDetector
from metrica.vision.onnx_shapes import with_free_spatial_dims

CalibrationMethod = Literal["percentile", "minmax"]
QDQ_OPSET = 13
# Nodes of a YOLOX export's head that stay float: the per-level prediction convs, the
# sigmoids on objectness/class logits and the concats/reshapes/transpose that assemble
# the output. Names as the official export (torch.onnx) writes them.
FLOAT_TAIL_MARKERS = (
    "_preds.",
    "/head/Sigmoid",
    "/head/Concat",
    "/head/Reshape",
    "/head/Transpose",
)
# The stride-2 depthwise-separable convs (backbone `darkN.0`, the PAN's `bu_conv*`) also
# stay float: quantised, each lost ~10 dB of signal-to-noise at its pointwise conv, and
# keeping them float lifted the pooled F1 of the int8 model from 0.886 to 0.905 at no
# measurable CPU cost (docs/int8.md).
FLOAT_DOWNSAMPLE_MARKERS = (
    "/dark2/dark2.0/",
    "/dark3/dark3.0/",
    "/dark4/dark4.0/",
    "/dark5/dark5.0/",
    "/bu_conv",
)
# Histogram calibration keeps every activation of the frames it is given in memory
# (~190 MB per 384x640 frame); collecting in chunks of this many frames bounds that.
CHUNK_FRAMES = 4


class QuantizeError(ValueError):
    """A model or calibration set that cannot be quantised."""


@dataclass(frozen=True)
class QuantizeConfig:
    """How to quantise; the defaults are what docs/int8.md measured."""

    long_side: int = 640  # calibrate at the input size the detector will run at
    method: CalibrationMethod = "percentile"
    percentile: float = 99.999
    min_frames: int = 1


@dataclass(frozen=True, slots=True)
class QuantizeResult:
    path: Path
    frames: int
    float_nodes: int


def float_tail(model: onnx.ModelProto) -> list[str]:
    """Names of the head's prediction-tail nodes, kept in float."""
    return [n.name for n in model.graph.node if any(m in n.name for m in FLOAT_TAIL_MARKERS)]


def float_nodes(model: onnx.ModelProto) -> list[str]:
    """Every node kept in float: the prediction tail and the downsampling convs."""
    markers = FLOAT_TAIL_MARKERS + FLOAT_DOWNSAMPLE_MARKERS
    return [n.name for n in model.graph.node if any(m in n.name for m in markers)]


def prepared_float_graph(source: Path) -> onnx.ModelProto:
    """The source graph with free input/output sizes, at opset ≥ 13."""
    from onnx import version_converter

    model = onnx.load_from_string(with_free_spatial_dims(source))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < QDQ_OPSET:
        model = version_converter.convert_version(model, QDQ_OPSET)
    return model


def restore_declared_io(quantized: onnx.ModelProto, source: onnx.ModelProto) -> None:
    """Give the quantised graph the source's declared input and output shapes back."""
    pairs = zip(
        [*quantized.graph.input[:1], *quantized.graph.output],
        [*source.graph.input[:1], *source.graph.output],
        strict=False,
    )
    for value, original in pairs:
        value.type.CopyFrom(original.type)


class CalibrationBlobs:
    """ONNX Runtime's CalibrationDataReader protocol over preprocessed frames, with the
    `__len__`/`set_range` it uses to collect in chunks (`CalibStridedMinMax`)."""

    def __init__(self, input_name: str, blobs: list[FloatArray]) -> None:
        self._name, self._blobs = input_name, blobs
        self._next, self._end = 0, len(blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._next, self._end = start_index, end_index

    def get_next(self) -> dict[str, FloatArray] | None:
        if self._next >= self._end:
            return None
        self._next += 1
        return {self._name: self._blobs[self._next - 1]}


def chunk_size(frames: int, most: int = CHUNK_FRAMES) -> int:
    """The largest chunk ≤ `most` that divides `frames` (ONNX Runtime requires it)."""
    return next(size for size in range(min(most, frames), 0, -1) if frames % size == 0)


def load_yolox(source: Path, long_side: int) -> OnnxDetector:
    """The source model as a detector, or `QuantizeError` if it is not a size-free YOLOX."""
    try:
        detector = OnnxDetector(source, DetectorConfig(input_size=long_side, threads=1))
    except DetectorError as exc:
        raise QuantizeError(str(exc)) from None
    if detector.family != "yolox" or not detector.flexible:
        size = "free" if detector.flexible else "fixed"
        raise QuantizeError(
            f"model {source}: only YOLOX exports whose input size can be freed are supported "
            f"(this one is {detector.family}, {size} input size)"
        )
    return detector


def quantize_yolox(
    source: Path,
    output: Path,
    frames: Iterable[npt.NDArray[np.uint8]],
    config: QuantizeConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> QuantizeResult:
    """Quantise the fp32 YOLOX model at `source` into `output`, calibrated on BGR `frames`.

    Raises `QuantizeError` for a model that is not an fp32, size-free YOLOX export, or for
    fewer than `config.min_frames` frames. `output` appears whole or not at all.
    """
    from onnxruntime.quantization import CalibrationMethod as OrtMethod
    from onnxruntime.quantization import QuantFormat, QuantType, quant_pre_process, quantize_static

    config = config or QuantizeConfig()
    say = progress or (lambda _message: None)
    detector = load_yolox(source, config.long_side)
    original = onnx.load(str(source), load_external_data=False)
    if any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in original.graph.node):
        raise QuantizeError(f"model {source} is already quantised")
    blobs = []
    for frame in frames:
        blobs.append(detector.preprocess(frame)[0])
        if len(blobs) % 10 == 0:
            say(f"calibration frames: {len(blobs)}")
    if len(blobs) < max(1, config.min_frames):
        raise QuantizeError(
            f"calibration needs at least {max(1, config.min_frames)} frame(s), got {len(blobs)}"
        )
    say(f"calibrating on {len(blobs)} frames at {config.long_side} px ({config.method})")
    method = OrtMethod.Percentile if config.method == "percentile" else OrtMethod.MinMax
    with tempfile.TemporaryDirectory(prefix="metrica-quant-") as work:
        prepared_path, float_path = Path(work) / "prepared.onnx", Path(work) / "float.onnx"
        prepared = prepared_float_graph(source)
        onnx.save(prepared, str(prepared_path))
        # Constant folding and shape inference (symbolic inference cannot follow free sizes).
        quant_pre_process(str(prepared_path), str(float_path), skip_symbolic_shape=True)
        kept = float_nodes(onnx.load(str(float_path)))
        partial = Path(work) / "int8.onnx"
        # ONNX Runtime prints its calibration steps; keep stdout for what callers print.
        with contextlib.redirect_stdout(sys.stderr):
            quantize_static(
                str(float_path),
                str(partial),
                CalibrationBlobs(detector.input_name, blobs),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=kept,
                calibrate_method=method,
                extra_options={
                    "CalibPercentile": config.percentile,
                    "CalibTensorRangeSymmetric": False,
                    "CalibStridedMinMax": chunk_size(len(blobs)),
                },
            )
        quantized = onnx.load(str(partial))
    restore_declared_io(quantized, original)
    stamp(quantized, source, len(blobs), config)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(output.name + ".partial")
    onnx.save(quantized, str(staging))
    staging.replace(output)  # a reader never sees half a model
    return QuantizeResult(output, len(blobs), len(kept))


def stamp(model: onnx.ModelProto, source: Path, frames: int, config: QuantizeConfig) -> None:
    """Record how the file was made in its metadata (ONNX `metadata_props`)."""
    notes = {
        "metrica.quantized_from": source.name,
        "metrica.calibration_frames": str(frames),
        "metrica.calibration": f"{config.method} {config.percentile} @ {config.long_side} px",
    }
    for key, value in notes.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
