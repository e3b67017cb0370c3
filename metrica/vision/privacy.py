"""People made unrecognisable in a frame before it leaves the box (calibration snapshots).

Each detected person's box, padded on every side (detector boxes hug the body; hair,
hands and bags stick out), is pixelated into coarse blocks and then blurred: faces,
clothing patterns and text on them are gone, while the scene (floor, doors, where the
counting line goes) stays readable for calibration.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from metrica.vision.detector import Detector

Image = npt.NDArray[np.uint8]
PAD_FRACTION = 0.15
BLOCKS_ACROSS = 6  # a person's box becomes at most this many blocks wide


def padded_boxes(
    boxes_xyxy: npt.NDArray[np.floating], shape: tuple[int, ...], pad_fraction: float = PAD_FRACTION
) -> list[tuple[int, int, int, int]]:
    """Boxes `(n, 4)` grown by `pad_fraction` of their size, clipped to the frame, as ints."""
    height, width = shape[:2]
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes_xyxy, dtype=float).reshape(-1, 4):
        if not np.all(np.isfinite([x1, y1, x2, y2])):
            continue
        pad_x, pad_y = (x2 - x1) * pad_fraction, (y2 - y1) * pad_fraction
        left, top = max(0, int(np.floor(x1 - pad_x))), max(0, int(np.floor(y1 - pad_y)))
        right = min(width, int(np.ceil(x2 + pad_x)))
        bottom = min(height, int(np.ceil(y2 + pad_y)))
        if right > left and bottom > top:
            out.append((left, top, right, bottom))
    return out


def blur_regions(image: Image, boxes: list[tuple[int, int, int, int]]) -> Image:
    """A copy of `image` with each box pixelated and blurred."""
    out = image.copy()
    for left, top, right, bottom in boxes:
        region = out[top:bottom, left:right]
        h, w = region.shape[:2]
        small_w = max(1, min(BLOCKS_ACROSS, w))
        small_h = max(1, round(small_w * h / w))
        small = cv2.resize(region, (small_w, small_h), interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        kernel = max(3, (min(w, h) // 4) | 1)
        out[top:bottom, left:right] = cv2.GaussianBlur(blocky, (kernel, kernel), 0)
    return out


def blur_people(image: Image, detector: Detector) -> tuple[Image, int]:
    """`image` with every person the detector finds blurred, and how many it found."""
    detections = detector.detect(image)
    boxes = padded_boxes(detections.xyxy, image.shape)
    return blur_regions(image, boxes), len(boxes)
