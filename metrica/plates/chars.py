"""The plate alphabet and the letter/digit confusions OCR makes. Pure."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = ALPHABET[:10]
LETTERS = ALPHABET[10:]
CharProbs = npt.NDArray[np.float32]
"""`(n, len(ALPHABET))`: one row per character, probabilities over ALPHABET."""

# What a digit is most often read as when a letter is meant, and back.
LOOKALIKE_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"}
LOOKALIKE_DIGIT = {
    "O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "7",
    "Z": "2", "S": "5", "B": "8", "G": "6", "A": "4",
}  # fmt: skip


def fold(text: str) -> str:
    """The text with O read as 0 and I as 1: how plates are compared when unsure."""
    return text.upper().replace("O", "0").replace("I", "1")


def one_hot(text: str, confidence: float = 1.0) -> CharProbs:
    """Distributions for a known text: `confidence` on each character, the rest spread."""
    rest = (1.0 - confidence) / (len(ALPHABET) - 1)
    out = np.full((len(text), len(ALPHABET)), rest, np.float32)
    for i, char in enumerate(text):
        out[i, ALPHABET.index(char)] = confidence
    return out
