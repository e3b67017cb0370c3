import pytest

from metrica.evaluation.scoring import FrameCrossing, match_frames, score_line


@pytest.mark.parametrize(
    ("truth", "pred", "tolerance", "matched"),
    [
        ([10, 20, 30], [10, 20, 30], 0, 3),
        ([10], [15], 5, 1),
        ([10], [16], 5, 0),
        ([10, 12], [11], 5, 1),  # one-to-one
        ([10, 20], [14, 16], 5, 2),  # greedy must not take 14 for 20 first
        ([], [1, 2], 5, 0),
    ],
)
def test_match_frames_is_one_to_one_within_tolerance(
    truth: list[int], pred: list[int], tolerance: int, matched: int
) -> None:
    assert match_frames(truth, pred, tolerance) == matched


def test_score_line_counts_precision_recall_f1_and_count_accuracy() -> None:
    truth = [
        FrameCrossing("L", "in", 10),
        FrameCrossing("L", "in", 50),
        FrameCrossing("L", "out", 90),
        FrameCrossing("X", "in", 1),
    ]
    pred = [
        FrameCrossing("L", "in", 12),
        FrameCrossing("L", "out", 52),
        FrameCrossing("L", "out", 91),
    ]
    score = score_line("L", truth, pred, tolerance_frames=5)
    assert (score.tp, score.fp, score.fn) == (2, 1, 1)
    assert score.f1 == pytest.approx(2 / 3)
    # |1-2| + |2-1| errors over 3 true crossings.
    assert score.count_accuracy == pytest.approx(1 - 2 / 3)
