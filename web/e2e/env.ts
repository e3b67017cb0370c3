import { readFileSync } from "node:fs";
import { join } from "node:path";

/** What global setup started, shared with the tests through a JSON file. */
export interface E2EEnv {
  baseURL: string;
  apiURL: string;
  /** The same app built with VITE_API_URL=apiURL, on its own origin. */
  apartURL: string;
  serveLog: string;
  storeId: string;
  cameraId: string;
  workerKey: string;
  password: string;
  adminEmail: string;
  ownerEmail: string;
  adminState: string;
  ownerState: string;
  /** The backend's clock read `clockStart` (ISO 8601) at `clockStartedAtMs` (this machine's
   * wall clock, ms) and advances with the wall clock: see `serverNow` in fixtures.ts. */
  clockStart: string;
  clockStartedAtMs: number;
}

/** What the backend's clock reads when global setup starts it (METRICA_CLOCK_START): a
 * Wednesday, 11:00 in Berlin, so that no run meets a store midnight or depends on the day
 * it runs. The demo history (14 days) ends there. */
export const CLOCK_START = "2026-11-18T10:00:00+00:00";

/** The upload cap global setup gives `metrica serve` (small, so the 413 test stays quick). */
export const PLATES_UPLOAD_CAP_BYTES = 8 * 1024 * 1024;

export const ENV_FILE = join(import.meta.dirname, ".state", "env.json");

export function e2eEnv(): E2EEnv {
  return JSON.parse(readFileSync(ENV_FILE, "utf8")) as E2EEnv;
}
