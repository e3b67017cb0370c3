import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type APIRequestContext, test as base, expect, type Page } from "@playwright/test";
import { type E2EEnv, e2eEnv } from "./env";

let clock: { startMs: number; atMs: number } | null = null;

/** The backend's "now": global setup pinned its clock (METRICA_CLOCK_START) to a start
 * that advances with the wall clock, the same formula as the server's. */
export function serverNow(): Date {
  if (!clock) {
    const e = e2eEnv();
    clock = { startMs: Date.parse(e.clockStart), atMs: e.clockStartedAtMs };
  }
  return new Date(clock.startMs + (Date.now() - clock.atMs));
}

export const test = base.extend<{ e2e: E2EEnv }>({
  // eslint-disable-next-line no-empty-pattern
  e2e: async ({}, use) => use(e2eEnv()),
  baseURL: async ({ e2e }, use) => use(e2e.baseURL),
  // The browser's clock is the backend's: the app's "today" is the server's.
  context: async ({ context }, use) => {
    await context.clock.install({ time: serverNow() });
    await use(context);
  },
});
export { expect };

export async function getJson<T>(request: APIRequestContext, path: string): Promise<T> {
  const res = await request.get(path);
  expect(res.status(), `GET ${path}`).toBe(200);
  return (await res.json()) as T;
}

/** The demo store's zone (`metrica demo`): its calendar, not this machine's, decides "today". */
export const DEMO_TZ = "Europe/Berlin";

const dayInDemoZone = new Intl.DateTimeFormat("en-CA", {
  timeZone: DEMO_TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** YYYY-MM-DD `days` calendar days after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The demo store's calendar date (YYYY-MM-DD) at `at` (default: the backend's now). */
export function storeDate(at: Date = serverNow()): string {
  return dayInDemoZone.format(at);
}

export interface Live {
  occupancy: number;
  in_today: number;
  out_today: number;
}

export const fmt = new Intl.NumberFormat("en-GB");

/** The page shows the live figures the API gives (read again on every try: the page polls). */
export async function expectLiveAsApi(page: Page, request: APIRequestContext, liveUrl: string): Promise<void> {
  await expect(async () => {
    const live = await getJson<Live>(request, liveUrl);
    await expect(page.getByTestId("in-today")).toHaveText(fmt.format(live.in_today), { timeout: 2_000 });
    await expect(page.getByTestId("out-today")).toHaveText(fmt.format(live.out_today), { timeout: 2_000 });
    await expect(page.getByTestId("occupancy")).toHaveText(fmt.format(live.occupancy), { timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
}

/** What a worker would send: line crossings on the demo camera's "door" line, now (the
 * backend's now). */
export async function postCrossings(
  request: APIRequestContext,
  e2e: E2EEnv,
  directions: ("in" | "out")[],
): Promise<void> {
  const now = serverNow().getTime();
  const res = await request.post(`${e2e.apiURL}/events`, {
    headers: { "X-Worker-Key": e2e.workerKey },
    data: {
      events: directions.map((direction, i) => ({
        type: "line_crossed",
        event_id: randomUUID(),
        camera_id: e2e.cameraId,
        line_id: "door",
        direction,
        occurred_at: new Date(now - 1000 + i).toISOString(),
        track_id: 100_000 + i,
      })),
    },
  });
  expect(res.status(), await res.text()).toBe(200);
  expect((await res.json()).accepted).toBe(directions.length);
}

/** Every one-time sign-in code the backend logged for `email`, oldest first (development
 * mailer): a test that asks for a code waits for one more than it saw before asking, since
 * another spec may have asked for this email's code a moment earlier. */
export function loggedCodes(e2e: E2EEnv, email: string): string[] {
  const log = readFileSync(e2e.serveLog, "utf8");
  const re = new RegExp(`to=${email.replace(/[.]/g, "\\.")}[^\\n]*\\n[^\\n]*?(\\d{6})`, "g");
  return [...log.matchAll(re)].map((m) => m[1]);
}

/** The newest one-time sign-in code the backend logged for `email`. */
export function lastLoggedCode(e2e: E2EEnv, email: string): string | null {
  return loggedCodes(e2e, email).at(-1) ?? null;
}

/** The newest invitation link the backend logged for `email` (development mailer). */
export function lastLoggedInvitation(e2e: E2EEnv, email: string): string | null {
  const log = readFileSync(e2e.serveLog, "utf8");
  const re = new RegExp(`to=${email.replace(/[.+]/g, "\\$&")}[^\\n]*\\n[^\\n]*?(https?://\\S+/invite\\?token=[\\w-]+)`, "g");
  let link: string | null = null;
  for (const m of log.matchAll(re)) link = m[1];
  return link;
}
