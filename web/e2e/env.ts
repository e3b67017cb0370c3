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
}

/** The upload cap global setup gives `metrica serve` (small, so the 413 test stays quick). */
export const PLATES_UPLOAD_CAP_BYTES = 8 * 1024 * 1024;

export const ENV_FILE = join(import.meta.dirname, ".state", "env.json");

export function e2eEnv(): E2EEnv {
  return JSON.parse(readFileSync(ENV_FILE, "utf8")) as E2EEnv;
}
