"""How many live cameras one box counts in real time: N replayed cameras, one supervisor.

    uv run python bench/cameras.py [--quick] [--target-fps 15] [--input-size PX]
                                   [--threads N] [--max-cameras 8] [--cache-dir DIR]

Each camera is a shared clip replayed as a live camera (`metrica worker --as-camera`:
looped, decoded in real time on its reader thread, newest frame only, so a slow pipeline
drops frames exactly as with RTSP), counting the truth file's lines and detecting at most
`--target-fps` frames a second (`--detect-fps`). All of them run as ONE box:
`metrica worker --config cameras.yaml`, the supervisor with one process per camera. No
backend is started (it lives elsewhere; its absence costs the box nothing but a retry
now and then): events stay in each camera's outbox.

N grows from 1 until a camera falls behind: its detection rate (from its own
`metrica_worker_frames_total`) under 95 % of the target, or the 95th percentile of
`metrica_worker_frame_lag_seconds` (frame arrival to its events in the outbox) over 2 s.
Per camera it prints the detection rate, frames dropped, lag and CPU (its process's
user+system time, all threads, decoding included). Then it scores the same configuration
(detector input size, rate cap) on the shared truth, and prints as its LAST line:
{"cameras_realtime": N, "target_fps": 15, "pooled_f1": F, "count_accuracy": C, ...}

The figures depend on what else the machine runs: say so when quoting them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import yaml
from bench_support import free_port

from metrica.evaluation.report import build_report
from metrica.evaluation.run import OURS, evaluate_all
from metrica.evaluation.truth import TruthFile, data_dir, load_truth, truth_files
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.pipeline import PipelineConfig

# Clips at ≥ 15 fps (a 10 fps camera cannot give 15 detections a second).
CAMERA_CLIPS = ("overhead_plaza", "shop_door_cctv", "overhead_building_walkway")
QUICK_TRUTH = {"overhead_plaza", "pets09_s2l1_campus"}
KEEP_UP_RATE = 0.95
MAX_LAG_S = 2.0
LAG_QUANTILE = 0.95
READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Sample:
    """One camera's counters at one moment."""

    frames: float
    dropped: float
    skipped: float
    lag_buckets: dict[float, float]
    cpu_s: float
    at_s: float


@dataclass(frozen=True)
class CameraFigures:
    name: str
    clip: str
    detect_fps: float  # frames taken at the paced rate (the motion gate's skipped included)
    dropped_per_s: float
    lag_p95_s: float
    cpu_percent: float
    skipped_share: float  # of those, the share the motion gate let skip the detector

    @property
    def cpu_ms_per_frame(self) -> float:
        """CPU per detected frame, decoding of the frames in between included."""
        return 10.0 * self.cpu_percent / self.detect_fps if self.detect_fps > 0 else math.inf

    def keeps_up(self, target_fps: float) -> bool:
        return self.detect_fps >= KEEP_UP_RATE * target_fps and self.lag_p95_s <= MAX_LAG_S


def line_spec(truth: TruthFile) -> list[str]:
    return [f"{ln.line_id}={ln.x1},{ln.y1},{ln.x2},{ln.y2}" for ln in truth.lines]


def cameras_yaml(
    folder: Path, truths: list[TruthFile], n: int, args: argparse.Namespace
) -> tuple[Path, dict[str, tuple[str, int]]]:
    """A cameras.yaml for `n` replayed cameras; returns it and camera id -> (clip, port)."""
    cameras, ports = [], {}
    for i in range(n):
        truth = truths[i % len(truths)]
        camera_id, port = str(uuid.uuid4()), free_port()
        ports[camera_id] = (truth.name, port)
        worker_args = ["--as-camera", "--detect-fps", str(args.target_fps)]
        worker_args += ["--model", str(args.model)]
        if args.threads:  # else the supervisor's share: cores // cameras
            worker_args += ["--threads", str(args.threads)]
        if args.input_size:
            worker_args += ["--input-size", str(args.input_size)]
        if not args.motion_gate:
            worker_args += ["--no-motion-gate"]
        worker_args += ["--snapshot-s", "86400", "--heartbeat-s", "3600"]
        worker_args += ["--config-poll-s", "3600", "--status-s", "3600"]
        cameras.append(
            {
                "camera_id": camera_id,
                "name": f"cam{i + 1}-{truth.name}",
                "source": str(truth.clip),
                "key": "bench-has-no-backend",
                "lines": line_spec(truth),
                "outbox": str(folder / f"{camera_id}.db"),
                "metrics_port": port,
                "args": worker_args,
            }
        )
    path = folder / "cameras.yaml"
    dead_backend = f"http://127.0.0.1:{free_port()}"  # nothing listens: events stay local
    path.write_text(yaml.safe_dump({"api_url": dead_backend, "cameras": cameras}))
    return path, ports


METRIC = re.compile(r"^(metrica_worker_[a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+|NaN|[+-]Inf)$")


def scrape(
    client: httpx.Client, port: int
) -> tuple[float, float, float, dict[float, float]] | None:
    """frames, dropped, skipped and the lag histogram's cumulative buckets; None if not up."""
    try:
        text = client.get(f"http://127.0.0.1:{port}/metrics").text
    except httpx.TransportError:
        return None
    frames = dropped = skipped = 0.0
    buckets: dict[float, float] = {}
    for row in text.splitlines():
        m = METRIC.match(row)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        if name == "metrica_worker_frames_total":
            frames = value
        elif name == "metrica_worker_frames_dropped_total":
            dropped = value
        elif name == "metrica_worker_frames_skipped_total":
            skipped = value
        elif name == "metrica_worker_frame_lag_seconds_bucket":
            le = re.search(r'le="([^"]+)"', labels)
            if le:
                buckets[float(le.group(1))] = value
    return frames, dropped, skipped, buckets


def worker_pids(supervisor: psutil.Process) -> dict[str, psutil.Process]:
    """camera id -> its worker process (found by its --camera-id argument)."""
    found = {}
    for child in supervisor.children():
        try:
            argv = child.cmdline()
        except psutil.Error:
            continue
        if "--camera-id" in argv:
            found[argv[argv.index("--camera-id") + 1]] = child
    return found


def sample_all(
    client: httpx.Client, ports: dict[str, tuple[str, int]], procs: dict[str, psutil.Process]
) -> dict[str, Sample] | None:
    samples = {}
    for camera_id, (_clip, port) in ports.items():
        scraped = scrape(client, port)
        proc = procs.get(camera_id)
        if scraped is None or proc is None:
            return None
        try:
            cpu = proc.cpu_times()
        except psutil.Error:
            return None
        samples[camera_id] = Sample(*scraped, cpu.user + cpu.system, time.monotonic())
    return samples


def quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The upper bound of the histogram bucket holding quantile `q` of the window."""
    bounds = sorted(after)
    total = after.get(float("inf"), 0.0) - before.get(float("inf"), 0.0)
    if total <= 0:
        return float("inf")  # no frame processed in the window: as late as can be
    for bound in bounds:
        if after[bound] - before.get(bound, 0.0) >= q * total:
            return bound
    return float("inf")


def run_box(
    n: int, truths: list[TruthFile], args: argparse.Namespace
) -> tuple[list[CameraFigures], float]:
    """Start a box of `n` cameras, warm it up, measure; per-camera figures and box CPU %."""
    with tempfile.TemporaryDirectory(prefix="metrica-cameras-") as tmp:
        config, ports = cameras_yaml(Path(tmp), truths, n, args)
        log = (Path(tmp) / "box.log").open("wb")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        box = subprocess.Popen(
            [sys.executable, "-m", "metrica.cli", "worker", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            return measure_box(box, ports, args)
        finally:
            box.send_signal(signal.SIGTERM)
            try:
                box.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(box.pid, signal.SIGKILL)
                box.wait()
            log.close()


def measure_box(
    box: subprocess.Popen[bytes], ports: dict[str, tuple[str, int]], args: argparse.Namespace
) -> tuple[list[CameraFigures], float]:
    supervisor = psutil.Process(box.pid)
    deadline_s = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=5.0) as client:
        while True:  # every worker up and processing
            if box.poll() is not None:
                raise RuntimeError(f"the box exited with {box.returncode}")
            procs = worker_pids(supervisor)
            samples = sample_all(client, ports, procs)
            if samples and all(s.frames > 0 for s in samples.values()):
                break
            if time.monotonic() > deadline_s:
                raise RuntimeError("the cameras did not start within the timeout")
            time.sleep(0.5)  # polling a condition, with the deadline above
        time.sleep(args.warmup_s)  # let the trackers and caches settle before measuring
        psutil.cpu_percent()
        before = sample_all(client, ports, procs)
        time.sleep(args.measure_s)
        after = sample_all(client, ports, procs)
        box_cpu = psutil.cpu_percent() * (psutil.cpu_count() or 1)
    if before is None or after is None:
        raise RuntimeError("a camera's worker went away while measuring")
    figures = []
    for camera_id, (clip, _port) in ports.items():
        a, b = before[camera_id], after[camera_id]
        span_s = b.at_s - a.at_s
        figures.append(
            CameraFigures(
                name=camera_id[:8],
                clip=clip,
                detect_fps=(b.frames - a.frames) / span_s,
                dropped_per_s=(b.dropped - a.dropped) / span_s,
                lag_p95_s=quantile(a.lag_buckets, b.lag_buckets, LAG_QUANTILE),
                cpu_percent=100.0 * (b.cpu_s - a.cpu_s) / span_s,
                skipped_share=(b.skipped - a.skipped) / max(1.0, b.frames - a.frames),
            )
        )
    return figures, box_cpu


def pooled_accuracy(args: argparse.Namespace) -> tuple[float, float]:
    """Pooled F1 and count accuracy of the same detector and rate cap on the shared truth."""
    truths = [load_truth(p) for p in truth_files()]
    if args.quick:
        truths = [t for t in truths if t.name in QUICK_TRUTH]
    threads = OnnxDetector(args.model).config.threads  # the detection cache's key
    results, _ = evaluate_all(
        truths,
        args.model,
        DetectorConfig(threads=threads, input_size=args.input_size),
        PipelineConfig() if args.motion_gate else PipelineConfig(motion_gate=None),
        cache_dir=args.cache_dir,
        with_baseline=False,
        max_fps=args.target_fps,
    )
    pooled = build_report(results, [OURS], 0.0)[OURS]["pooled"]
    return float(pooled["f1"]), float(pooled["count_accuracy"])


def projected(cpu_ms_per_frame: list[float], target_fps: float) -> int:
    """Cameras at `target_fps` that fit in 90 % of this machine's cores, from the median
    CPU per detected frame measured (0 without a measurement)."""
    if not cpu_ms_per_frame:
        return 0
    per_camera_cores = statistics.median(cpu_ms_per_frame) / 1000.0 * target_fps
    return math.floor(0.9 * (psutil.cpu_count() or 1) / per_camera_cores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short windows, quick truth")
    parser.add_argument("--target-fps", type=float, default=15.0)
    parser.add_argument("--model", type=Path, default=data_dir() / "models" / "yolox_nano.onnx")
    parser.add_argument("--input-size", type=int, default=None, help="detector long side")
    parser.add_argument(
        "--threads", type=int, help="inference threads per camera (default: the box's share)"
    )
    parser.add_argument("--max-cameras", type=int, default=8)
    parser.add_argument("--start", type=int, default=1, help="first N to try")
    parser.add_argument("--warmup-s", type=float, default=None)
    parser.add_argument("--measure-s", type=float, default=None)
    parser.add_argument("--cache-dir", type=Path, help="detection cache for the F1 part")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--no-motion-gate",
        dest="motion_gate",
        action="store_false",
        help="detect every paced frame (the workers' --no-motion-gate)",
    )
    args = parser.parse_args()
    args.warmup_s = args.warmup_s if args.warmup_s is not None else (5.0 if args.quick else 15.0)
    args.measure_s = (
        args.measure_s if args.measure_s is not None else (15.0 if args.quick else 40.0)
    )
    by_name = {t.name: t for t in (load_truth(p) for p in truth_files())}
    truths = [by_name[name] for name in CAMERA_CLIPS]
    best, runs = 0, []
    cpu_ms: list[float] = []
    for n in range(args.start, args.max_cameras + 1):
        figures, box_cpu = run_box(n, truths, args)
        ok = all(f.keeps_up(args.target_fps) for f in figures)
        print(f"N={n}: {'keeps up' if ok else 'FALLS BEHIND'}; box CPU {box_cpu:.0f} % "
              f"(all processes, other users' included)")  # fmt: skip
        for f in figures:
            print(
                f"  {f.name} {f.clip:<26} detect {f.detect_fps:5.1f} fps  "
                f"dropped {f.dropped_per_s:5.1f}/s  lag p95 <= {f.lag_p95_s:4.2f} s  "
                f"CPU {f.cpu_percent:5.1f} % ({f.cpu_ms_per_frame:.0f} ms/frame)  "
                f"detector skipped {100 * f.skipped_share:3.0f} %"
            )
        sys.stdout.flush()
        runs.append(
            {
                "n": n,
                "ok": ok,
                "box_cpu_percent": round(box_cpu, 1),
                "detect_fps": [round(f.detect_fps, 2) for f in figures],
                "cpu_ms_per_frame": [round(f.cpu_ms_per_frame, 1) for f in figures],
                "skipped_share": [round(f.skipped_share, 3) for f in figures],
            }
        )
        cpu_ms.extend(f.cpu_ms_per_frame for f in figures)
        if not ok:
            break
        best = n
    f1: float | None = None
    accuracy: float | None = None
    if not args.skip_accuracy:
        f1, accuracy = (round(x, 4) for x in pooled_accuracy(args))
    result = {
        "cameras_realtime": best,
        "target_fps": args.target_fps,
        "pooled_f1": f1,
        "count_accuracy": accuracy,
        # What an otherwise idle box of this many cores would hold, from the CPU each
        # camera used per detected frame (robust to other load, unlike the rates above).
        "cameras_projected_idle_box": projected(cpu_ms, args.target_fps),
        "cpu_ms_per_frame": round(statistics.median(cpu_ms), 1) if cpu_ms else None,
        "input_size": args.input_size or "auto",
        "threads_per_camera": args.threads or "cores // cameras",
        "motion_gate": args.motion_gate,
        "cpus": psutil.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "runs": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
