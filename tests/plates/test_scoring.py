"""Candidate scoring: the plate beats the other text on a vehicle."""

from metrica.plates.scoring import Candidate, candidate_score

PLATE = Candidate(
    text="ABC1234", read_confidence=0.9, templated=True, aspect=4.0,
    centre_x_rel=0.5, centre_y_rel=0.75, height_rel=0.05, in_vehicle=True,
)  # fmt: skip


def score(**changes: object) -> float:
    fields = {f: getattr(PLATE, f) for f in PLATE.__dataclass_fields__}
    return candidate_score(Candidate(**(fields | changes)))


def test_the_plate_beats_other_lettering() -> None:
    plate = score()
    # a dealer's phone number: digits only, too long, high on the tailgate
    assert score(text="5551234567", templated=False, centre_y_rel=0.3, aspect=9.0) < plate / 3
    # fleet lettering: a word, big, high on the side
    assert score(text="SUNTRUP", templated=False, height_rel=0.3, centre_y_rel=0.3) < plate / 3
    # a model badge: short word at the edge
    assert score(text="JEEP", templated=False, centre_x_rel=0.95) < plate / 2
    # a state name above the plate reads as letters only
    assert score(text="ARIZONA", templated=False) < plate


def test_shape_and_length_limits() -> None:
    assert score(text="AB") == 0.0
    assert score(aspect=0.5) < score() / 5
    # no vehicle found: the photo is framed on one, so only "not at the top" counts
    assert score(in_vehicle=False, centre_x_rel=0.0, height_rel=0.5) == score()
    assert score(in_vehicle=False, centre_y_rel=0.1) < score()


def test_a_word_with_an_o_read_as_zero_is_still_a_word() -> None:
    assert score(text="ETS0", templated=False) == score(text="ETSO", templated=False)
    assert score(text="ETS0", templated=False) < score(text="ETS9", templated=False)
