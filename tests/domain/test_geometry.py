import pytest

from metrica.domain.geometry import CountingLine, LineSpecError, parse_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L1=0,0.5,1,0.5", CountingLine("L1", 0.0, 0.5, 1.0, 0.5)),
        ("door-2=0.45,1,0.45,0", CountingLine("door-2", 0.45, 1.0, 0.45, 0.0)),
    ],
)
def test_parse_line_reads_id_and_normalised_points(text: str, expected: CountingLine) -> None:
    assert parse_line(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,0.5,1,0.5", "expected ID=x1,y1,x2,y2"),
        ("L1=0,0.5,1", "4 comma-separated numbers"),
        ("L1=a,0.5,1,0.5", "must be numbers"),
        ("L1=0,0.5,1.2,0.5", "outside 0..1"),
        ("L1=0.5,0.5,0.5,0.5", "zero length"),
        ("bad id=0,0,1,1", "line id"),
        ("L1=nan,0,1,1", "outside 0..1"),
    ],
)
def test_parse_line_rejects_bad_specs_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(LineSpecError, match=message):
        parse_line(text)


def test_flipped_swaps_end_points_and_round_trips() -> None:
    line = CountingLine("L", 0.1, 0.2, 0.3, 0.4)
    assert line.flipped() == CountingLine("L", 0.3, 0.4, 0.1, 0.2)
    assert parse_line(line.as_arg()) == line
    assert line.to_pixels(100, 200) == pytest.approx((10, 40, 30, 80))
