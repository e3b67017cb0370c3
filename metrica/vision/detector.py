"""Object detection with ONNX Runtime on the CPU, for YOLO-family exports.

The decoder is picked from the model's own output shape: YOLOX exports give raw grid
outputs `(1, N, 5 + classes)` with objectness; Ultralytics YOLOv8/11 exports give
`(1, 4 + classes, N)` without objectness. Both get letterbox preprocessing and NMS.
"""

from __future__ import annotations

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


def decode_yolox(
    raw: FloatArray, grid: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.float32]]:
    """Raw YOLOX `(N, 5+C)` → boxes xyxy `(N, 4)`, objectness `(N,)`, class scores `(N, C)`."""
    stride = grid[:, 2:3]
    centre = (raw[:, 0:2] + grid[:, 0:2]) * stride
    half = np.exp(np.minimum(raw[:, 2:4], 10.0)) * stride / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    return boxes, raw[:, 4], raw[:, 5:]


def decode_ultralytics(raw: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Ultralytics `(4+C, N)` → boxes xyxy `(N, 4)` and class scores `(N, C)`."""
    preds = raw.T
    centre, size = preds[:, 0:2], preds[:, 2:4]
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    return boxes, preds[:, 4:]


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
        providers: Sequence[str] = ("CPUExecutionProvider",),
    ) -> None:
        self.config = config or DetectorConfig()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.config.threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=list(providers)
            )
        except Exception as exc:  # onnxruntime raises several unrelated types
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise DetectorError(f"cannot load model {model_path}: {first_line}") from None
        model_input = self._session.get_inputs()[0]
        shape = model_input.shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
            raise DetectorError(f"model {model_path}: expected a fixed NCHW input, got {shape}")
        self._input_name: str = model_input.name
        self.input_hw: tuple[int, int] = (int(shape[2]), int(shape[3]))
        self.family = self._family(self._session.get_outputs()[0].shape, model_path)
        self._grid = yolox_grid(self.input_hw) if self.family == "yolox" else None

    @staticmethod
    def _family(output_shape: Sequence[Any], model_path: Path) -> ModelFamily:
        if len(output_shape) == 3 and isinstance(output_shape[2], int) and output_shape[2] > 5:
            if isinstance(output_shape[1], int) and output_shape[1] < output_shape[2]:
                return "ultralytics"
            return "yolox"
        raise DetectorError(f"model {model_path}: unrecognised output shape {output_shape}")

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        yolox = self.family == "yolox"
        canvas, box = letterbox(image_bgr, self.input_hw, centred=not yolox)
        if yolox:  # YOLOX is trained on BGR 0..255
            blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        else:  # Ultralytics expects RGB 0..1
            blob = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        raw = self._session.run(None, {self._input_name: np.ascontiguousarray(blob)})[0][0]
        return self._postprocess(raw, box)

    def _postprocess(self, raw: FloatArray, box: Letterbox) -> Detections:
        cfg = self.config
        if self._grid is not None:
            boxes, objectness, class_scores = decode_yolox(raw, self._grid)
            class_scores = class_scores * objectness[:, None]
        else:
            boxes, class_scores = decode_ultralytics(raw)
        wanted = np.asarray(cfg.classes, np.int64)
        scores_wanted = class_scores[:, wanted]
        best = scores_wanted.argmax(axis=1)
        scores = scores_wanted[np.arange(len(best)), best].astype(np.float32)
        mask = scores >= cfg.score_threshold
        boxes, scores, class_ids = boxes[mask], scores[mask], wanted[best[mask]]
        keep = non_max_suppression(boxes, scores, class_ids, cfg.nms_iou)
        return Detections(
            box.to_source(boxes[keep]).astype(np.float32), scores[keep], class_ids[keep]
        )
