import { expect, getJson, test } from "../e2e/fixtures";
import { siteWithOneRead } from "../e2e/plates-helpers";
import { shot } from "./shot";

test.describe("plates privacy", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("access log, data requests, the erase confirmation and its result", async ({ page }) => {
    test.setTimeout(300_000);
    const { storeId, plate } = await siteWithOneRead(page.request, `Privacy shots ${Date.now()}`);
    expect((await getJson<{ total: number }>(page.request, `/plates?store_id=${storeId}&q=${plate}`)).total).toBe(1);

    await page.goto(`/app/plates/${storeId}/audit`);
    await expect(page.getByTestId("audit-row").first()).toBeVisible();
    await shot(page, "plates-audit");
    await page.goto(`/app/plates/${storeId}/audit?action=export`);
    await expect(page.getByTestId("no-audit")).toBeVisible();
    await shot(page, "plates-audit-none");

    await page.goto(`/app/plates/${storeId}/requests`);
    await expect(page.getByRole("heading", { name: "Data requests" })).toBeVisible();
    await shot(page, "plates-requests-empty");
    await page.getByLabel("Plate", { exact: true }).fill(plate);
    await shot(page, "plates-requests");
    await page.getByRole("button", { name: `Erase ${plate}…` }).click();
    await page.getByRole("alertdialog").getByLabel(`Type ${plate} to confirm`).fill(plate);
    await shot(page, "plates-erase-confirm", { fullPage: false });
    await page.getByRole("alertdialog").getByRole("button", { name: "Erase for good" }).click();
    await expect(page.getByTestId("erase-result")).toBeVisible();
    await shot(page, "plates-erase-done");

    await page.goto(`/app/plates/${storeId}/audit`);
    await expect(page.getByTestId("audit-row").first()).toBeVisible();
    await shot(page, "plates-audit-after-erase");
  });
});
