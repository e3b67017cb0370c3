"""An accuracy audit and `metrica eval` agree: the shared indoor clip, uploaded to the real
app with the truth file's lines on the camera and its crossings as the marks, scores
exactly what `metrica eval` prints for that clip (one matching rule, one counter)."""

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


def eval_report(tmp_path: Path) -> dict[str, Any]:
    """`metrica eval --json` on a truth folder holding only this clip."""
    folder = tmp_path / "truth"
    folder.mkdir()
    raw = json.loads((DATA / "truth" / f"{NAME}.json").read_text())
    raw["clip"] = str(TRUTH.clip.resolve())  # absolute: the folder is not beside videos/
    (folder / f"{NAME}.json").write_text(json.dumps(raw))
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


async def audit_score(tmp_path: Path, clip: bytes) -> dict[str, Any]:
    url = sqlite_url_in(tmp_path)
    migrate(url)
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
            assert body["frames"] == TRUTH.frames
            marks = [
                {"line": c.line_id, "direction": c.direction, "frame": c.frame}
                for c in TRUTH.crossings
            ]
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


@pytest.mark.timeout(900)
def test_an_audit_scores_a_clip_exactly_as_metrica_eval(tmp_path: Path) -> None:
    expected = eval_report(tmp_path)["metrica"]["clips"][NAME]
    got = asyncio.run(audit_score(tmp_path, TRUTH.clip.read_bytes()))
    assert (
        got["true_crossings"] == expected["true_in"] + expected["true_out"] == len(TRUTH.crossings)
    )
    assert got["predicted_crossings"] == expected["pred_in"] + expected["pred_out"]
    assert got["matched"] == expected["tp"]
    for figure in ("precision", "recall", "count_accuracy"):
        assert got[figure] == expected[figure], figure
    assert len(got["misses"]) == expected["fn"]
    assert len(got["extras"]) == expected["fp"]
