"""Build a `PlateReader` from settings: detector, OCR engine, region templates.

Every file is resolved locally and checked at start (a missing model or a template file
that does not parse is one clear `PlateSetupError`), never downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from metrica.plates.ocr import load_ocr_engine
from metrica.plates.ocr_models import OcrModelError, OcrModelFiles
from metrica.plates.reader import VEHICLE_CLASSES, PlateReader, ReaderConfig
from metrica.plates.templates import BUILTIN_TEMPLATES, merge_templates, select_regions
from metrica.vision.detector import DetectorConfig, DetectorError, OnnxDetector
from metrica.vision.models import ModelError, resolve_model


class PlateSetupError(ValueError):
    """The reader cannot start: a model or template file is missing or wrong."""


@dataclass(frozen=True)
class PlateSettings:
    """What the reader is built from; every field has a working default."""

    vehicle_model: str | None = None  # name or path, as `--model` (default yolox-nano)
    ocr_files: OcrModelFiles | None = None  # None = the rapidocr wheel's PP-OCRv6 pair
    templates_file: Path | None = None  # YAML or JSON: {region: [pattern, ...]}
    regions: Sequence[str] | None = None  # only these regions' templates (None = all)
    threads: int = 2
    text_long_side: int = 800  # text detector input; 640 is ~30 % cheaper, misses small text
    # Vehicle detector input (long side; None = the detector's default, 640). 416 halves
    # its cost (~45 ms CPU) with the same photo figures, but misses vehicles in degraded
    # frames (the voting bench lost a clip). A model exported at a fixed size runs at that.
    vehicle_input_size: int | None = None
    reader: ReaderConfig = field(default_factory=ReaderConfig)


def load_templates_file(path: Path) -> dict[str, list[str]]:
    """`{region: [pattern, ...]}` from a YAML or JSON file (JSON is YAML too)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlateSetupError(f"cannot read templates {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise PlateSetupError(f"templates {path}: not valid YAML/JSON ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
        for k, v in data.items()
    ):
        raise PlateSetupError(f"templates {path}: expected a mapping of region to patterns")
    return data


def _vehicle_detector(settings: PlateSettings) -> OnnxDetector:
    path = resolve_model(settings.vehicle_model)
    config = DetectorConfig(
        score_threshold=0.3,
        classes=tuple(VEHICLE_CLASSES),
        threads=settings.threads,
        input_size=settings.vehicle_input_size,
    )
    try:
        return OnnxDetector(path, config)
    except DetectorError:
        if settings.vehicle_input_size is None:
            raise
        # a fixed-size export refuses other sizes: run it at its own (a wrong file fails again)
        return OnnxDetector(path, replace(config, input_size=None))


def load_reader(settings: PlateSettings | None = None) -> PlateReader:
    """A ready reader (seconds: loads three ONNX models)."""
    settings = settings or PlateSettings()
    try:
        extra = load_templates_file(settings.templates_file) if settings.templates_file else {}
        templates = select_regions(merge_templates(BUILTIN_TEMPLATES, extra), settings.regions)
        ocr = load_ocr_engine(settings.ocr_files, settings.threads, settings.text_long_side)
        detector = _vehicle_detector(settings)
    except (OcrModelError, ModelError, DetectorError, ValueError) as exc:
        raise PlateSetupError(str(exc)) from None
    return PlateReader(ocr, templates, detector, settings.reader)
