import { expect, getJson, test } from "../e2e/fixtures";
import { shot } from "./shot";
import { anprPhoto, CLERK_PASSWORD, enableAnpr, type Job, makeClerk, signIn } from "../e2e/plates-helpers";

test.describe("plates", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("plates pages for a clerk, and the admin's ANPR card", async ({ page, browser, e2e }) => {
    test.setTimeout(300_000);
    // Before ANPR: the owner's empty Plates page.
    const ownerCtx = await browser.newContext({ storageState: e2e.ownerState, baseURL: e2e.baseURL });
    const owner = await ownerCtx.newPage();
    await owner.goto("/app/plates");
    await expect(owner.getByTestId("no-plate-sites")).toBeVisible();
    await shot(owner, "plates-no-sites");
    await ownerCtx.close();

    await enableAnpr(page.request, e2e.storeId);
    const email = `clerk.shots.${Date.now()}@example.com`;
    await makeClerk(page.request, e2e, e2e.storeId, email);
    await page.goto(`/app/admin/stores/${e2e.storeId}`);
    await expect(page.getByRole("list", { name: "Clerks of this store" })).toBeVisible();
    await shot(page, "admin-store-anpr");

    const clerk = await signIn(browser, e2e, email, CLERK_PASSWORD);
    await expect(clerk.getByRole("heading", { name: "Search plates" })).toBeVisible();
    await shot(clerk, "plates-search-empty");

    // A watched plate first, so that reading it raises an alert.
    const photos = [anprPhoto("openalpr_eu", "eu1"), anprPhoto("openalpr_eu", "eu2"), anprPhoto("openalpr_eu", "eu3")];
    const add = await clerk.request.post("/plates/watchlist", {
      data: { store_id: e2e.storeId, plate: photos[0].plate, note: "Reported stolen", notify_email: "desk@example.com" },
    });
    expect(add.status()).toBe(201);

    // Three photos through the page, then their jobs to an end.
    await clerk.goto(`/app/plates/${e2e.storeId}/uploads`);
    await shot(clerk, "plates-uploads-empty");
    await clerk.getByLabel("Choose video or photo files").setInputFiles(photos.map((p) => p.path));
    await clerk.getByLabel("Choose video or photo files").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("not a picture"),
    });
    await expect(clerk.getByTestId("upload-item").first().getByRole("alert")).toBeVisible();
    await expect
      .poll(
        async () => {
          const { jobs } = await getJson<{ jobs: Job[] }>(clerk.request, `/plates/jobs?store_id=${e2e.storeId}`);
          return jobs.length >= 3 && jobs.every((j) => !["queued", "running"].includes(j.status));
        },
        { timeout: 240_000 },
      )
      .toBe(true);
    const statuses = clerk.getByRole("table").getByTestId("job-status");
    await expect(statuses).toHaveCount(3);
    await expect(statuses.filter({ hasText: /Queued|Running/ })).toHaveCount(0);
    await shot(clerk, "plates-uploads-done");
    await clerk.reload();
    await shot(clerk, "plates-uploads");

    await clerk.goto(`/app/plates/${e2e.storeId}/search?q=`);
    await expect(clerk.getByTestId("result-count")).toBeVisible();
    await shot(clerk, "plates-search-results");
    const thumbs = clerk.getByRole("table").getByRole("button", { name: /^Open the crop of / });
    if ((await thumbs.count()) > 0) {
      await thumbs.first().click();
      await expect(clerk.getByTestId("crop-full")).toBeVisible();
      await shot(clerk, "plates-crop-dialog", { fullPage: false });
      await clerk.keyboard.press("Escape");
    }
    await clerk.goto(`/app/plates/${e2e.storeId}/search?q=QQ000QQQ&fuzzy=true`);
    await expect(clerk.getByTestId("no-results")).toBeVisible();
    await shot(clerk, "plates-search-none");
    await clerk.goto(`/app/plates/${e2e.storeId}/search?q=QQ000QQQ&from=2026-01-10&to=2026-01-01`);
    await expect(clerk.getByRole("alert")).toContainText("before");
    await shot(clerk, "plates-search-bad-range");

    await clerk.goto(`/app/plates/${e2e.storeId}/watchlist`);
    await expect(clerk.getByRole("list", { name: "Recent alerts" })).toBeVisible();
    await shot(clerk, "plates-watchlist");

    await clerk.goto("/app/plates/00000000-0000-4000-8000-000000000000/search");
    await shot(clerk, "plates-not-found");
    await clerk.context().close();
  });
});
