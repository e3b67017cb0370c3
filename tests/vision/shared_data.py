"""Paths into ../shared/data (override with METRICA_DATA_DIR) used by the vision tests."""

from pathlib import Path

from metrica.evaluation.truth import data_dir

DATA = data_dir()
YOLOX_NANO = DATA / "models" / "yolox_nano.onnx"
YOLOV8N_INT8 = DATA / "models" / "yolov8n_int8_dynamic.onnx"


def video(name: str) -> Path:
    return DATA / "videos" / name
