"""Region templates: letter and digit positions settle lookalike characters, confident
characters are never forced, an edge glyph is dropped only when the rest fits."""

import numpy as np
import pytest

from metrica.plates.chars import ALPHABET, CharProbs, fold, one_hot
from metrica.plates.templates import (
    BUILTIN_TEMPLATES,
    fit_templates,
    merge_templates,
    select_regions,
    validate_pattern,
)


def unsure(text: str, swaps: dict[int, tuple[str, float]], confidence: float = 0.95) -> CharProbs:
    """Distributions for `text` where position i is `text[i]` with weight 1-p and the
    lookalike with weight p (p may exceed 0.5: the OCR then prefers the lookalike)."""
    probs = one_hot(text, confidence)
    for i, (other, p) in swaps.items():
        probs[i] *= 0.0
        probs[i, ALPHABET.index(text[i])] = 1.0 - p
        probs[i, ALPHABET.index(other)] = p
    return probs


@pytest.mark.parametrize(
    ("text", "swaps", "expected", "template"),
    [
        ("AB123CD", {2: ("Z", 0.6)}, "AB123CD", "it:LLDDDLL"),  # Z read where a digit goes
        ("AB123CD", {0: ("4", 0.55)}, "AB123CD", "it:LLDDDLL"),  # 4 where a letter goes
        ("ABC1234", {5: ("S", 0.7)}, "ABC1234", "us:LLLDDDD"),  # 3 read as S: digit slot
        ("ABC1284", {5: ("B", 0.6)}, "ABC1284", "us:LLLDDDD"),  # 8/B
        ("ABC1234", {}, "ABC1234", "us:LLLDDDD"),
    ],
)
def test_template_positions_settle_lookalikes(
    text: str, swaps: dict[int, tuple[str, float]], expected: str, template: str
) -> None:
    probs = unsure(text, swaps)
    fit = fit_templates(probs, {"it": ("LLDDDLL",), "us": ("LLLDDDD",)})
    assert (fit.text, fit.template) == (expected, template)


def test_a_confident_vanity_plate_stays_as_read() -> None:
    # GWAGEN fits no template; 2WAGEN would need a letter at 0 but the 2 is certain
    for text in ("GWAGEN", "M5XSX", "2WAGEN"):
        fit = fit_templates(one_hot(text, 0.99), BUILTIN_TEMPLATES)
        assert fit.text == text


def test_an_edge_glyph_is_dropped_when_the_rest_fits_a_template() -> None:
    # a state logo read as a leading 4 before a Texas-style LLLDDDD plate
    fit = fit_templates(one_hot("4ASC7399", 0.9), {"us": ("LLLDDDD",)})
    assert (fit.text, fit.template) == ("ASC7399", "us:LLLDDDD")
    # but a whole reading that fits is kept whole
    fit = fit_templates(one_hot("5UVR090", 0.9), {"us": ("DLLLDDD", "LLLDDD")})
    assert fit.text == "5UVR090"


def test_user_regions_merge_and_select() -> None:
    merged = merge_templates(BUILTIN_TEMPLATES, {"XX": ["lldd", "DDDD"]})
    assert merged["xx"] == ("LLDD", "DDDD")
    assert set(select_regions(merged, ["xx", "us"])) == {"xx", "us"}
    with pytest.raises(ValueError, match="unknown plate regions"):
        select_regions(merged, ["atlantis"])
    for bad in ("", "LLQ", "L" * 13):
        with pytest.raises(ValueError, match="use 1 to 12"):
            validate_pattern(bad)


def test_fold_and_one_hot() -> None:
    assert fold("oi0I1O") == "010110"
    probs = one_hot("A1", 0.9)
    assert probs.shape == (2, len(ALPHABET))
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_a_free_reading_writes_zero_for_o_but_a_template_keeps_letters() -> None:
    assert fit_templates(one_hot("HKOE7C", 0.99), BUILTIN_TEMPLATES).text == "HK0E7C"
    fit = fit_templates(one_hot("OY09FEU", 0.99), {"gb": ("LLDDLLL",)})
    assert fit.text == "OY09FEU"


def test_a_region_without_the_letter_o_reads_it_as_zero() -> None:
    # US series do not issue O: an O where a US template wants a letter is a 0, and the
    # digit reading then fits DLLDDD
    fit = fit_templates(one_hot("OSG719", 0.95), {"us": ("LLLDDD", "DLLDDD")})
    assert (fit.text, fit.template) == ("0SG719", "us:DLLDDD")
    # Brazil issues O: the letter stays
    fit = fit_templates(one_hot("AYO9034", 0.95), {"us": ("LLLDDDD",), "br": ("LLLDDDD",)})
    assert (fit.text, fit.template) == ("AYO9034", "br:LLLDDDD")
    # and a region without O (cz: DLLDDDD) does not win a Brazilian ODJ1599 by reading
    # its O as a 0
    fit = fit_templates(one_hot("ODJ1599", 0.95), {"cz": ("DLLDDDD",), "br": ("LLLDDDD",)})
    assert (fit.text, fit.template) == ("ODJ1599", "br:LLLDDDD")


@pytest.mark.parametrize(
    ("read", "templates", "expected"),
    [
        ("RKO99AN", {"hr": ("LLDDDLL",)}, "RK099AN"),  # an O where a digit goes is a 0
        ("AB12I4", {"x": ("LLDDDD",)}, "AB1214"),  # an I where a digit goes is a 1
        # but a confident 0 or 1 where a letter goes stays a digit (K179658 is no KI79658)
        ("K179658", {"pl": ("LLDDDDD",)}, "K179658"),
        ("W053011", {"pl": ("LLDDDDD",)}, "W053011"),
        ("AB1Z3CD", {"hr": ("LLDDDLL",)}, "AB1Z3CD"),  # Z/2 is no same-glyph pair: not free
    ],
)
def test_same_glyph_pairs_follow_the_position(
    read: str, templates: dict[str, tuple[str, ...]], expected: str
) -> None:
    assert fit_templates(one_hot(read, 0.95), templates).text == expected
