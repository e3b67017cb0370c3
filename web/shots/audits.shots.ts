import { auditCamera, indoorClip } from "../e2e/audit-helpers";
import { expect, test } from "../e2e/fixtures";
import { shot } from "./shot";

test.describe("accuracy audit", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("camera page, labelling page with a score, the owner's check", async ({ page, e2e, browser }) => {
    test.setTimeout(300_000);
    const cameraId = await auditCamera(page.request, e2e.storeId, "Shop door (audit)");
    await page.goto(`/app/admin/cameras/${cameraId}`);
    await page.getByLabel("Or upload a clip (WebM or MP4)").setInputFiles(indoorClip(10));
    await expect(page.getByRole("link", { name: /^Label/ })).toBeVisible({ timeout: 180_000 });
    await page.getByRole("link", { name: /^Label/ }).click();
    await expect
      .poll(() => page.getByTestId("clip-video").evaluate((v: HTMLVideoElement) => v.readyState >= 2))
      .toBe(true);
    await page.getByTestId("clip").focus();
    for (let i = 0; i < 73; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.press("i");
    for (let i = 0; i < 15; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.press("2");
    await page.keyboard.press("o");
    await expect(page.getByText("Saved", { exact: true })).toBeVisible();
    await shot(page, "audit-labelling");
    await page.getByRole("button", { name: "Score the count" }).click();
    await expect(page.getByTestId("score")).toBeVisible();
    await shot(page, "audit-labelling-scored");
    await page.goto(`/app/admin/cameras/${cameraId}`);
    await expect(page.getByTestId("audit-history")).toBeVisible();
    await shot(page, "audit-camera");

    const owner = await browser.newContext({ storageState: e2e.ownerState });
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`${e2e.baseURL}/app/stores/${e2e.storeId}`);
    await expect(ownerPage.getByTestId("count-check")).toBeVisible();
    await shot(ownerPage, "audit-owner-store");
    await owner.close();

    // The other shots see the demo store as seeded: the clip, then the camera, go.
    const clips = (await (await page.request.get(`/admin/cameras/${cameraId}/recordings`)).json()) as {
      data: { id: string }[];
    };
    for (const r of clips.data) expect((await page.request.delete(`/admin/recordings/${r.id}`)).status()).toBe(204);
    expect((await page.request.delete(`/admin/cameras/${cameraId}`)).status()).toBe(204);
  });
});
