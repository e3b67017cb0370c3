import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect, serverNow, test } from "./fixtures";

const SHOTS = join(import.meta.dirname, "..", "shots", "out");

/** The page at phone and desktop width, for a person to look at (web/shots/out). */
async function shot(page: Page, name: string, { fullPage = true } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await expect(page.getByText("Loading…")).toHaveCount(0);
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(SHOTS, `fleet-${name}-${width}.png`), fullPage });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

test.describe("fleet", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("enrols a box, shows its health, edits its camera and revokes it", async ({ page, e2e }) => {
    // A camera of its own: the demo camera's worker key is used by the other tests.
    const cameraName = `Fleet door ${Date.now()}`;
    const created = await page.request.post("/admin/cameras", { data: { store_id: e2e.storeId, name: cameraName } });
    expect(created.status()).toBe(201);
    const cameraId = ((await created.json()) as { id: string }).id;

    await page.goto("/app/admin/fleet");
    await page.getByLabel("Store").selectOption(e2e.storeId);
    await page.getByRole("button", { name: "Enrol a box" }).click();
    const dialog = page.getByRole("dialog", { name: "Enrolment token issued" });
    const token = await dialog.getByTestId("enrolment-token").inputValue();
    expect(token).toMatch(/^met_/);
    await expect(dialog.getByTestId("enrol-command")).toHaveValue(
      `printf '%s' '${token}' | metrica edge enroll --api-url ${e2e.baseURL} --token -`,
    );
    await shot(page, "token", { fullPage: false });
    await dialog.getByRole("button", { name: "I have copied it" }).click();

    // What `metrica edge enroll` and the box's heartbeat send.
    const enrol = await page.request.post("/fleet/enroll", {
      data: { token, hostname: "kiosk-box-1", version: "0.0.9" },
    });
    expect(enrol.status()).toBe(201);
    const { box_id: boxId, box_key: boxKey } = (await enrol.json()) as { box_id: string; box_key: string };
    const again = await page.request.post("/fleet/enroll", { data: { token, hostname: "x", version: "1" } });
    expect(again.status()).toBe(401);
    const box = { "X-Box-Key": boxKey };
    const beat = (cameras: object[], errors: object[]) =>
      page.request.post("/fleet/box/heartbeat", {
        headers: box,
        data: {
          version: "0.0.9",
          hostname: "kiosk-box-1",
          uptime_s: 3600,
          cpu_percent: 37.4,
          memory_percent: 61.2,
          disk_percent: 18.9,
          outbox_depth: 12,
          cameras,
          errors,
        },
      });
    expect((await beat([], [])).status()).toBe(204);

    await page.reload();
    const card = page.getByRole("list", { name: "Boxes" }).getByRole("listitem").filter({ hasText: "kiosk-box-1" });
    await expect(card.getByText("online")).toBeVisible();
    await expect(card).toContainText("0.0.9 (behind 0.1.0)");
    await expect(card).toContainText("37 % · 61 % · 19 %");
    await shot(page, "list");

    await card.getByRole("link", { name: "kiosk-box-1" }).click();
    await expect(page.getByRole("heading", { name: "kiosk-box-1" })).toBeVisible();
    await page.getByLabel("Run another camera of this store here").selectOption({ label: cameraName });
    await page.getByRole("button", { name: "Assign" }).click();
    const form = page.getByRole("form", { name: `Settings of ${cameraName}` });
    await form.getByLabel("Source").fill("rtsp://viewer:pa55word@10.1.1.7:554/stream1");
    await form.getByLabel("Stride").fill("2");
    await form.getByLabel("Active from").fill("07:00");
    await form.getByLabel("Active until").fill("22:00");
    await expect(form.getByLabel(/Blur people in calibration snapshots/)).toBeChecked();
    await form.getByRole("button", { name: "Save camera" }).click();
    await expect(form.getByRole("status")).toContainText("Saved");
    await expect(form.getByTestId("source-masked")).toContainText("rtsp://viewer:•••@10.1.1.7:554/stream1");
    expect(await page.content()).not.toContain("pa55word");

    // Only the box gets the source in clear, with the new settings.
    const config = await page.request.get("/fleet/box/config", { headers: box });
    expect(config.status()).toBe(200);
    type BoxCamera = { camera_id: string; source: string; settings: { stride: number; blur_people: boolean } };
    const cams = ((await config.json()) as { cameras: BoxCamera[] }).cameras;
    expect(cams.map((c) => [c.camera_id, c.source, c.settings.stride, c.settings.blur_people])).toEqual([
      [cameraId, "rtsp://viewer:pa55word@10.1.1.7:554/stream1", 2, true],
    ]);

    // Turning the blur off is audited: who and when, shown under the setting.
    await form.getByLabel(/Blur people in calibration snapshots/).uncheck();
    await form.getByRole("button", { name: "Save camera" }).click();
    await expect(form.getByTestId("blur-audit")).toContainText("Turned off by");
    await expect(form.getByLabel(/Blur people in calibration snapshots/)).not.toBeChecked();

    const at = new Date(serverNow().getTime() - 60_000).toISOString();
    expect(
      (await beat([{ camera_id: cameraId, state: "restarting", restarts: 3 }], [
        { at, message: `camera ${cameraName}: worker exited with code 1` },
      ])).status(),
    ).toBe(204);
    await page.reload();
    await expect(page.getByRole("list", { name: "Recent errors" })).toContainText("worker exited with code 1");
    await expect(page.getByTestId("camera-state")).toHaveText("restarting");
    await shot(page, "box");

    await page.getByRole("button", { name: "Revoke box" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke kiosk-box-1?" });
    await shot(page, "revoke", { fullPage: false });
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByText("revoked", { exact: true })).toBeVisible();
    expect((await page.request.get("/fleet/box/config", { headers: box })).status()).toBe(401);
    expect((await page.request.get(`/admin/fleet/boxes/${boxId}`)).status()).toBe(200);
  });
});
