import { expect, getJson, type Live, postCrossings, test } from "../e2e/fixtures";
import { shot } from "./shot";

test.describe("owner", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("alerts & reports: settings, an alert in the log, the report preview", async ({ page, e2e }) => {
    const live = await getJson<Live>(page.request, `/live/${e2e.storeId}`);
    const put = await page.request.put(`/stores/${e2e.storeId}/alerts/settings`, {
      data: {
        capacity_enabled: true,
        capacity_limit: live.occupancy + 1,
        camera_down_enabled: true,
        emails: ["door@example.com"],
        webhook_url: "https://hooks.example.com/metrica",
      },
    });
    expect(put.status()).toBe(200);
    await postCrossings(page.request, e2e, ["in", "in"]);
    await page.goto(`/app/stores/${e2e.storeId}/alerts`);
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("alert-row").first()).toContainText("Over capacity", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.frameLocator("[data-testid=report-preview]").getByText(/visitors$/)).toBeVisible();
    await shot(page, "owner-alerts");
    await postCrossings(page.request, e2e, ["out", "out"]);
    await page.request.put(`/stores/${e2e.storeId}/alerts/settings`, { data: {} });
  });
});
