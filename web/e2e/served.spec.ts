import { expect, test } from "./fixtures";

test("the backend serves the built app under /app/ and redirects / there", async ({ request, e2e }) => {
  const app = await request.get(`${e2e.apiURL}/app/`);
  expect(app.status()).toBe(200);
  expect(await app.text()).toContain('<div id="root">');
  const root = await request.get(`${e2e.apiURL}/`, { maxRedirects: 0 });
  expect([302, 307]).toContain(root.status());
  expect(root.headers()["location"]).toMatch(/\/app\/$/);
});

test("the app runs when the backend serves it, not only behind vite preview", async ({ page, e2e }) => {
  await page.goto(`${e2e.apiURL}/app/`);
  await expect(page).toHaveURL(/\/app\/login/);
  await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
  await page.getByLabel("Password", { exact: true }).fill(e2e.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Your stores" })).toBeVisible();
});
