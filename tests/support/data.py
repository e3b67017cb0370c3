"""Paths into ../shared/data (override with METRICA_DATA_DIR): clips, models, truth files."""

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from metrica.evaluation.truth import TruthFile, data_dir, load_truth

DATA = data_dir()
VIDEOS_DIR = DATA / "videos"
MODELS_DIR = DATA / "models"
YOLOX_NANO = MODELS_DIR / "yolox_nano.onnx"
YOLOV8N_INT8 = MODELS_DIR / "yolov8n_int8_dynamic.onnx"


def video(name: str) -> Path:
    return VIDEOS_DIR / name


def truth(name: str) -> TruthFile:
    """A clip's hand-checked crossings and lines, `truth/<name>.json`."""
    return load_truth(DATA / "truth" / f"{name}.json")


# The busy overhead clip the worker and system tests run on, with its hand-checked lines.
PLAZA = truth("overhead_plaza")


def plaza_frame(index: int = 125) -> npt.NDArray[np.uint8]:
    """One decoded frame of the overhead plaza clip (busy: 20-30 people)."""
    capture = cv2.VideoCapture(str(video("overhead_plaza.mp4")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, image = capture.read()
    capture.release()
    assert ok
    return np.asarray(image, np.uint8)
