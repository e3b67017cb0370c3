"""OCR engines behind two small protocols: find text boxes, read text lines.

The default is PP-OCRv6 from the rapidocr wheel: its DB detector through rapidocr, and
its CTC recogniser run here on ONNX Runtime so that decoding is restricted to plate
characters (A-Z, 0-9) and every character keeps its probabilities over that alphabet.
Those per-character distributions are what the region templates (a letter or a digit
at this position) and the track voting work with. Any PaddleOCR-format detector and
recogniser pair (a plate-specific model a user trained) loads the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from metrica.plates.chars import ALPHABET, CharProbs
from metrica.plates.ocr_models import (
    OcrModelError,
    OcrModelFiles,
    default_model_files,
    verify_model_files,
)

Image = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float32]  # (4, 2) corners, clockwise from top-left, in pixels


@dataclass(frozen=True, slots=True)
class TextBox:
    """A text line found in an image: its corners and the detector's score."""

    quad: Quad
    score: float


@dataclass(frozen=True, slots=True)
class LineRead:
    """One text line read: `probs` is `(len(text), len(ALPHABET))`, one row a character."""

    text: str
    probs: CharProbs
    confidence: float


class TextFinder(Protocol):
    """Finds text lines (plates among them) in a BGR image."""

    def find(self, image_bgr: Image) -> list[TextBox]: ...


class LineReader(Protocol):
    """Reads plate characters from BGR crops of single text lines."""

    def read(self, crops: Sequence[Image]) -> list[LineRead]: ...


def _session(path: Path, threads: int) -> ort.InferenceSession:
    """A CPU session that does not spin: ONNX Runtime's workers otherwise busy-wait between
    operators, which on a machine shared with other work (a server, other jobs) burns
    about 40 % more CPU for the same result and slows the neighbours down."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several unrelated types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OcrModelError(f"cannot load OCR model {path}: {first}") from None


class DbTextFinder:
    """PaddleOCR's DB text detector: the model run here, its box extraction from rapidocr.

    The image is scaled so its long side is at most `long_side` (sides rounded to
    multiples of 32, as PaddleOCR does) and normalised to [-1, 1]; rapidocr's
    `DBPostProcess` (threshold 0.3, box threshold 0.5, unclip 1.6, dilation) turns the
    probability map into quadrilaterals in the image's pixels. Done here rather than
    through `RapidOCR(...)`, whose per-call configuration lookups, float64 normalisation
    and unused line crops cost about a tenth of the detector's time.
    """

    MAX_SIDE = 2000  # larger images are first reduced to this (rapidocr's pipeline does)

    def __init__(self, model: Path, threads: int = 2, long_side: int = 800) -> None:
        from rapidocr.ch_ppocr_det.utils import DBPostProcess

        if not model.is_file():
            raise OcrModelError(f"OCR model file not found: {model}")
        self._session = _session(model, threads)
        self._input_name = self._session.get_inputs()[0].name
        self.long_side = long_side
        self._post = DBPostProcess(
            thresh=0.3, box_thresh=0.5, max_candidates=1000, unclip_ratio=1.6,
            use_dilation=True, score_mode="fast",
        )  # fmt: skip
        try:
            self.find(np.zeros((64, 64, 3), np.uint8))
        except Exception as exc:  # ONNX Runtime's errors are untyped
            raise OcrModelError(f"cannot run OCR detector {model}: {exc}") from None

    def _tensor(self, image: Image) -> npt.NDArray[np.float32] | None:
        h, w = image.shape[:2]
        if max(h, w) > self.MAX_SIDE:
            ratio = self.MAX_SIDE / max(h, w)
            size = (round(int(w * ratio) / 32) * 32, round(int(h * ratio) / 32) * 32)
            image = np.asarray(cv2.resize(image, (max(size[0], 32), max(size[1], 32))), np.uint8)
            h, w = image.shape[:2]
        ratio = min(1.0, self.long_side / max(h, w))
        rh, rw = round(int(h * ratio) / 32) * 32, round(int(w * ratio) / 32) * 32
        if rh <= 0 or rw <= 0:
            return None
        resized = cv2.resize(image, (rw, rh))
        # (x / 255 - 0.5) / 0.5 in one float32 pass, HWC -> NCHW
        blob = cv2.dnn.blobFromImage(resized, scalefactor=2.0 / 255.0, mean=(127.5, 127.5, 127.5))
        return np.asarray(blob, np.float32)

    def find(self, image_bgr: Image) -> list[TextBox]:
        tensor = self._tensor(image_bgr)
        if tensor is None:
            return []
        pred = self._session.run(None, {self._input_name: tensor})[0]
        boxes, scores = self._post(pred, image_bgr.shape[:2])
        return [
            TextBox(np.asarray(quad, np.float32), float(score))
            for quad, score in zip(boxes, scores, strict=True)
        ]


class CtcLineReader:
    """A PaddleOCR CTC recogniser with decoding restricted to `ALPHABET`.

    Probability mass on characters outside the alphabet (punctuation, a state logo read
    as a glyph) counts as blank; lower-case letters count as their capitals.
    """

    HEIGHT = 48
    MIN_WIDTH = 320
    MAX_RATIO = 16.0  # wider lines are squeezed: a plate is never this long

    def __init__(self, model: Path, keys: Path | None = None, threads: int = 2) -> None:
        self._session = _session(model, threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        if "character" in meta:
            characters = meta["character"].splitlines()
        elif keys is not None:
            try:
                characters = keys.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise OcrModelError(f"cannot read keys {keys}: {exc.strerror or exc}") from None
        else:
            raise OcrModelError(f"recogniser {model} has no character list: pass its keys file")
        labels = ["<blank>", *characters, " "]
        classes = self._session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != len(labels):
            raise OcrModelError(
                f"recogniser {model}: {classes} output classes but {len(labels)} labels"
            )
        # Column 0 is blank, column 1 + i is ALPHABET[i]: the sum of the labels that are
        # that character (upper and lower case); blank takes the rest of each step's mass.
        sources: list[list[int]] = [[] for _ in ALPHABET]
        for index, label in enumerate(labels):
            upper = label.upper()
            if len(upper) == 1 and upper in ALPHABET:
                sources[ALPHABET.index(upper)].append(index)
        self._columns = np.array([s[0] for s in sources if s], np.int64)
        self._targets = np.array([1 + i for i, s in enumerate(sources) if s], np.int64)
        self._extra = [(1 + i, np.array(s[1:], np.int64)) for i, s in enumerate(sources) if s[1:]]
        self._input = self._session.get_inputs()[0].name

    def _tensor(self, crop: Image, width: int) -> npt.NDArray[np.float32]:
        h, w = crop.shape[:2]
        resized_w = min(width, math.ceil(self.HEIGHT * w / max(h, 1)))
        resized = cv2.resize(crop, (max(resized_w, 1), self.HEIGHT)).astype(np.float32)
        out = np.zeros((3, self.HEIGHT, width), np.float32)
        out[:, :, : resized.shape[1]] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        return out

    def read(self, crops: Sequence[Image]) -> list[LineRead]:
        if not crops:
            return []
        ratios = [min(c.shape[1] / max(c.shape[0], 1), self.MAX_RATIO) for c in crops]
        width = max(self.MIN_WIDTH, math.ceil(self.HEIGHT * max(ratios)))
        batch = np.stack([self._tensor(c, width) for c in crops])
        probs = np.asarray(self._session.run(None, {self._input: batch})[0], np.float32)
        return [ctc_decode(row) for row in self._fold(probs)]

    def _fold(self, probs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """`(N, T, labels)` -> `(N, T, 1 + len(ALPHABET))`: gathers the ~60 plate labels
        rather than multiplying by a (labels x 37) matrix (the recogniser has ~18 700)."""
        folded = np.zeros((*probs.shape[:2], len(ALPHABET) + 1), np.float32)
        folded[..., self._targets] = probs[..., self._columns]
        for target, more in self._extra:
            folded[..., target] += probs[..., more].sum(axis=-1)
        folded[..., 0] = np.maximum(1.0 - folded[..., 1:].sum(axis=-1), 0.0)
        return folded


def ctc_decode(steps: npt.NDArray[np.float32]) -> LineRead:
    """Greedy CTC over `(T, 1 + len(ALPHABET))` probabilities (column 0 blank).

    Each character keeps the alphabet distribution of its most confident time step.
    """
    best = steps.argmax(axis=1)
    rows: list[npt.NDArray[np.float32]] = []
    previous = 0
    for t, label in enumerate(best):
        if label != 0 and label != previous:
            rows.append(steps[t, 1:].copy())
        elif label != 0 and steps[t, label] > rows[-1][label - 1]:
            rows[-1] = steps[t, 1:].copy()
        previous = int(label)
    if not rows:
        return LineRead("", np.zeros((0, len(ALPHABET)), np.float32), 0.0)
    probs = np.stack(rows)
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-6)
    text = "".join(ALPHABET[i] for i in probs.argmax(axis=1))
    return LineRead(text, probs, float(probs.max(axis=1).mean()))


@dataclass
class OcrEngine:
    """A text finder and a line reader that belong together."""

    finder: TextFinder
    reader: LineReader


def load_ocr_engine(
    files: OcrModelFiles | None = None, threads: int = 2, long_side: int = 800
) -> OcrEngine:
    """Verify the files (missing or changed is an `OcrModelError`), then load them;
    `long_side` is the text detector's largest input side in pixels."""
    files = files or default_model_files()
    verify_model_files(files)
    return OcrEngine(
        DbTextFinder(files.detector, threads, long_side),
        CtcLineReader(files.recogniser, files.keys, threads),
    )
