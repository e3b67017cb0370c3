import type { Page } from "@playwright/test";
import { expect, test } from "../e2e/fixtures";
import { shot } from "./shot";

/** A 1280x720 JPEG drawn in the browser, as a stand-in camera snapshot. */
async function snapshotJpeg(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(1280, 720);
    const g = canvas.getContext("2d")!;
    const grad = g.createLinearGradient(0, 0, 0, 720);
    grad.addColorStop(0, "#8a9bb0");
    grad.addColorStop(1, "#3d4652");
    g.fillStyle = grad;
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = "#222";
    g.fillRect(480, 120, 320, 520);
    g.fillStyle = "#c9b37e";
    g.fillRect(0, 560, 1280, 160);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, "base64");
}

test.describe("signed out", () => {
  test("login and invitation", async ({ page }) => {
    await page.goto("/app/login");
    await shot(page, "login-password");
    await page.getByRole("radio", { name: "Email code" }).click();
    await shot(page, "login-code");
    await page.goto(`/app/invite?token=${"x".repeat(43)}`);
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await shot(page, "invite-form-error");
    await page.getByLabel("New password").fill("long enough");
    await page.getByLabel("Confirm password").fill("long enough");
    await page.getByRole("button", { name: "Set password and sign in" }).click();
    await expect(page.getByTestId("invite-dead")).toBeVisible();
    await shot(page, "invite-dead");
  });
});

test.describe("owner", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("stores and a store's day / week / month", async ({ page, e2e }) => {
    await page.goto("/app/");
    await shot(page, "owner-stores");
    for (const period of ["day", "week", "month"]) {
      await page.goto(`/app/stores/${e2e.storeId}?period=${period}`);
      await expect(page.getByTestId("footfall-in")).toBeVisible();
      await shot(page, `owner-store-${period}`);
    }
    await page.goto(`/app/stores/${e2e.storeId}?period=day&date=2020-01-01`);
    await expect(page.getByTestId("no-data")).toBeVisible();
    await shot(page, "owner-store-empty-day");
    await page.goto("/app/admin/stores");
    await shot(page, "owner-admins-only");
    await page.goto("/app/stores/00000000-0000-4000-8000-000000000000");
    await shot(page, "owner-not-found");
  });
});

test.describe("admin", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("admin pages and dialogs", async ({ page, e2e }) => {
    const put = await page.request.put(`${e2e.apiURL}/cameras/${e2e.cameraId}/snapshot`, {
      headers: { "X-Worker-Key": e2e.workerKey, "Content-Type": "image/jpeg" },
      data: await snapshotJpeg(page),
    });
    expect(put.status()).toBe(204);

    await page.goto("/app/admin/stores");
    await shot(page, "admin-stores");
    await page.getByRole("button", { name: "New store" }).click();
    await shot(page, "admin-new-store-dialog", { fullPage: false });
    await page.keyboard.press("Escape");

    await page.goto(`/app/admin/stores/${e2e.storeId}`);
    await expect(page.getByRole("list", { name: "Cameras of this store" })).toBeVisible();
    await shot(page, "admin-store");
    await page.getByRole("button", { name: "Delete store" }).click();
    await shot(page, "admin-delete-store-dialog", { fullPage: false });
    await page.keyboard.press("Escape");

    await page.goto(`/app/admin/cameras/${e2e.cameraId}`);
    await expect(page.getByAltText("Latest snapshot from the camera")).toBeVisible();
    await shot(page, "admin-camera");
    await page.getByRole("button", { name: "Delete camera" }).click();
    await shot(page, "admin-delete-camera-dialog", { fullPage: false });
    await page.keyboard.press("Escape");

    await page.goto("/app/admin/cameras");
    await shot(page, "admin-camera-health");
  });
});

test.describe("owner views", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("overview of many stores, the day with its tables open", async ({ page, e2e }) => {
    for (const [name, timezone] of [
      ["Hamburg Hauptbahnhof", "Europe/Berlin"],
      ["Lisboa Rossio", "Europe/Lisbon"],
      ["New York Penn Station", "America/New_York"],
    ]) {
      await page.request.post("/admin/stores", { data: { name, timezone } });
    }
    await page.goto("/app/");
    await expect(page.getByTestId("stores-overview")).toBeVisible();
    await shot(page, "overview-many-stores");
    await page.goto(`/app/stores/${e2e.storeId}?period=day`);
    await expect(page.getByTestId("occupancy-chart")).toBeVisible();
    await page.getByText("Show values as a table").first().click();
    await page.getByText("Show values as a table").last().click();
    await shot(page, "owner-store-day-tables");
  });
});
