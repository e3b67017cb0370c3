"""Our own truth files (bench/truth/) load like the shared ones and say their class."""

from __future__ import annotations

from pathlib import Path

import cv2

from metrica.evaluation.truth import data_dir, load_truth, truth_files

OWN = Path(__file__).resolve().parents[2] / "bench" / "truth"


def test_each_own_truth_file_names_its_class_clip_and_sorted_in_segment_crossings() -> None:
    files = truth_files(OWN)
    assert [p.stem for p in files] == ["town_centre_1080p"]
    for path in files:
        truth = load_truth(path, data_dir())
        assert truth.kind == "dense_oblique_street"
        capture = cv2.VideoCapture(str(truth.clip))
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == truth.frames
        capture.release()
        line_ids = {line.line_id for line in truth.lines}
        assert truth.crossings
        assert all(c.line_id in line_ids and 0 <= c.frame < truth.frames for c in truth.crossings)
        assert truth.crossings == sorted(truth.crossings, key=lambda c: (c.line_id, c.frame))


def test_shared_truth_files_have_no_class() -> None:
    assert all(load_truth(p).kind == "" for p in truth_files())
