"""A photo or frame in, its plates out: vehicles → text lines → reads → scored plates.

Plates are searched inside each detected vehicle (the crop keeps the OCR detector's
input small, and the position on the vehicle tells the plate from other lettering);
when no vehicle is found the whole image is searched, for close-ups of a plate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from metrica.domain.plates import VehicleClass
from metrica.plates.chars import CharProbs
from metrica.plates.ocr import Image, LineRead, OcrEngine, TextBox
from metrica.plates.scoring import Candidate, candidate_score
from metrica.plates.templates import MAX_CHARS, fit_templates
from metrica.vision.detector import Detector

VEHICLE_CLASSES: Mapping[int, VehicleClass] = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}
Box = tuple[int, int, int, int]  # x, y, w, h in image pixels


@dataclass(frozen=True)
class ReaderConfig:
    """How much to search and what to report."""

    max_vehicles: int = 3
    min_vehicle_area_rel: float = 0.2  # vehicles this much smaller than the largest: skipped
    min_score: float = 0.25  # candidates below this are not plates
    vehicle_margin: float = 0.04  # crop this much around a vehicle box (fraction of size)
    min_text_px: int = 8  # text lines lower than this are not read
    min_vehicle_px: int = 48  # smaller vehicles carry no readable plate
    max_lines: int = 4  # text lines read per vehicle, the most plate-like first
    max_lines_whole_image: int = 8  # when no vehicle was found: less is known, read more
    lines_per_batch: int = 2
    sure_score: float = 0.75  # a read scoring this stops the search in its vehicle
    stop_at_sure_vehicle: bool = True  # a sure plate on a vehicle: smaller ones not searched


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate in one image."""

    text: str
    confidence: float
    box: Box
    score: float  # candidate score, what orders the plates
    probs: CharProbs = field(repr=False)  # the reading's per-character distributions
    template: str
    vehicle_class: VehicleClass
    vehicle_box: Box


@dataclass(frozen=True, slots=True)
class _Region:
    x0: int
    y0: int
    x1: int
    y1: int
    vehicle_class: VehicleClass
    is_vehicle: bool


def _regions(image: Image, detector: Detector | None, cfg: ReaderConfig) -> list[_Region]:
    h, w = image.shape[:2]
    found: list[_Region] = []
    if detector is not None:
        dets = detector.detect(image)
        areas = (dets.xyxy[:, 2] - dets.xyxy[:, 0]) * (dets.xyxy[:, 3] - dets.xyxy[:, 1])
        for i in np.argsort(-areas)[: cfg.max_vehicles]:
            if areas[i] < cfg.min_vehicle_area_rel * areas.max():  # a car far behind
                break
            x0, y0, x1, y1 = dets.xyxy[i]
            mx, my = (x1 - x0) * cfg.vehicle_margin, (y1 - y0) * cfg.vehicle_margin
            box = (max(0, int(x0 - mx)), max(0, int(y0 - my)))
            end = (min(w, int(x1 + mx)), min(h, int(y1 + my)))
            if end[0] - box[0] >= cfg.min_vehicle_px and end[1] - box[1] >= cfg.min_vehicle_px:
                cls = VEHICLE_CLASSES.get(int(dets.class_id[i]), "unknown")
                found.append(_Region(*box, *end, cls, True))
    return found or [_Region(0, 0, w, h, "unknown", False)]


def crop_quad(image: Image, quad: np.ndarray, pad_rel: float = 0.15) -> Image:
    """The text line under `quad`, rectified (rotated or skewed plates come out level),
    widened by `pad_rel` of its height at each end: the detector's box can clip the first
    or last character."""
    quad = quad.astype(np.float32)
    along = quad[1] - quad[0]
    along /= max(float(np.linalg.norm(along)), 1e-6)
    height = float(np.linalg.norm(quad[3] - quad[0]))
    shift = along * pad_rel * height
    quad = np.stack([quad[0] - shift, quad[1] + shift, quad[2] + shift, quad[3] - shift])
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    out = cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, np.uint8)


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


class PlateReader:
    """Reads the plates in BGR images; load once, call `read` per image or frame."""

    def __init__(
        self,
        ocr: OcrEngine,
        templates: Mapping[str, Sequence[str]],
        detector: Detector | None = None,
        config: ReaderConfig | None = None,
    ) -> None:
        self.ocr = ocr
        self.templates = templates
        self.detector = detector
        self.config = config or ReaderConfig()

    def read(self, image: Image) -> list[PlateRead]:
        """Plates in `image`, best first; the same plate found twice is reported once."""
        plates: list[PlateRead] = []
        regions = _regions(image, self.detector, self.config)
        for region in regions:
            plates.extend(self.read_region(image, region))
            if self.config.stop_at_sure_vehicle and any(
                p.score >= self.config.sure_score for p in plates
            ):
                break
        if not plates and regions[0].is_vehicle:  # the detector missed a close-up car
            h, w = image.shape[:2]
            plates = self.read_region(image, _Region(0, 0, w, h, "unknown", False))
        plates.sort(key=lambda p: -p.score)
        kept: list[PlateRead] = []
        for plate in plates:
            if all(_iou(plate.box, k.box) < 0.3 for k in kept):
                kept.append(plate)
        return kept

    def read_vehicle(
        self, image: Image, xyxy: tuple[float, float, float, float], vehicle_class: VehicleClass
    ) -> list[PlateRead]:
        """Plates inside one vehicle's box (from a tracker), best first."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = xyxy
        mx, my = (x1 - x0) * self.config.vehicle_margin, (y1 - y0) * self.config.vehicle_margin
        region = _Region(
            max(0, int(x0 - mx)),
            max(0, int(y0 - my)),
            min(w, int(x1 + mx)),
            min(h, int(y1 + my)),
            vehicle_class,
            True,
        )
        if region.x1 - region.x0 < 16 or region.y1 - region.y0 < 16:
            return []
        return sorted(self.read_region(image, region), key=lambda p: -p.score)

    def read_region(self, image: Image, region: _Region) -> list[PlateRead]:
        """Plates in one region. In a vehicle, lines are read most plate-like first, two at
        a time, until one reads as a sure plate (reading is half the cost)."""
        cfg = self.config
        crop = image[region.y0 : region.y1, region.x0 : region.x1]
        lines = [b for b in self.ocr.finder.find(crop) if self._worth_reading(b)]
        most = cfg.max_lines if region.is_vehicle else cfg.max_lines_whole_image
        lines = sorted(lines, key=lambda b: -_line_prior(b, region))[:most]
        batch = cfg.lines_per_batch if region.is_vehicle else len(lines)
        out: list[PlateRead] = []
        for start in range(0, len(lines), max(batch, 1)):
            group = lines[start : start + batch]
            reads = self.ocr.reader.read([crop_quad(crop, b.quad) for b in group])
            for line, read in zip(group, reads, strict=True):
                plate = self._score(line, read, region)
                if plate is not None and plate.score >= cfg.min_score:
                    out.append(plate)
            if region.is_vehicle and any(p.score >= cfg.sure_score for p in out):
                break
        if region.is_vehicle:  # a vehicle shows one plate: the rest is other lettering
            return sorted(out, key=lambda p: -p.score)[:1]
        return out

    def _worth_reading(self, box: TextBox) -> bool:
        height = _quad_height(box)
        width = float(np.linalg.norm(box.quad[0] - box.quad[1]))
        return height >= self.config.min_text_px and 0.8 <= width / height <= 10.0

    def _score(self, line: TextBox, read: LineRead, region: _Region) -> PlateRead | None:
        if not read.text or len(read.text) > MAX_CHARS + 1:
            return None
        fit = fit_templates(read.probs, self.templates)
        xs, ys = line.quad[:, 0], line.quad[:, 1]
        x0, y0 = float(xs.min()), float(ys.min())
        w, h = float(xs.max()) - x0, float(ys.max()) - y0
        rw, rh = region.x1 - region.x0, region.y1 - region.y0
        candidate = Candidate(
            text=fit.text,
            read_confidence=read.confidence,
            templated=fit.template != "free",
            aspect=w / max(h, 1.0),
            centre_x_rel=(x0 + w / 2) / rw,
            centre_y_rel=(y0 + h / 2) / rh,
            height_rel=h / rh,
            in_vehicle=region.is_vehicle,
        )
        confidence = fit.score ** (1.0 / len(fit.text))
        return PlateRead(
            text=fit.text,
            confidence=round(confidence, 4),
            box=(round(region.x0 + x0), round(region.y0 + y0), round(w), round(h)),
            score=candidate_score(candidate),
            probs=read.probs,
            template=fit.template,
            vehicle_class=region.vehicle_class,
            vehicle_box=(region.x0, region.y0, rw, rh),
        )


def _line_prior(box: TextBox, region: _Region) -> float:
    """How plate-like a text line looks before it is read: shape and place only."""
    xs, ys = box.quad[:, 0], box.quad[:, 1]
    w, h = float(xs.max() - xs.min()), float(ys.max() - ys.min())
    probe = Candidate(
        text="AB123",
        read_confidence=box.score,
        templated=True,
        aspect=w / max(h, 1.0),
        centre_x_rel=float(xs.mean()) / max(region.x1 - region.x0, 1),
        centre_y_rel=float(ys.mean()) / max(region.y1 - region.y0, 1),
        height_rel=h / max(region.y1 - region.y0, 1),
        in_vehicle=region.is_vehicle,
    )
    return candidate_score(probe)


def _quad_height(box: TextBox) -> float:
    q = box.quad
    return float(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))
