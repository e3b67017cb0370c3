"""An accuracy audit and `metrica eval` agree: the first 28 s of the shared indoor clip (cut
to H.264 MP4 by the worker's recorder, as a camera would send it), uploaded to the real app with
the truth file's lines on the camera and its crossings as the marks, scores exactly what
`metrica eval` prints for the same clip and truth (one matching rule, one counter)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from metrica.edge.recorder import cut_clip
from metrica.evaluation.clip_counter import OnnxClipCounter
from metrica.server.app import create_app
from metrica.server.cameras import service as cameras
from metrica.server.cameras.schemas import LineSpec
from metrica.server.settings import Settings
from tests.server.factories import bearer, make_camera, make_store, make_user
from tests.support.data import DATA, YOLOX_NANO, truth
from tests.support.db import empty_tables, migrate, sqlite_url_in

NAME = "indoor_one_by_one"
TRUTH = truth(NAME)
SECONDS = 28  # 280 frames holding 3 of the clip's 12 crossings (both lines), none near the cut


def cut_truth(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The cut clip and a truth folder for it: the shared truth's lines, and its crossings
    within the cut."""
    clip = tmp_path / f"indoor-{SECONDS}s.mp4"
    frames = cut_clip(TRUTH.clip, clip, SECONDS)
    assert frames == SECONDS * TRUTH.fps
    folder = tmp_path / "truth"
    folder.mkdir()
    raw = json.loads((DATA / "truth" / f"{NAME}.json").read_text())
    raw["crossings"] = [c for c in raw["crossings"] if c["frame"] < frames]
    assert len(raw["crossings"]) == 3
    assert all(abs(c["frame"] - frames) > TRUTH.fps for c in raw["crossings"])
    raw["clip"], raw["frames"] = str(clip), frames  # absolute: the folder is not beside videos/
    (folder / f"{NAME}.json").write_text(json.dumps(raw))
    return clip, raw["crossings"]


def eval_report(folder: Path) -> dict[str, Any]:
    """`metrica eval --json` on a truth folder holding only this clip."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrica.cli",
            "eval",
            "--model",
            str(YOLOX_NANO),
            "--truth",
            str(folder),
            "--no-baseline",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


async def audit_score(
    tmp_path: Path, url: str, clip: bytes, marks: list[dict[str, Any]]
) -> dict[str, Any]:
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="test-secret-not-for-production-0123456789",
        var_dir=tmp_path,
    )
    app = create_app(settings, clip_counter=OnnxClipCounter(str(YOLOX_NANO)))
    state = app.state.metrica
    await empty_tables(state.engine)
    admin = bearer(state, await make_user(state, "admin@example.com", role="superadmin"))
    camera, _ = await make_camera(state, await make_store(state))
    async with state.sessions() as session:
        specs = [
            LineSpec(line_id=x.line_id, x1=x.x1, y1=x.y1, x2=x.x2, y2=x.y2) for x in TRUTH.lines
        ]
        await cameras.replace_lines(session=session, camera=camera, specs=specs)
        await session.commit()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            made = await client.post(
                f"/admin/cameras/{camera.id}/recordings/upload",
                content=clip,
                headers={**admin, "Content-Type": "video/mp4"},
            )
            assert made.status_code == 201, made.text
            rid = made.json()["id"]
            deadline = time.monotonic() + 500
            while True:
                body = (await client.get(f"/admin/recordings/{rid}", headers=admin)).json()
                if body["status"] in ("ready", "failed"):
                    break
                assert time.monotonic() < deadline, "the clip was not counted in time"
                await asyncio.sleep(0.5)
            assert body["status"] == "ready", body["error"]
            assert body["frames"] == SECONDS * TRUTH.fps
            saved = await client.put(
                f"/admin/recordings/{rid}/marks", json={"marks": marks}, headers=admin
            )
            assert saved.status_code == 200, saved.text
            scored = await client.post(f"/admin/recordings/{rid}/score", headers=admin)
            assert scored.status_code == 201, scored.text
            result: dict[str, Any] = scored.json()
            return result
    finally:
        await state.jobs.drain()
        await state.engine.dispose()


@pytest.mark.timeout(600)
def test_an_audit_scores_a_clip_exactly_as_metrica_eval(tmp_path: Path) -> None:
    clip, crossings = cut_truth(tmp_path)
    expected = eval_report(tmp_path / "truth")["metrica"]["clips"][NAME]
    url = sqlite_url_in(tmp_path)
    migrate(url)
    got = asyncio.run(audit_score(tmp_path, url, clip.read_bytes(), crossings))
    assert got["true_crossings"] == expected["true_in"] + expected["true_out"] == 3
    assert got["predicted_crossings"] == expected["pred_in"] + expected["pred_out"]
    assert got["matched"] == expected["tp"]
    for figure in ("precision", "recall", "count_accuracy"):
        assert got[figure] == expected[figure], figure
    assert len(got["misses"]) == expected["fn"]
    assert len(got["extras"]) == expected["fp"]
