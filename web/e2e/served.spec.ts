import type { Page } from "@playwright/test";
import { expect, expectLiveAsApi, test } from "./fixtures";

test("the backend serves the built app under /app/ and redirects / there", async ({ request, e2e }) => {
  const app = await request.get(`${e2e.apiURL}/app/`);
  expect(app.status()).toBe(200);
  expect(await app.text()).toContain('<div id="root">');
  const root = await request.get(`${e2e.apiURL}/`, { maxRedirects: 0 });
  expect([302, 307]).toContain(root.status());
  expect(root.headers()["location"]).toMatch(/\/app\/$/);
});

/** Content-Security-Policy violations and requests that leave `origin`, as the page reports them. */
function watch(page: Page, origin: string): { violations: string[]; offsite: string[] } {
  const seen = { violations: [] as string[], offsite: [] as string[] };
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.violations.push(m.text());
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith("data:")) seen.offsite.push(r.url());
  });
  return seen;
}

test("the app runs when the backend serves it, under the backend's CSP", async ({ page, e2e }) => {
  const seen = watch(page, e2e.apiURL);
  const app = await page.goto(`${e2e.apiURL}/app/`);
  expect(app?.headers()["content-security-policy"]).toContain("script-src 'self';");
  expect(app?.headers()["x-frame-options"]).toBe("DENY");
  await expect(page).toHaveURL(/\/app\/login/);
  await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
  await page.getByLabel("Password", { exact: true }).fill(e2e.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Your stores" })).toBeVisible();
  await page.getByRole("link", { name: /Demo Store Berlin/ }).click();
  await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");
  await page.getByRole("radio", { name: "Week" }).click();
  await expect(page.getByRole("table")).toBeVisible();
  await expect(page.locator(".recharts-surface").first()).toBeVisible();
  expect(seen.violations).toEqual([]);
  expect(seen.offsite).toEqual([]);
});

test("the API docs load from the backend alone, under their own CSP", async ({ page, e2e }) => {
  const seen = watch(page, e2e.apiURL);
  const docs = await page.goto(`${e2e.apiURL}/docs`);
  expect(docs?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'sha256-/);
  await expect(page.locator(".opblock").first()).toBeVisible();
  await expect(page.getByRole("button", { name: /Authorize/ })).toBeVisible();
  expect(await page.locator(".opblock").count()).toBeGreaterThan(30);
  expect(seen.violations).toEqual([]);
  expect(seen.offsite).toEqual([]);
});

test("the app hosted apart from the API (VITE_API_URL + CORS) signs in and shows live numbers", async ({ browser, e2e }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const calls: string[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "fetch") calls.push(r.url());
  });
  const failed: string[] = [];
  page.on("requestfailed", (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));

  await page.goto(`${e2e.apartURL}/app/`);
  await expect(page).toHaveURL(/\/app\/login/);
  await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
  await page.getByLabel("Password", { exact: true }).fill(e2e.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: /Demo Store Berlin/ }).click();
  await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");
  await expectLiveAsApi(page, context.request, `${e2e.apiURL}/live/${e2e.storeId}`);

  // The session (the API's cookie, sent with credentials) survives a reload.
  await page.reload();
  await expect(page.getByTestId("user-email")).toHaveText(e2e.ownerEmail);

  expect(calls.length).toBeGreaterThan(3);
  expect(calls.filter((url) => !url.startsWith(`${e2e.apiURL}/`))).toEqual([]);
  expect(failed).toEqual([]);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/app\/login/);
  expect((await context.request.get(`${e2e.apiURL}/auth/me`)).status()).toBe(401);
  await context.close();
});
