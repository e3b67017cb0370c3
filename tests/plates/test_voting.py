"""Track voting: character-wise, weighted, with reads of another length aligned."""

import numpy as np
import pytest

from metrica.plates.chars import ALPHABET, one_hot
from metrica.plates.voting import Vote, align, vote


def text_of(probs: np.ndarray) -> str:
    return "".join(ALPHABET[i] for i in probs.argmax(axis=1))


@pytest.mark.parametrize(
    ("source", "target", "pairs"),
    [
        ("ABC", "ABC", [(0, 0), (1, 1), (2, 2)]),
        ("AC", "ABC", [(0, 0), (1, 2)]),  # a dropped character
        ("XABC", "ABC", [(1, 0), (2, 1), (3, 2)]),  # an extra leading glyph
        ("ABD", "ABC", [(0, 0), (1, 1), (2, 2)]),  # a substitution still lines up
        ("", "ABC", []),
    ],
)
def test_align(source: str, target: str, pairs: list[tuple[int, int]]) -> None:
    assert align(source, target) == pairs


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        # one misread frame is outvoted character by character
        ([("AB123CD", 0.9), ("AB128CD", 0.8), ("A8123CD", 0.7)], "AB123CD"),
        # no single frame is right, the vote is
        ([("AB1Z3CD", 0.9), ("A8123CD", 0.9), ("AB123C0", 0.9)], "AB123CD"),
        # weight matters: one confident read beats two unsure ones
        ([("ABC123", 0.95), ("ABC128", 0.2), ("ABC128", 0.2)], "ABC123"),
        # reads with a dropped or an extra character still vote where they line up
        (
            [
                ("ABC1234", 0.8),
                ("ABC1Z34", 0.8),
                ("ABC134", 0.9),
                ("4ABC1234", 0.5),
                ("ABC1234", 0.3),
            ],
            "ABC1234",
        ),
    ],
)
def test_vote(reads: list[tuple[str, float]], expected: str) -> None:
    probs, agreement = vote([Vote(one_hot(t, 0.9), w) for t, w in reads])
    assert text_of(probs) == expected
    assert 0.0 < agreement <= 1.0
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_the_length_with_most_weight_wins() -> None:
    probs, agreement = vote([Vote(one_hot("ABC12", 0.9), 1.0), Vote(one_hot("ABC123", 0.9), 3.0)])
    assert text_of(probs) == "ABC123"
    assert agreement == pytest.approx(0.75)


def test_nothing_to_vote_on() -> None:
    with pytest.raises(ValueError, match="no reads"):
        vote([Vote(one_hot("", 0.9), 1.0), Vote(one_hot("AB", 0.9), 0.0)])
