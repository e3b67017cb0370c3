"""Short clips made from a still photo: a camera drifting and zooming towards the car,
with the blur, noise and compression of real CCTV. Deterministic for a seed.

The voting benchmark and the scan tests use them: each frame is a slightly different,
degraded view of one plate whose text is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from metrica.plates.ocr import Image


def degraded_views(
    photo: Image, frames: int = 12, seed: int = 0, out_width: int | None = None
) -> Iterator[Image]:
    """`frames` views of `photo`: a window zooming from 85 % to 100 % of the frame with a
    random drift, scaled to `out_width` (default: 3/4 of the photo's width, 640 to 1280 pixels,
    so the plate stays about as legible as a CCTV frame's), then blurred, noised and
    JPEG-compressed by random amounts."""
    rng = np.random.default_rng(seed)
    h, w = photo.shape[:2]
    out_width = out_width or min(1280, max(640, round(w * 0.75) // 2 * 2))
    out_h = round(out_width * h / w)
    for i in range(frames):
        zoom = 0.85 + 0.15 * i / max(1, frames - 1)
        cw, ch = w * zoom, h * zoom
        cx = (w - cw) / 2 + rng.uniform(-0.5, 0.5) * (w - cw)
        cy = (h - ch) / 2 + rng.uniform(-0.5, 0.5) * (h - ch)
        src = np.array([[cx, cy], [cx + cw, cy], [cx, cy + ch]], np.float32)
        dst = np.array([[0, 0], [out_width, 0], [0, out_h]], np.float32)
        view = cv2.warpAffine(
            photo, cv2.getAffineTransform(src, dst), (out_width, out_h), flags=cv2.INTER_AREA
        )
        sigma = rng.uniform(0.3, 1.4)
        view = cv2.GaussianBlur(view, (0, 0), sigma)
        if rng.random() < 0.5:  # horizontal motion blur
            length = int(rng.integers(3, 8))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            view = cv2.filter2D(view, -1, kernel)
        noise = rng.normal(0.0, rng.uniform(2.0, 9.0), view.shape)
        view = np.clip(view.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        quality = int(rng.integers(30, 75))
        ok, data = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, quality])
        yield np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8) if ok else view


def write_clip(views: list[Image], path: Path, fps: float = 10.0) -> Path:
    """Frames as an MP4 (mpeg4) file that OpenCV reads back."""
    h, w = views[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    try:
        for view in views:
            writer.write(view)
    finally:
        writer.release()
    return path
