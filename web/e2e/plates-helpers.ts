import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type APIRequestContext, type Browser, expect, type Page, request } from "@playwright/test";
import type { E2EEnv } from "./env";
import { lastLoggedInvitation } from "./fixtures";

/** The shared ANPR photos (`METRICA_DATA_DIR`, else ../shared/data beside the repo), by path. */
export const ANPR_DIR = join(
  process.env.METRICA_DATA_DIR ?? resolve(import.meta.dirname, "..", "..", "..", "shared", "data"),
  "anpr",
);

/** A shared photo and its plate, from the truth file beside it (`name x y w h PLATE`). */
export function anprPhoto(set: "openalpr_eu" | "openalpr_us", stem: string): { path: string; plate: string } {
  const truth = readFileSync(join(ANPR_DIR, set, `${stem}.txt`), "utf8").trim().split(/\s+/);
  return { path: join(ANPR_DIR, set, `${stem}.jpg`), plate: truth[truth.length - 1] };
}

export { PLATES_UPLOAD_CAP_BYTES as UPLOAD_CAP_BYTES } from "./env";

export const CLERK_PASSWORD = "plate clerk 2026";

/** As the superadmin: ANPR on for the store, via the API the admin page uses. */
export async function enableAnpr(admin: APIRequestContext, storeId: string, retentionDays = 30): Promise<void> {
  const res = await admin.put(`/admin/stores/${storeId}/anpr`, { data: { enabled: true, retention_days: retentionDays } });
  expect(res.status(), await res.text()).toBe(200);
}

/**
 * A clerk of `storeId` with a password: the admin adds them by email (the backend emails
 * an invitation), then the invitation is accepted with the token from the server log.
 */
export async function makeClerk(admin: APIRequestContext, e2e: E2EEnv, storeId: string, email: string): Promise<void> {
  const added = await admin.post(`/admin/stores/${storeId}/clerks`, { data: { email } });
  expect(added.status(), await added.text()).toBe(201);
  await acceptInvitation(e2e, email);
}

export async function acceptInvitation(e2e: E2EEnv, email: string): Promise<void> {
  let link: string | null = null;
  await expect.poll(() => (link = lastLoggedInvitation(e2e, email))).not.toBeNull();
  const token = new URL(link!).searchParams.get("token");
  // A context of its own: accepting signs in, and the admin's cookie must stay the admin's.
  const ctx = await request.newContext();
  try {
    const res = await ctx.post(`${e2e.apiURL}/auth/invitations/accept`, { data: { token, password: CLERK_PASSWORD } });
    expect(res.status(), await res.text()).toBe(200);
  } finally {
    await ctx.dispose();
  }
}

/** A page in a new browser context, signed in through the real form. */
export async function signIn(browser: Browser, e2e: E2EEnv, email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: e2e.baseURL });
  const page = await context.newPage();
  await page.goto("/app/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  return page;
}

export interface Job {
  id: string;
  filename: string;
  status: string;
  plates_found: number;
  attempts: number;
  error: string | null;
  finished_at: string | null;
}

/**
 * A site of its own with ANPR on and one photo read into it (the real reader), for the
 * access-log and data-request pages: returns the store and the plate read there.
 */
export async function siteWithOneRead(
  admin: APIRequestContext,
  name: string,
): Promise<{ storeId: string; plate: string; jobId: string }> {
  const created = await admin.post("/admin/stores", { data: { name, timezone: "Europe/Paris" } });
  expect(created.status(), await created.text()).toBe(201);
  const { id: storeId } = (await created.json()) as { id: string };
  await enableAnpr(admin, storeId);
  const photo = anprPhoto("openalpr_eu", "eu1");
  const uploaded = await admin.post(`/plates/uploads?store_id=${storeId}`, {
    multipart: { file: { name: "eu1.jpg", mimeType: "image/jpeg", buffer: readFileSync(photo.path) } },
  });
  expect(uploaded.status(), await uploaded.text()).toBe(202);
  const { id: jobId } = (await uploaded.json()) as { id: string };
  await expect
    .poll(async () => ((await (await admin.get(`/plates/jobs/${jobId}`)).json()) as Job).status, { timeout: 150_000 })
    .toBe("done");
  return { storeId, plate: photo.plate, jobId };
}
