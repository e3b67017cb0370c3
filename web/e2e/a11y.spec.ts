import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { addDays, expect, postCrossings, serverNow, storeDate, test } from "./fixtures";

/** WCAG 2.x A and AA, as axe-core checks them. */
async function expectNoViolations(page: Page, what: string) {
  await page.waitForLoadState("networkidle");
  await expect(page.getByText("Loading…")).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

test.describe("axe, signed out", () => {
  test("sign-in, email code, invitation", async ({ page }) => {
    await page.goto("/app/login");
    await expect(page).toHaveTitle("Sign in · Metrica");
    await expectNoViolations(page, "sign-in");
    await page.getByRole("radio", { name: "Email code" }).click();
    await expectNoViolations(page, "sign-in by code");
    await page.goto(`/app/invite?token=${"x".repeat(43)}`);
    await expectNoViolations(page, "invitation");
  });
});

test.describe("axe, owner", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("overview, store day/week/month with a live camera, tables open", async ({ page, e2e }) => {
    test.setTimeout(180_000); // axe takes seconds a page on a busy machine
    await postCrossings(page.request, e2e, ["in"]); // the seeded camera counts: "counting"
    await page.goto("/app/");
    await expect(page.getByTestId("stores-overview")).toBeVisible();
    await expect(page).toHaveTitle("Your stores · Metrica");
    await expectNoViolations(page, "overview");
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page.getByTestId("camera-freshness")).toContainText("counting");
    await expect(page).toHaveTitle("Demo Store Berlin · Metrica");
    await page.getByText("Show values as a table").first().click();
    await page.getByText("Show values as a table").last().click();
    await expectNoViolations(page, "store, day");
    for (const period of ["Week", "Month"]) {
      await page.getByRole("radio", { name: period }).click();
      await expect(page.getByTestId("footfall-chart")).toBeVisible();
      await expectNoViolations(page, `store, ${period}`);
    }
    await page.goto(`/app/stores/${e2e.storeId}/nowhere`);
    await expectNoViolations(page, "not found");
  });
});

test.describe("axe, admin", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("stores, store, cameras, camera, dialogs open, a camera never connected", async ({ page, e2e }) => {
    test.setTimeout(180_000);
    // A second camera that never reported: the "offline"/"never connected" badges.
    const made = await page.request.post("/admin/cameras", {
      data: { store_id: e2e.storeId, name: `Back door ${Date.now()}`, is_counting_line: true },
    });
    expect(made.status()).toBe(201);
    await page.goto("/app/admin/stores");
    await expectNoViolations(page, "admin stores");
    await page.getByRole("button", { name: "New store" }).click();
    await expect(page.getByRole("dialog", { name: "New store" })).toBeVisible();
    await expectNoViolations(page, "new store dialog");
    await page.keyboard.press("Escape");
    await page.goto(`/app/admin/stores/${e2e.storeId}`);
    await expectNoViolations(page, "admin store");
    await page.getByRole("button", { name: "Delete store" }).click();
    await expect(page.getByRole("alertdialog")).toBeVisible();
    await expectNoViolations(page, "delete store dialog");
    await page.keyboard.press("Escape");
    await page.goto("/app/admin/cameras");
    await expectNoViolations(page, "camera health");
    await page.goto(`/app/admin/cameras/${e2e.cameraId}`);
    await expectNoViolations(page, "admin camera");
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page.getByTestId("camera-freshness")).toContainText("never connected");
    await expectNoViolations(page, "store with a camera never connected");
  });
});

test.describe("keyboard", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState), locale: "en-US" });

  test("the date box applies a typed date on Enter, never the partial years on the way", async ({ page, e2e }) => {
    const loaded: string[] = [];
    page.on("request", (r) => {
      const date = new URL(r.url()).searchParams.get("date");
      if (r.url().includes("/dashboard/") && date) loaded.push(date);
    });
    // The page's "today" is the browser's: pinned, so a store midnight during the test
    // cannot move the latest date under it.
    const now = serverNow();
    await page.clock.setFixedTime(now);
    await page.goto(`/app/stores/${e2e.storeId}`);
    await expect(page.getByTestId("footfall-chart")).toBeVisible();
    const target = addDays(storeDate(now), -10);
    const [y, m, d] = target.split("-");
    const box = page.getByLabel("Date in the period");
    await box.focus();
    await page.keyboard.type(`${m}${d}${y}`); // en-US: month, day, year
    await expect(box).toHaveValue(target);
    expect(page.url()).not.toContain("date=");
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`date=${target}`));
    expect(loaded.filter((x) => x.startsWith("00"))).toEqual([]);

    // Stepping the month or the year with the arrow keys never lands past today (nor
    // wraps to year 2000 and loads it): what applies on blur is within [min, max].
    const today = storeDate(now);
    for (const rights of [0, 2]) {
      await box.focus();
      for (let i = 0; i < rights; i++) await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowUp");
      await page.keyboard.press("ArrowUp");
      // Enter applies, and so does leaving the field (Tab walks its segments first).
      if (rights === 0) await page.keyboard.press("Enter");
      else await box.blur();
      await expect
        .poll(async () => {
          const shown = new URL(page.url()).searchParams.get("date") ?? today;
          return shown >= "2000-01-01" && shown <= today && (await box.inputValue()) === shown;
        })
        .toBe(true);
    }
    expect(loaded.filter((x) => x > today || x < "2000-01-01")).toEqual([]);
  });

  test("Next day at today and Today keep focus on the page", async ({ page, e2e }) => {
    const now = serverNow();
    await page.clock.setFixedTime(now); // "today" must not move at a store midnight
    const yesterday = addDays(storeDate(now), -1);
    await page.goto(`/app/stores/${e2e.storeId}?date=${yesterday}`);
    const next = page.getByRole("button", { name: "Next day" });
    await next.focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`date=${storeDate(now)}`));
    await expect(next).toHaveAttribute("aria-disabled", "true");
    await expect(next).toBeFocused();

    await page.goto(`/app/stores/${e2e.storeId}?date=${yesterday}`);
    await page.getByRole("button", { name: "Today" }).focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("button", { name: "Today" })).toHaveCount(0);
    await expect(page.getByLabel("Date in the period")).toBeFocused();
  });

  test("the skip link, and opening a store focuses its heading", async ({ page, e2e }) => {
    await page.goto("/app/");
    await expect(page.getByTestId("stores-overview")).toBeVisible();
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.locator("#main")).toBeFocused();
    await page.getByRole("link", { name: "Demo Store Berlin" }).focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Demo Store Berlin" })).toBeFocused();
    expect(new URL(page.url()).pathname).toBe(`/app/stores/${e2e.storeId}`);
  });
});

test.describe("keyboard, signing in", () => {
  test("after signing in, focus is on the page heading; Email me a code focuses the code", async ({ page, e2e }) => {
    await page.goto("/app/login");
    await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
    await page.getByLabel("Password", { exact: true }).fill(e2e.password);
    await page.getByLabel("Password", { exact: true }).press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Your stores" })).toBeFocused();

    await page.context().clearCookies();
    await page.goto("/app/login");
    await page.getByRole("radio", { name: "Email code" }).click();
    await page.getByLabel("Email", { exact: true }).fill(e2e.ownerEmail);
    await page.getByRole("button", { name: "Email me a code" }).focus();
    await page.keyboard.press("Enter");
    await expect(page.getByLabel("6-digit code")).toBeFocused();
  });
});

test.describe("keyboard, dialogs", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("Esc closes New store and Delete store and returns focus to their buttons", async ({ page, e2e }) => {
    await page.goto("/app/admin/stores");
    const create = page.getByRole("button", { name: "New store" });
    await create.focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("dialog", { name: "New store" })).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    await expect(create).toBeFocused();

    await page.goto(`/app/admin/stores/${e2e.storeId}`);
    const del = page.getByRole("button", { name: "Delete store" });
    await del.focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("alertdialog")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("alertdialog")).toHaveCount(0);
    await expect(del).toBeFocused();
  });
});
