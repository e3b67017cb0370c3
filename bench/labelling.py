"""How fast the labelling page is, and how long a person takes to label a minute of busy
footage (issue #15: "fast enough to label a minute of busy door footage in a few minutes").

    uv run python bench/labelling.py [--quick]

It seeds a SQLite database (`metrica demo`), starts the real server (`metrica serve`, the
built web app under /app), makes a camera with the clip's truth lines, uploads the first
60 s (20 s with --quick) of real footage (default: the PETS09 S2L1 campus clip, 75 crossings
on 3 lines in 80 s: the busiest truth file) cut by the worker's own recorder, and waits for
the server to count it. Then `web/bench/label-driver.mjs` drives the labelling page in
headless Chromium by keyboard exactly as a labeller would: Shift+← → (one second) and ← →
(one frame) to each true crossing, 1–9 to switch line, I/O to mark, waiting to see each
key's frame before the next key. The saved marks must equal the truth.

Figures: per key press → frame presented (in the page: keydown → `seeked` →
requestVideoFrameCallback; p50/p95 ms), per mark key → the mark listed, the machine's time
to place every mark, the keystrokes (navigation, line, mark; per crossing), and an
estimate of a person's time for one minute of the same footage:

    human_s = clip_s
              + crossings × (decide_s + (keys_per_crossing + search_keys) × (key_s + latency_s))

    clip_s             the clip played once at 1× to see where people cross
    crossings          true crossings in the clip (scaled to 60 s for the per-minute figure)
    decide_s           per crossing: judge the frame the feet cross, the line and the way
                       (--decide-s, 2.0)
    keys_per_crossing  measured: the keystrokes this run needed per crossing (straight there)
    search_keys        per crossing: frame steps back and forth a person needs to find that
                       frame, which the machine knows (--search-keys, 4)
    key_s              a person's press-and-look per key (--key-s, 0.3: a key every 300 ms)
    latency_s          the page's measured p50 key → frame on screen

The LAST line is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bench_support import free_port, wait_ready

from metrica.edge.recorder import cut_clip
from metrica.vision.shared_data import data_dir

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web"
ADMIN, PASSWORD = "admin@metrica.local", "metrica-demo"


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


def human_seconds(
    *,
    clip_s: float,
    crossings: int,
    keys_per_crossing: float,
    search_keys: float,
    decide_s: float,
    key_s: float,
    latency_s: float,
) -> float:
    """The model in the module docstring."""
    keys = keys_per_crossing + search_keys
    return clip_s + crossings * (decide_s + keys * (key_s + latency_s))


async def prepare(base: str, truth: dict[str, Any], clip: bytes) -> dict[str, Any]:
    """Sign in as the demo admin, make the camera with the truth's lines, upload the clip,
    wait until the server has counted it; the recording as the page will load it."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post("/auth/login", json={"email": ADMIN, "password": PASSWORD})
        r.raise_for_status()
        store_id = (await client.get("/admin/stores")).json()["data"][0]["id"]
        r = await client.post("/admin/cameras", json={"store_id": store_id, "name": "Bench door"})
        r.raise_for_status()
        camera_id = r.json()["id"]
        lines = [
            {
                "line_id": ln["id"],
                "name": ln["id"],
                "x1": ln["p1"][0],
                "y1": ln["p1"][1],
                "x2": ln["p2"][0],
                "y2": ln["p2"][1],
            }
            for ln in truth["lines"]
        ]
        (await client.put(f"/admin/cameras/{camera_id}/lines", json=lines)).raise_for_status()
        r = await client.post(
            f"/admin/cameras/{camera_id}/recordings/upload",
            content=clip,
            headers={"Content-Type": "video/webm"},
        )
        r.raise_for_status()
        recording_id = r.json()["id"]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            body: dict[str, Any] = (await client.get(f"/admin/recordings/{recording_id}")).json()
            if body["status"] == "ready":
                return body
            if body["status"] == "failed":
                raise RuntimeError(f"the clip could not be counted: {body['error']}")
            await asyncio.sleep(1.0)
        raise RuntimeError("the clip was not counted within 15 minutes")


async def saved_marks(base: str, recording_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post("/auth/login", json={"email": ADMIN, "password": PASSWORD})
        r.raise_for_status()
        marks: list[dict[str, Any]] = (
            await client.get(f"/admin/recordings/{recording_id}")
        ).json()["marks"]
        return marks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20 s of footage instead of 60 s")
    parser.add_argument("--seconds", type=float, default=None, help="footage to label")
    parser.add_argument(
        "--truth", type=Path, default=data_dir() / "truth" / "pets09_s2l1_campus.json"
    )
    parser.add_argument("--decide-s", type=float, default=2.0, help="per crossing (2.0)")
    parser.add_argument("--key-s", type=float, default=0.3, help="per key (0.3)")
    parser.add_argument(
        "--search-keys", type=float, default=4.0, help="extra keys per crossing (4)"
    )
    args = parser.parse_args()
    seconds = args.seconds or (20.0 if args.quick else 60.0)
    truth = json.loads(args.truth.read_text())
    source = data_dir() / truth["clip"]
    if not (WEB / "dist" / "index.html").exists():
        sys.exit("build the web app first: cd web && npm ci && npm run build")

    work = Path(tempfile.mkdtemp(prefix="metrica-bench-labelling-"))
    clip = work / "clip.webm"
    frames = cut_clip(source, clip, seconds)
    fps = float(truth["fps"])
    crossings = [
        {"line": c["line"], "frame": c["frame"], "direction": c["direction"]}
        for c in truth["crossings"]
        if c["frame"] < frames
    ]
    db_url = f"sqlite+aiosqlite:///{work / 'metrica.db'}"
    env = {**os.environ, "METRICA_ENVIRONMENT": "development"}
    metrica = ["uv", "run", "--extra", "server", "metrica"]
    subprocess.run(
        [*metrica, "demo", "--db-url", db_url, "--days", "1"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [*metrica, "serve", "--host", "127.0.0.1", "--port", str(port), "--db-url", db_url],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        asyncio.run(wait_ready(base, timeout_s=120))
        started = time.monotonic()
        recording = asyncio.run(prepare(base, truth, clip.read_bytes()))
        count_s = time.monotonic() - started
        plan = {
            "baseURL": base,
            "email": ADMIN,
            "password": PASSWORD,
            "recordingId": recording["id"],
            "fps": recording["fps"],
            "frames": recording["frames"],
            "lines": [ln["line_id"] for ln in recording["lines"]],
            "crossings": crossings,
        }
        out = subprocess.run(
            ["node", "bench/label-driver.mjs", json.dumps(plan)],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if out.returncode != 0:
            sys.exit(f"the page driver failed:\n{out.stderr[-4000:]}")
        drive = json.loads(out.stdout.strip().splitlines()[-1])
        marks = asyncio.run(saved_marks(base, recording["id"]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    def key(m: dict[str, Any]) -> tuple[str, str, int]:
        return (m["line"], m["direction"], int(m["frame"]))

    marks_match = sorted(map(key, marks)) == sorted(map(key, crossings))
    shown = [s["shown"] for s in drive["seek"]]
    seeked = [s["seeked"] for s in drive["seek"]]
    keys = drive["keys"]
    total_keys = keys["nav"] + keys["line"] + keys["mark"]
    n = max(len(crossings), 1)
    per_crossing = total_keys / n
    clip_s = frames / fps
    per_minute = 60.0 / clip_s
    latency_s = statistics.median(shown) / 1000 if shown else 0.0
    human_clip = human_seconds(
        clip_s=clip_s,
        crossings=len(crossings),
        keys_per_crossing=per_crossing,
        search_keys=args.search_keys,
        decide_s=args.decide_s,
        key_s=args.key_s,
        latency_s=latency_s,
    )
    figures = {
        "bench": "labelling",
        "quick": args.quick,
        "clip": truth["clip"],
        "clip_s": round(clip_s, 1),
        "fps": fps,
        "frames": frames,
        "crossings": len(crossings),
        "lines": len(truth["lines"]),
        "count_s": round(count_s, 1),
        "page_load_ms": drive["loadMs"],
        "key_to_frame_p50_ms": pct(shown, 0.5),
        "key_to_frame_p95_ms": pct(shown, 0.95),
        "key_to_seeked_p50_ms": pct(seeked, 0.5),
        "key_to_seeked_p95_ms": pct(seeked, 0.95),
        "mark_key_to_listed_p50_ms": pct(drive["mark"], 0.5),
        "mark_key_to_listed_p95_ms": pct(drive["mark"], 0.95),
        "frame_keys_measured": len(shown),
        "frame_shown_by_rvfc": sum(1 for x in drive["seek"] if x["how"] == "rvfc"),
        "machine_label_s": round(drive["labelMs"] / 1000, 1),
        "keystrokes": total_keys,
        "keys_nav": keys["nav"],
        "keys_line": keys["line"],
        "keys_mark": keys["mark"],
        "keys_per_crossing": round(per_crossing, 2),
        "marks_match_truth": marks_match,
        "human_model": "clip_s + crossings * (decide_s + (keys_per_crossing + search_keys)"
        " * (key_s + latency_s))",
        "decide_s": args.decide_s,
        "search_keys": args.search_keys,
        "key_s": args.key_s,
        "human_label_s_clip": round(human_clip, 1),
        "human_label_min_per_minute": round(human_clip * per_minute / 60, 2),
        "crossings_per_minute": round(len(crossings) * per_minute, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
