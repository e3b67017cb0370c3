import {
  addDays,
  expect,
  expectLiveAsApi,
  fmt,
  getJson,
  lastLoggedCode,
  loggedCodes,
  type Live,
  postCrossings,
  storeDate,
  test,
} from "./fixtures";

interface Dashboard {
  footfall_in: number;
  footfall_out: number;
  peak_hour: { hour: number } | null;
  start: string;
}

test.describe("owner", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("sees the seeded numbers of their store, matching the API", async ({ page, e2e }) => {
    await page.goto("/app/");
    await page.getByRole("link", { name: /Demo Store Berlin/ }).click();
    await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");
    await expect(page.getByTestId("tz-label")).toHaveText("Europe/Berlin time");
    await expectLiveAsApi(page, page.request, `/live/${e2e.storeId}`);

    // A past week, never the one in progress (on a Monday before opening it has no visits
    // yet). The week of the day 7 days back is the last complete one, and global setup seeds
    // 14 days before today: all of it has history (the demo store opens 05:00-24:00 every day).
    // It is picked with the date field, and the API is asked for the same date.
    const lastWeek = addDays(storeDate(), -7);
    await page.getByRole("radio", { name: "Week" }).click();
    await expect(page).toHaveURL(/period=week/);
    await page.getByLabel("Date in the period").fill(lastWeek);
    await page.getByLabel("Date in the period").press("Enter"); // applies on Enter or blur
    await expect(page).toHaveURL(new RegExp(`period=week&date=${lastWeek}`));
    const week = await getJson<Dashboard>(page.request, `/dashboard/${e2e.storeId}?period=week&date=${lastWeek}`);
    expect(week.footfall_in).toBeGreaterThan(0);
    expect(week.peak_hour).not.toBeNull();
    await expect(page.getByTestId("footfall-in")).toHaveText(fmt.format(week.footfall_in));
    await expect(page.getByTestId("footfall-out")).toHaveText(fmt.format(week.footfall_out));
    const h = String(week.peak_hour!.hour).padStart(2, "0");
    await expect(page.getByTestId("peak-hour")).toContainText(`${h}:00`);
    await expect(page.getByRole("table")).toBeVisible();

    // The week before, through the picker's "previous" button.
    await page.getByRole("button", { name: "Previous week" }).click();
    const prevDate = addDays(lastWeek, -7);
    await expect(page).toHaveURL(new RegExp(`date=${prevDate}`));
    const prev = await getJson<Dashboard>(page.request, `/dashboard/${e2e.storeId}?period=week&date=${prevDate}`);
    await expect(page.getByTestId("footfall-in")).toHaveText(fmt.format(prev.footfall_in));

    // CSV export downloads the period's series.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`metrica-demo-store-berlin-week-${prevDate}.csv`);
  });

  test("the session survives a reload", async ({ page, e2e }) => {
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");
    await page.reload();
    await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");
    await expect(page.getByTestId("user-email")).toHaveText(e2e.ownerEmail);
  });

  test("live occupancy follows a worker's events without a reload", async ({ page, e2e }) => {
    await page.goto(`/app/stores/${e2e.storeId}`);
    // The backend's clock is pinned to 11:00 in Berlin (global setup): no store midnight
    // falls between the two reads.
    const before = await getJson<Live>(page.request, `/live/${e2e.storeId}`);
    await expect(page.getByTestId("in-today")).toHaveText(fmt.format(before.in_today));

    await postCrossings(page.request, e2e, ["in", "in", "in"]);

    await expect(page.getByTestId("in-today")).toHaveText(fmt.format(before.in_today + 3), { timeout: 15_000 });
    await expect(page.getByTestId("occupancy")).toHaveText(fmt.format(before.occupancy + 3));
    await expect(page.getByTestId("camera-freshness")).toContainText("counting");
  });

  test("cannot reach a store that is not theirs", async ({ page, e2e, playwright }) => {
    const admin = await playwright.request.newContext({ baseURL: e2e.baseURL, storageState: e2e.adminState });
    const created = await admin.post("/admin/stores", { data: { name: "Someone else's shop", timezone: "Europe/Paris" } });
    expect(created.status()).toBe(201);
    const other = (await created.json()) as { id: string };
    await admin.dispose();

    expect((await page.request.get(`/live/${other.id}`)).status()).toBe(404);
    expect((await page.request.get(`/dashboard/${other.id}?period=day`)).status()).toBe(404);
    expect((await page.request.get(`/admin/stores`)).status()).toBe(403);

    await page.goto(`/app/stores/${other.id}`);
    await expect(page.getByTestId("not-found")).toBeVisible();
    await expect(page.getByText("Someone else's shop")).toHaveCount(0);

    await page.goto("/app/admin/stores");
    await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
  });
});

test.describe("sign-in", () => {
  test("with an emailed code, then sign out", async ({ page, e2e }) => {
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page).toHaveURL(/\/app\/login/);
    await page.getByRole("radio", { name: "Email code" }).click();
    await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
    const before = loggedCodes(e2e, e2e.ownerEmail).length; // other specs ask for codes too
    await page.getByRole("button", { name: "Email me a code" }).click();
    await expect(page.getByLabel("6-digit code")).toBeVisible();
    await expect.poll(() => loggedCodes(e2e, e2e.ownerEmail).length).toBeGreaterThan(before);
    const code = lastLoggedCode(e2e, e2e.ownerEmail)!;
    await page.getByLabel("6-digit code").fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    // Back where they wanted to go.
    await expect(page.getByTestId("store-name")).toHaveText("Demo Store Berlin");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/app\/login/);
    await page.goto("/app/");
    await expect(page).toHaveURL(/\/app\/login/);
    expect((await page.request.get("/auth/me")).status()).toBe(401);
  });

  test("a wrong password says so", async ({ page, e2e }) => {
    await page.goto("/app/login");
    await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert")).toBeVisible();
    await expect(page).toHaveURL(/\/app\/login/);
  });
});
