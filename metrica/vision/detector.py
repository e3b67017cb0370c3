"""Object detection with ONNX Runtime on the CPU, for YOLO-family exports.

The decoder is picked from the model's own output shape: YOLOX exports give raw grid
outputs `(1, N, 5 + classes)` with objectness; Ultralytics YOLOv8/11 exports give
`(1, 4 + classes, N)` without objectness. Both get letterbox preprocessing and NMS.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from metrica.vision.detections import Detections, FloatArray
from metrica.vision.providers import Providers

PERSON = 0
ModelFamily = Literal["yolox", "ultralytics"]


class DetectorError(ValueError):
    """A model that cannot be loaded or understood."""


class Detector(Protocol):
    """Anything that turns a BGR frame into detections in that frame's pixels."""

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections: ...


@dataclass(frozen=True)
class DetectorConfig:
    """Detector thresholds; defaults suit people seen by overhead and oblique CCTV."""

    score_threshold: float = 0.25
    nms_iou: float = 0.5
    classes: Sequence[int] = (PERSON,)
    threads: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    # Long side of the model input in pixels (a multiple of 32). None = automatic:
    # AUTO_INPUT_SIZE when the model accepts any size, else the size it was exported for.
    input_size: int | None = None
    # Letterbox to the frame's aspect ratio instead of a square: a 16:9 frame then costs
    # ~40 % less compute at the same scale. Needs a graph without baked-in sizes.
    rect: bool = True
    # ONNX Runtime's worker threads spin while waiting for work by default. On a box
    # whose cores are busy (several cameras, or anything else) that burns CPU: measured
    # on 2 busy cores, 2 threads spinning cost 50 ms of CPU and 143 ms of wall time per
    # 640 frame, not spinning 24 ms and 33 ms (1 thread: 23 ms, 48 ms). Out of the repr:
    # it changes no detection, so the evaluation's detection cache key ignores it.
    spin_wait: bool = field(default=False, repr=False)


STRIDE = 32
# Measured on the shared truth clips with YOLOX-Nano (see README): 640 finds the small,
# far people that 416 misses and gives steadier boxes, for ~25 % more compute than a
# 416×416 square on a 16:9 stream.
AUTO_INPUT_SIZE = 640


def input_shape_for(frame_hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Model input (h, w) holding a frame scaled so its long side is `long_side`."""
    height, width = frame_hw
    scale = long_side / max(height, width)
    return (
        math.ceil(height * scale / STRIDE) * STRIDE,
        math.ceil(width * scale / STRIDE) * STRIDE,
    )


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was resized and padded into the model's input."""

    scale: float
    pad_x: float
    pad_y: float

    def to_source(self, xyxy: FloatArray) -> FloatArray:
        """Map boxes from model-input pixels back to source-frame pixels."""
        out = xyxy.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        return out


def letterbox(
    image: npt.NDArray[np.uint8], size_hw: tuple[int, int], *, centred: bool
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Resize keeping aspect ratio, pad with grey 114 to `size_hw`."""
    height, width = image.shape[:2]
    target_h, target_w = size_hw
    scale = min(target_h / height, target_w / width)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((target_h, target_w, 3), 114, np.uint8)
    pad_x = (target_w - new_w) // 2 if centred else 0
    pad_y = (target_h - new_h) // 2 if centred else 0
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return canvas, Letterbox(scale, float(pad_x), float(pad_y))


def yolox_grid(size_hw: tuple[int, int], strides: Sequence[int] = (8, 16, 32)) -> FloatArray:
    """Per-anchor (grid_x, grid_y, stride) rows, in YOLOX output order. Shape `(N, 3)`."""
    rows = []
    for stride in strides:
        gh, gw = size_hw[0] // stride, size_hw[1] // stride
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        rows.append(np.stack([xs.ravel(), ys.ravel(), np.full(gh * gw, stride)], axis=1))
    return np.concatenate(rows).astype(np.float32)


def decode_yolox_boxes(raw: FloatArray, grid: FloatArray) -> FloatArray:
    """Raw YOLOX rows `(N, 4+)` and their grid rows → boxes xyxy `(N, 4)` in input pixels."""
    stride = grid[:, 2:3]
    centre = (raw[:, 0:2] + grid[:, 0:2]) * stride
    half = np.exp(np.minimum(raw[:, 2:4], 10.0)) * stride / 2
    return np.concatenate([centre - half, centre + half], axis=1)


def xywh_to_xyxy(xywh: FloatArray) -> FloatArray:
    """Centre-size boxes `(N, 4)` → corner boxes `(N, 4)`."""
    centre, size = xywh[:, 0:2], xywh[:, 2:4]
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def non_max_suppression(
    boxes: FloatArray, scores: FloatArray, class_ids: npt.NDArray[np.int64], iou: float
) -> npt.NDArray[np.int64]:
    """Indices kept by per-class NMS (boxes offset per class so classes never suppress)."""
    if len(boxes) == 0:
        return np.zeros((0,), np.int64)
    offset = class_ids[:, None].astype(np.float32) * 8192.0
    shifted = boxes + offset
    xywh = np.concatenate([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), 0.0, iou)
    return np.asarray(keep, np.int64).reshape(-1)


class OnnxDetector:
    """A YOLOX or Ultralytics ONNX model on ONNX Runtime."""

    def __init__(
        self,
        model_path: Path,
        config: DetectorConfig | None = None,
        providers: Providers = ("CPUExecutionProvider",),
    ) -> None:
        self.config = config or DetectorConfig()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.config.threads
        options.inter_op_num_threads = 1
        if not self.config.spin_wait:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=list(providers)
            )
        except Exception as exc:  # onnxruntime raises several unrelated types
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise DetectorError(f"cannot load model {model_path}: {first_line}") from None
        asked = providers[0] if isinstance(providers[0], str) else providers[0][0]
        if asked not in self._session.get_providers():  # ONNX Runtime fell back quietly
            raise DetectorError(
                f"{asked} did not start for {model_path} (running on "
                f"{', '.join(self._session.get_providers())}); check the GPU driver and "
                "libraries ONNX Runtime's documentation lists for it"
            )
        model_input = self._session.get_inputs()[0]
        shape = model_input.shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
            raise DetectorError(f"model {model_path}: expected a fixed NCHW input, got {shape}")
        self._input_name: str = model_input.name
        self.native_hw: tuple[int, int] = (int(shape[2]), int(shape[3]))
        self.family = self._family(self._session.get_outputs()[0].shape, model_path)
        requested = self.config.input_size
        if requested is not None and (requested % STRIDE or requested < STRIDE):
            raise DetectorError(f"input size {requested}: must be a positive multiple of {STRIDE}")
        native = max(self.native_hw)
        self.flexible = False
        if self.config.rect or (requested or AUTO_INPUT_SIZE) != native:
            self.flexible = self._free_input_size(model_path, options, providers)
        if requested is not None and requested != native and not self.flexible:
            raise DetectorError(
                f"model {model_path} only runs at its exported input size "
                f"{self.native_hw[1]}x{self.native_hw[0]}; export it with dynamic axes "
                "to use another input size"
            )
        self.long_side = requested or (AUTO_INPUT_SIZE if self.flexible else native)
        self._grids: dict[tuple[int, int], FloatArray] = {}

    def _free_input_size(
        self,
        model_path: Path,
        options: ort.SessionOptions,
        providers: Providers,
    ) -> bool:
        """Swap in a session that accepts any input size, if the graph allows it."""
        from metrica.vision.onnx_shapes import with_free_spatial_dims

        quiet = ort.SessionOptions()  # a failing probe is expected, not worth a log line
        quiet.intra_op_num_threads = options.intra_op_num_threads
        quiet.inter_op_num_threads = options.inter_op_num_threads
        if not self.config.spin_wait:
            quiet.add_session_config_entry("session.intra_op.allow_spinning", "0")
        quiet.log_severity_level = 4
        probe_h = max(STRIDE, self.native_hw[0] // 2 // STRIDE * STRIDE)
        try:
            session = ort.InferenceSession(
                with_free_spatial_dims(model_path), sess_options=quiet, providers=list(providers)
            )
            probe = np.zeros((1, 3, probe_h, self.native_hw[1]), np.float32)
            session.run(None, {self._input_name: probe})
        except Exception:  # a graph with baked-in shapes fails in many ways
            return False
        self._session = session
        return True

    def input_hw_for(self, frame_hw: tuple[int, int]) -> tuple[int, int]:
        """The model input size used for frames of this size."""
        if not self.flexible:
            return self.native_hw
        if self.config.rect:
            return input_shape_for(frame_hw, self.long_side)
        return (self.long_side, self.long_side)

    def _grid_for(self, input_hw: tuple[int, int]) -> FloatArray:
        grid = self._grids.get(input_hw)
        if grid is None:
            grid = self._grids[input_hw] = yolox_grid(input_hw)
        return grid

    @staticmethod
    def _family(output_shape: Sequence[Any], model_path: Path) -> ModelFamily:
        if len(output_shape) == 3 and isinstance(output_shape[2], int) and output_shape[2] > 5:
            if isinstance(output_shape[1], int) and output_shape[1] < output_shape[2]:
                return "ultralytics"
            return "yolox"
        raise DetectorError(f"model {model_path}: unrecognised output shape {output_shape}")

    def preprocess(self, image_bgr: npt.NDArray[np.uint8]) -> tuple[FloatArray, Letterbox]:
        """The model's input tensor for a frame (letterboxed, NCHW float32) and its mapping."""
        yolox = self.family == "yolox"
        input_hw = self.input_hw_for(image_bgr.shape[:2])
        canvas, box = letterbox(image_bgr, input_hw, centred=not yolox)
        # HWC uint8 → NCHW float32 in one OpenCV pass (measured 20 % faster than NumPy).
        if yolox:  # YOLOX is trained on BGR 0..255
            blob = cv2.dnn.blobFromImage(canvas)
        else:  # Ultralytics expects RGB 0..1
            blob = cv2.dnn.blobFromImage(canvas, scalefactor=1 / 255.0, swapRB=True)
        return np.asarray(blob, np.float32), box

    @property
    def input_name(self) -> str:
        return self._input_name

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        blob, box = self.preprocess(image_bgr)
        raw = self._session.run(None, {self._input_name: blob})[0][0]
        grid = self._grid_for((blob.shape[2], blob.shape[3])) if self.family == "yolox" else None
        return self._postprocess(raw, box, grid)

    def _postprocess(self, raw: FloatArray, box: Letterbox, grid: FloatArray | None) -> Detections:
        """Score the wanted classes first, then decode only the boxes that pass."""
        cfg = self.config
        wanted = np.asarray(cfg.classes, np.int64)
        if grid is not None:  # YOLOX rows: cx, cy, w, h, objectness, class scores
            class_scores = raw[:, 5 + wanted] * raw[:, 4:5]
        else:  # Ultralytics columns: cx, cy, w, h, class scores
            raw = raw.T
            class_scores = raw[:, 4 + wanted]
        best = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(best)), best].astype(np.float32)
        mask = scores >= cfg.score_threshold
        scores, class_ids = scores[mask], wanted[best[mask]]
        boxes = (
            decode_yolox_boxes(raw[mask], grid[mask])
            if grid is not None
            else xywh_to_xyxy(raw[mask, :4])
        )
        keep = non_max_suppression(boxes, scores, class_ids, cfg.nms_iou)
        return Detections(
            box.to_source(boxes[keep]).astype(np.float32), scores[keep], class_ids[keep]
        )
