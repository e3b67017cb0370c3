"""`metrica count` end to end, as a user runs it, on a real clip with ground truth and on
a real RTSP camera."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metrica.evaluation.scoring import FrameCrossing, score_line
from tests.support.data import PLAZA, YOLOX_NANO, video
from tests.support.rtsp import RtspCamera
from tests.support.worker import line_args


def metrica(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_count_on_a_real_clip_matches_the_hand_checked_truth(tmp_path: Path) -> None:
    truth = PLAZA
    events_path = tmp_path / "events.jsonl"
    line_args = [arg for line in truth.lines for arg in ("--line", line.as_arg())]
    done = metrica(
        "count", str(truth.clip), "--model", str(YOLOX_NANO), *line_args,
        "--events", str(events_path), "--json", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["frames"] == truth.frames == 341
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    assert events, "no crossings written"
    assert set(events[0]) == {"line_id", "direction", "frame", "t_s", "track_id"}
    for e in events:  # t_s is interpolated between frames; frame is the nearest one
        assert abs(e["t_s"] - e["frame"] / truth.fps) <= 0.5 / truth.fps + 1e-6
    for line in truth.lines:
        written = [e for e in events if e["line_id"] == line.line_id]
        n_in = sum(e["direction"] == "in" for e in written)
        assert summary["counts"][line.line_id] == {"in": n_in, "out": len(written) - n_in}
    predicted = [FrameCrossing(e["line_id"], e["direction"], e["frame"]) for e in events]
    tolerance = round(0.5 * truth.fps)
    scores = [score_line(ln.line_id, truth.crossings, predicted, tolerance) for ln in truth.lines]
    tp = sum(s.tp for s in scores)
    f1 = 2 * tp / (len(predicted) + len(truth.crossings))
    # 55 hand-checked crossings; the supervision baseline scores 0.86 on this clip.
    assert f1 >= 0.92, f"F1 {f1:.2f} against the truth"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "L1=0,0.5,1"], "expected 4 comma-separated numbers"),
        (["--line", "L1=0.5,0.5,0.5,0.5"], "zero length"),
        (["--line", "L1=0,0.5,1,0.5", "--line", "L1=0,0.2,1,0.2"], "must be unique"),
        (["--line", "L1=0,0.5,1,0.5", "--stride", "0"], "--stride"),
        (["--line", "L1=0,0.5,1,0.5", "--provider", "quantum"], "unknown execution provider"),
    ],
)
def test_bad_lines_and_options_are_one_line_errors(args: list[str], message: str) -> None:
    done = metrica("count", str(video("town_centre_short.mp4")), "--model", str(YOLOX_NANO), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_video_corrupt_video_and_bad_model_are_one_line_errors(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(video("town_centre_short.mp4").read_bytes()[:4000])
    junk_model = tmp_path / "junk.onnx"
    junk_model.write_bytes(b"\x08junk")
    cases = [
        (str(tmp_path / "missing.mp4"), str(YOLOX_NANO), "video not found"),
        (str(corrupt), str(YOLOX_NANO), "cannot decode video"),
        (str(video("town_centre_short.mp4")), str(junk_model), "model"),
        (str(video("town_centre_short.mp4")), str(tmp_path / "none.onnx"), "model not found"),
    ]
    for source, model, message in cases:
        done = metrica("count", source, "--model", model, "--line", "L1=0,0.5,1,0.5")
        assert done.returncode == 2, source
        assert message in done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()[-1]) < 300


def count_without_model(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`metrica count` on a short clip with no --model, as the README's first try."""
    return subprocess.run(
        [sys.executable, "-m", "metrica.cli", "count", str(video("town_centre_short.mp4")),
         "--line", "L1=0,0.5,1,0.5", "--json", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def test_missing_named_model_says_how_to_get_one(tmp_path: Path) -> None:
    env_home = {
        "XDG_CACHE_HOME": str(tmp_path),
        "METRICA_MODEL_DIR": str(tmp_path),
        "METRICA_DATA_DIR": str(tmp_path / "data"),
    }
    done = count_without_model({**os.environ, **env_home})
    assert done.returncode == 2
    assert "metrica models pull yolox-nano" in done.stderr
    assert str(tmp_path / "data" / "models") in done.stderr  # where it looked, said


def test_without_model_the_readmes_data_folder_is_enough(tmp_path: Path) -> None:
    # A new user: nothing pulled, no METRICA_MODEL_DIR; the data folder beside the repo
    # (or METRICA_DATA_DIR) holds yolox_nano.onnx, as the README says.
    env = {k: v for k, v in os.environ.items() if k != "METRICA_MODEL_DIR"}
    done = count_without_model({**env, "XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frames"] == 41


def test_annotated_video_has_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    done = metrica(
        "count", str(video("town_centre_short.mp4")), "--model", str(YOLOX_NANO),
        "--line", "L1=0,0.6,1,0.6", "--annotate", str(out), "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    import cv2

    capture = cv2.VideoCapture(str(out))
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    assert frames == 41


def test_count_on_a_live_rtsp_camera_counts_and_stops_after_max_frames(tmp_path: Path) -> None:
    # A live source knows its frame rate only once connected; counting used to build the
    # tracker before that (fps 0) and crash.
    events_path = tmp_path / "events.jsonl"
    with RtspCamera(PLAZA.clip) as camera:
        done = metrica(
            "count", camera.url, "--model", str(YOLOX_NANO), *line_args(PLAZA.lines),
            "--max-frames", "25", "--events", str(events_path), "--json",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "waiting for the camera stream" in done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["frames"] == 25
    counted = sum(c["in"] + c["out"] for c in summary["counts"].values())
    assert counted > 0, summary
    assert len(events_path.read_text().splitlines()) == counted


@pytest.mark.parametrize("keep", [4000, None])
def test_a_corrupt_video_is_exactly_one_line_on_stderr(tmp_path: Path, keep: int | None) -> None:
    """No FFmpeg or OpenCV lines around our own error (truncated, or not a video at all)."""
    corrupt = tmp_path / "corrupt.mp4"
    head = video("town_centre_short.mp4").read_bytes()[:4000]
    corrupt.write_bytes(head[:keep] if keep else bytes(range(256)) * 256)
    done = metrica("count", str(corrupt), "--model", str(YOLOX_NANO), "--line", "L1=0,0.5,1,0.5")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"metrica count: error: cannot decode video: {corrupt}" + (" (no frames)" if keep else "")
    ]


def test_a_gpu_provider_this_build_lacks_is_refused_naming_what_it_has() -> None:
    """The test machines' onnxruntime is the CPU build: asking for CUDA must fail up front
    (ONNX Runtime alone would quietly run on the CPU), saying what to install."""
    import onnxruntime as ort

    assert "CUDAExecutionProvider" not in ort.get_available_providers()
    done = metrica(
        "count", str(video("town_centre_short.mp4")), "--model", str(YOLOX_NANO),
        "--line", "L1=0,0.5,1,0.5", "--provider", "cuda",
    )  # fmt: skip
    assert done.returncode == 2
    assert "CUDAExecutionProvider" in done.stderr
    assert "CPUExecutionProvider" in done.stderr
    assert "onnxruntime-gpu" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
