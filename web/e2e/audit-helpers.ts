import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type APIRequestContext, expect } from "@playwright/test";

const REPO = resolve(import.meta.dirname, "..", "..");
const DATA = process.env.METRICA_DATA_DIR ?? resolve(REPO, "..", "shared", "data");

/** The shared indoor clip's truth: its lines and crossings (`truth/indoor_one_by_one.json`). */
export const INDOOR = JSON.parse(readFileSync(join(DATA, "truth", "indoor_one_by_one.json"), "utf8")) as {
  fps: number;
  lines: { id: string; p1: [number, number]; p2: [number, number] }[];
  crossings: { line: string; frame: number; direction: "in" | "out" }[];
};

/** The first `seconds` of the shared indoor clip as H.264 MP4, cut by the worker's own recorder. */
export function indoorClip(seconds: number): string {
  const out = join(mkdtempSync(join(tmpdir(), "metrica-audit-")), "indoor.mp4");
  execFileSync(
    "uv",
    [
      "run",
      "python",
      "-c",
      "import sys; from pathlib import Path; from metrica.edge.recorder import cut_clip; " +
        "cut_clip(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]))",
      join(DATA, "videos", "indoor_one_by_one.mp4"),
      out,
      String(seconds),
    ],
    { cwd: REPO, timeout: 120_000, stdio: ["ignore", "ignore", "ignore"] },
  );
  return out;
}

/** A new camera in the demo store with the indoor clip's lines (R1, R2); returns its id. */
export async function auditCamera(admin: APIRequestContext, storeId: string, name: string): Promise<string> {
  const made = await admin.post("/admin/cameras", { data: { store_id: storeId, name } });
  expect(made.status(), await made.text()).toBe(201);
  const id = ((await made.json()) as { id: string }).id;
  const lines = INDOOR.lines.map((l) => ({
    line_id: l.id,
    name: l.id,
    x1: l.p1[0],
    y1: l.p1[1],
    x2: l.p2[0],
    y2: l.p2[1],
  }));
  const put = await admin.put(`/admin/cameras/${id}/lines`, { data: lines });
  expect(put.status(), await put.text()).toBe(200);
  return id;
}
