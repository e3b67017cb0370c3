"""Detections as parallel numpy arrays, the currency between detector and tracker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Detections:
    """Boxes found in one frame.

    Attributes:
        xyxy: array of shape `(n, 4)`, pixel corners (x1, y1, x2, y2) in the source frame.
        confidence: array of shape `(n,)`, scores in 0..1.
        class_id: array of shape `(n,)`, COCO class ids (0 = person).
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4) or self.confidence.shape != (n,):
            raise ValueError(f"inconsistent shapes {self.xyxy.shape} / {self.confidence.shape}")
        if self.class_id.shape != (n,):
            raise ValueError(f"class_id shape {self.class_id.shape} != ({n},)")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0,), np.int64)
        )

    def filter(self, mask: npt.NDArray[np.bool_]) -> Detections:
        return Detections(self.xyxy[mask], self.confidence[mask], self.class_id[mask])
