import { join } from "node:path";
import { ENV_FILE } from "./env";
import { expect, getJson, test } from "./fixtures";
import {
  acceptInvitation,
  ANPR_DIR,
  anprPhoto,
  CLERK_PASSWORD,
  enableAnpr,
  type Job,
  makeClerk,
  signIn,
  UPLOAD_CAP_BYTES,
} from "./plates-helpers";

// One clerk of the demo store for the whole file: the admin adds them (first test), the
// clerk signs in once and the later tests reuse the session.
const stamp = Date.now();
const clerkEmail = `clerk.${stamp}@example.com`;
const clerkState = join(ENV_FILE, "..", `clerk-${stamp}.json`);
const photo = anprPhoto("openalpr_eu", "eu1");
const VIDEO_DIR = join(ANPR_DIR, "..", "videos");

test.describe.configure({ mode: "serial" });

test.describe("plates: before ANPR", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("an owner whose store has no ANPR sees no Plates section", async ({ page }) => {
    const { sites } = await getJson<{ sites: unknown[] }>(page.request, "/plates/sites");
    expect(sites).toEqual([]);
    await page.goto("/app/");
    await expect(page.getByRole("heading", { name: "Your stores" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link")).toHaveText(["Stores"]);
    await page.goto("/app/plates");
    await expect(page.getByTestId("no-plate-sites")).toBeVisible();
  });
});

test.describe("plates: admin", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("admin enables ANPR with a retention and adds a clerk", async ({ page, e2e }) => {
    await page.goto(`/app/admin/stores/${e2e.storeId}`);
    const anpr = page.getByRole("form", { name: "ANPR settings" });
    await anpr.getByLabel("Plate reading enabled for this store").check();
    await anpr.getByLabel("Keep plates for (days)").fill("0");
    await expect(anpr.getByRole("button", { name: "Save ANPR" })).toBeDisabled();
    await anpr.getByLabel("Keep plates for (days)").fill("14");
    await anpr.getByRole("button", { name: "Save ANPR" }).click();
    await expect(page.getByTestId("anpr-saved")).toHaveText("Saved: plate reading on, plates kept 14 days.");

    // The plate sites now list the store with its retention, and the header offers Plates.
    const { sites } = await getJson<{ sites: { id: string; retention_days: number }[] }>(page.request, "/plates/sites");
    expect(sites.find((s) => s.id === e2e.storeId)?.retention_days).toBe(14);
    await page.reload();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plates" })).toBeVisible();
    await expect(page.getByLabel("Plate reading enabled for this store")).toBeChecked();
    await expect(page.getByLabel("Keep plates for (days)")).toHaveValue("14");

    await page.getByLabel("Clerk email").fill(clerkEmail);
    await page.getByRole("button", { name: "Add clerk" }).click();
    await expect(page.getByRole("list", { name: "Clerks of this store" })).toContainText(clerkEmail);
    const { clerks } = await getJson<{ clerks: { email: string }[] }>(page.request, `/admin/stores/${e2e.storeId}/clerks`);
    expect(clerks.map((c) => c.email)).toContain(clerkEmail);
    await acceptInvitation(e2e, clerkEmail);
  });
});

test.describe("plates: clerk", () => {
  test("a clerk signs in and sees only the Plates section", async ({ browser, e2e }) => {
    const page = await signIn(browser, e2e, clerkEmail, CLERK_PASSWORD);
    // Lands on the site's plate search, not on the stores list.
    await expect(page).toHaveURL(new RegExp(`/app/plates/${e2e.storeId}/search$`));
    await expect(page.getByRole("heading", { name: "Search plates" })).toBeVisible();
    await expect(page).toHaveTitle(/Search · .* · Plates · Metrica/);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link")).toHaveText(["Plates"]);

    // Footfall pages send a clerk back to plates; admin pages are closed.
    await page.goto("/app/");
    await expect(page).toHaveURL(new RegExp(`/app/plates/${e2e.storeId}/search$`));
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page).toHaveURL(new RegExp(`/app/plates/${e2e.storeId}/search$`));
    await expect(page.getByTestId("occupancy")).toHaveCount(0);
    await page.goto("/app/admin/stores");
    await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
    // And the API agrees: no footfall for a clerk.
    expect((await page.request.get(`/live/${e2e.storeId}`)).status()).toBeGreaterThanOrEqual(400);

    await page.context().storageState({ path: clerkState });
    await page.context().close();
  });

  test.describe("signed in", () => {
    test.use({ storageState: clerkState });

    test("uploads a photo: progress, a job that finishes, plates found", async ({ page }) => {
      test.setTimeout(180_000);
      await page.goto("/app/plates");
      await page.getByRole("navigation", { name: "Plates" }).getByRole("link", { name: "Uploads" }).click();
      await expect(page).toHaveTitle(/^Uploads · /);
      await page.getByLabel("Choose video or photo files").setInputFiles(photo.path);
      const item = page.getByTestId("upload-item").first();
      await expect(item.getByRole("progressbar", { name: "Upload of eu1.jpg" })).toBeVisible();
      await expect(item.getByTestId("upload-state")).toHaveText("Uploaded: follow its reading in Jobs below.");
      await expect(item.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");

      // The job list polls by itself until the job ends.
      const row = page.getByTestId("job-row").filter({ hasText: "eu1.jpg" }).first();
      await expect(row).toBeVisible();
      await expect(row.getByTestId("job-status")).toHaveText("Done", { timeout: 150_000 });
      await expect(row.getByTestId("job-plates")).not.toHaveText("0");
    });

    test("a photo that cannot be read fails with its reason, and Retry runs it again", async ({ page, e2e }) => {
      test.setTimeout(120_000);
      await page.goto(`/app/plates/${e2e.storeId}/uploads`);
      await page.getByLabel("Choose video or photo files").setInputFiles({
        name: "broken.jpg",
        mimeType: "image/jpeg",
        buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]),
      });
      const row = page.getByTestId("job-row").filter({ hasText: "broken.jpg" }).first();
      await expect(row.getByTestId("job-status")).toHaveText("Failed", { timeout: 60_000 });
      await expect(row.getByRole("button", { name: "Cancel broken.jpg" })).toHaveCount(0);
      const jobs = async () =>
        (await getJson<{ jobs: Job[] }>(page.request, `/plates/jobs?store_id=${e2e.storeId}`)).jobs.filter(
          (j) => j.filename === "broken.jpg",
        );
      const [failed] = await jobs();
      expect(failed.error).toBeTruthy();
      await expect(row).toContainText(failed.error!);

      await row.getByRole("button", { name: "Retry broken.jpg" }).click();
      // Runs again (fresh attempts, a new finish time) and fails again: the file has not changed.
      await expect
        .poll(async () => {
          const [job] = await jobs();
          return job.status === "failed" && job.finished_at !== failed.finished_at;
        }, { timeout: 60_000 })
        .toBe(true);
      await expect(row.getByTestId("job-status")).toHaveText("Failed");
    });

    test("refuses a file that is not a picture (415), saying why", async ({ page, e2e }) => {
      await page.goto(`/app/plates/${e2e.storeId}/uploads`);
      await page.getByLabel("Choose video or photo files").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("not a picture"),
      });
      await expect(page.getByTestId("upload-item").first().getByRole("alert")).toContainText(
        /^This kind of file cannot be read: .*(image|video)/,
      );
      const { jobs } = await getJson<{ jobs: Job[] }>(page.request, `/plates/jobs?store_id=${e2e.storeId}`);
      expect(jobs.map((j) => j.filename)).not.toContain("notes.txt");
    });

    test("refuses a file over the upload cap (413), saying why", async ({ page, e2e }) => {
      // The app as the backend serves it: the backend answers 413 from the Content-Length
      // before reading the body, which vite preview's proxy turns into a 502.
      await page.goto(`${e2e.apiURL}/app/plates/${e2e.storeId}/uploads`);
      await page.getByLabel("Choose video or photo files").setInputFiles({
        name: "huge.mp4",
        mimeType: "video/mp4",
        buffer: Buffer.alloc(UPLOAD_CAP_BYTES + 1024 * 1024, 1),
      });
      await expect(page.getByTestId("upload-item").first().getByRole("alert")).toContainText(
        "The file is too large to upload",
      );
      const { jobs } = await getJson<{ jobs: Job[] }>(page.request, `/plates/jobs?store_id=${e2e.storeId}`);
      expect(jobs.map((j) => j.filename)).not.toContain("huge.mp4");
    });

    test("searches the plate, opens its crop and exports the search as CSV", async ({ page, e2e }) => {
      await page.goto(`/app/plates/${e2e.storeId}/search`);
      await page.getByLabel("Plate", { exact: true }).fill(photo.plate.toLowerCase());
      await page.getByLabel("Similar plates too (fuzzy)").check();
      await page.getByRole("button", { name: "Search" }).click();
      await expect(page).toHaveURL(/fuzzy=true/);
      const rows = page.getByRole("table").getByTestId("plate-row");
      await expect(rows.first()).toBeVisible();
      // The real reader's best read of the photo is its true plate.
      await expect(rows.first().getByRole("rowheader")).toHaveText(photo.plate);
      await expect(page.getByTestId("result-count")).toContainText("of");

      // The thumbnail opens the full crop in a dialog; Esc closes it and focus comes back.
      const thumb = rows.first().getByRole("button", { name: /^Open the crop of / });
      await thumb.click();
      const dialog = page.getByRole("dialog");
      await expect(dialog.getByRole("heading", { name: /^Plate / })).toBeVisible();
      const img = dialog.getByTestId("crop-full");
      await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
      await page.keyboard.press("Escape");
      await expect(dialog).toBeHidden();
      await expect(thumb).toBeFocused();

      // The CSV link downloads this search.
      const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
      expect(href).toContain("/plates/export.csv?");
      expect(href).toContain("fuzzy=true");
      const csv = await page.request.get(href!);
      expect(csv.status()).toBe(200);
      expect(csv.headers()["content-type"]).toContain("text/csv");
      expect((await csv.text()).split(/\r?\n/).filter(Boolean).length).toBeGreaterThan(1);
    });

    test("a search that finds nothing says so", async ({ page, e2e }) => {
      await page.goto(`/app/plates/${e2e.storeId}/search?q=QQ000QQQ&from=2020-01-01&to=2020-01-02`);
      await expect(page.getByTestId("no-results")).toBeVisible();
      await expect(page.getByRole("link", { name: "Export CSV" })).toHaveCount(0);
    });

    test("adds a watchlist entry with a note, an email and a webhook, then removes it", async ({ page, e2e }) => {
      await page.goto(`/app/plates/${e2e.storeId}/watchlist`);
      await expect(page).toHaveTitle(/^Watchlist · /);
      const form = page.getByRole("form", { name: "Watch a plate" });
      await form.getByLabel("Plate to watch").fill("b-ad 123");
      await form.getByLabel("Note").fill("Reported stolen");
      await form.getByLabel("Alert email").fill("desk@example.com");
      await form.getByLabel("Alert webhook URL").fill("https://hooks.example.com/plates");
      await form.getByRole("button", { name: "Watch plate" }).click();
      const list = page.getByRole("list", { name: "Watched plates" });
      await expect(list).toContainText("Reported stolen");
      await expect(list).toContainText("desk@example.com");
      await expect(form.getByLabel("Plate to watch")).toHaveValue("");
      const { entries } = await getJson<{ entries: { id: string; plate: string; note: string }[] }>(
        page.request,
        `/plates/watchlist?store_id=${e2e.storeId}`,
      );
      const entry = entries.find((w) => w.note === "Reported stolen");
      expect(entry?.plate).toBe("BAD123");
      await expect(list.getByTestId("watch-entry").filter({ hasText: "Reported stolen" })).toContainText("BAD123");

      await list.getByRole("button", { name: "Stop watching BAD123" }).click();
      await expect(list.getByTestId("watch-entry").filter({ hasText: "Reported stolen" })).toHaveCount(0);
      const after = await getJson<{ entries: { id: string }[] }>(page.request, `/plates/watchlist?store_id=${e2e.storeId}`);
      expect(after.entries.map((w) => w.id)).not.toContain(entry!.id);
    });

    test("reading a watched plate in an upload raises an alert on the watchlist page", async ({ page, e2e }) => {
      test.setTimeout(120_000);
      const watched = anprPhoto("openalpr_eu", "eu2");
      const res = await page.request.post("/plates/watchlist", {
        data: { store_id: e2e.storeId, plate: watched.plate, note: "Alert test", notify_email: "desk@example.com" },
      });
      expect(res.status(), await res.text()).toBe(201);
      await page.goto(`/app/plates/${e2e.storeId}/uploads`);
      await page.getByLabel("Choose video or photo files").setInputFiles(watched.path);
      const row = page.getByTestId("job-row").filter({ hasText: "eu2.jpg" }).first();
      await expect(row.getByTestId("job-status")).toHaveText("Done", { timeout: 90_000 });

      await page.getByRole("navigation", { name: "Plates" }).getByRole("link", { name: "Watchlist" }).click();
      const alerts = page.getByRole("list", { name: "Recent alerts" });
      await expect(alerts).toContainText(watched.plate, { timeout: 20_000 });
      await expect(alerts.getByRole("listitem").filter({ hasText: watched.plate }).first()).toContainText("email");
    });

    test("a video shows live frame progress and is cancelled (last: it leaves the reader busy a moment)", async ({ page, e2e }) => {
      test.setTimeout(180_000);
      await page.goto(`/app/plates/${e2e.storeId}/uploads`);
      await page.getByLabel("Choose video or photo files").setInputFiles(join(VIDEO_DIR, "indoor_one_by_one.mp4"));
      const row = page.getByTestId("job-row").filter({ hasText: "indoor_one_by_one.mp4" }).first();
      await expect(row.getByTestId("job-status")).toHaveText("Running", { timeout: 60_000 });
      // The list polls: the frame count moves without a reload.
      const progress = row.getByRole("progressbar", { name: "Progress of indoor_one_by_one.mp4" });
      await expect(progress).toHaveAttribute("aria-valuetext", /^\d+ \/ \d+ frames$/, { timeout: 60_000 });
      const first = await progress.getAttribute("aria-valuetext");
      await expect(progress).not.toHaveAttribute("aria-valuetext", first!, { timeout: 60_000 });

      await row.getByRole("button", { name: "Cancel indoor_one_by_one.mp4" }).click();
      await expect(row.getByTestId("job-status")).toHaveText("Cancelled");
      await expect(row.getByRole("button", { name: "Retry indoor_one_by_one.mp4" })).toBeVisible();
      // Still cancelled after the list's next polls: the server does not finish it after all.
      await page.reload();
      await expect(row.getByTestId("job-status")).toHaveText("Cancelled");
    });
  });
});

test.describe("plates: tenancy", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("a clerk of store A cannot see store B, even with ANPR on there", async ({ page, browser, e2e }) => {
    const created = await page.request.post("/admin/stores", { data: { name: `Car park B ${stamp}`, timezone: "Europe/Paris" } });
    expect(created.status()).toBe(201);
    const { id: storeB } = (await created.json()) as { id: string };
    await enableAnpr(page.request, storeB);
    // B has a clerk of its own, with a watchlist entry, so there is something to hide.
    const otherEmail = `clerk.b.${stamp}@example.com`;
    await makeClerk(page.request, e2e, storeB, otherEmail);

    const context = await browser.newContext({ storageState: clerkState, baseURL: e2e.baseURL });
    const clerk = await context.newPage();
    await clerk.goto(`/app/plates/${storeB}/search`);
    await expect(clerk.getByTestId("not-found")).toBeVisible();
    await clerk.goto(`/app/plates/${storeB}/watchlist`);
    await expect(clerk.getByTestId("not-found")).toBeVisible();
    const { sites } = await getJson<{ sites: { id: string }[] }>(clerk.request, "/plates/sites");
    expect(sites.map((s) => s.id)).toEqual([e2e.storeId]);
    for (const path of [`/plates/jobs?store_id=${storeB}`, `/plates?store_id=${storeB}&q=AB1`, `/plates/watchlist?store_id=${storeB}`]) {
      expect((await clerk.request.get(path)).status(), path).toBe(404);
    }
    const upload = await clerk.request.post(`/plates/uploads?store_id=${storeB}`, {
      multipart: { file: { name: "x.jpg", mimeType: "image/jpeg", buffer: Buffer.from([0xff, 0xd8, 0xff]) } },
    });
    expect(upload.status()).toBe(404);
    await context.close();
  });

  test("the demo owner gets the Plates section now that ANPR is on for their store", async ({ browser, e2e }) => {
    const context = await browser.newContext({ storageState: e2e.ownerState, baseURL: e2e.baseURL });
    const owner = await context.newPage();
    await owner.goto("/app/");
    await expect(owner.getByRole("heading", { name: "Your stores" })).toBeVisible();
    await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plates" }).click();
    await expect(owner).toHaveURL(new RegExp(`/app/plates/${e2e.storeId}/search$`));
    await expect(owner.getByRole("heading", { name: "Search plates" })).toBeVisible();
    await context.close();
  });
});
