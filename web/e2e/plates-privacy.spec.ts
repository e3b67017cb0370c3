import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expect, getJson, test } from "./fixtures";
import { CLERK_PASSWORD, makeClerk, signIn, siteWithOneRead } from "./plates-helpers";

// The Plates section's privacy screens on a site of their own (the demo store's ANPR is
// left to plates.spec.ts): the access log for owners and admins, and a data subject's
// access (zip export) and erasure requests.

async function expectNoViolations(page: Page, what: string) {
  await page.waitForLoadState("networkidle");
  await expect(page.getByText("Loading…")).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

const stamp = Date.now();

test.describe("plates: access log and data requests", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("the admin reads the access log, exports a plate's reads and erases them", async ({ page, browser, e2e }) => {
    test.setTimeout(300_000);
    const { storeId, plate } = await siteWithOneRead(page.request, `Privacy desk ${stamp}`);
    // One search through the API, so the log has a search with a result in it.
    const found = await getJson<{ total: number }>(page.request, `/plates?store_id=${storeId}&q=${plate}`);
    expect(found.total).toBe(1);

    // The access log: the search, with who made it and how many it found.
    await page.goto(`/app/plates/${storeId}/search`);
    await page.getByRole("navigation", { name: "Plates" }).getByRole("link", { name: "Access log" }).click();
    await expect(page).toHaveURL(new RegExp(`/app/plates/${storeId}/audit$`));
    await expect(page).toHaveTitle(/^Access log · /);
    const rows = page.getByTestId("audit-row");
    const search = rows.filter({ hasText: `q=${plate}` });
    await expect(search).toHaveCount(1);
    await expect(search).toContainText(e2e.adminEmail);
    await expect(search.getByTestId("audit-action")).toHaveText("Search");
    await expect(page.getByTestId("audit-count")).toContainText("of");
    await expectNoViolations(page, "access log");

    // Filters go to the URL and to the server; nothing was exported yet.
    await page.getByLabel("Action").selectOption("export");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=export/);
    await expect(page.getByTestId("no-audit")).toContainText("Nothing matches these filters.");
    await page.getByRole("button", { name: "Clear" }).click();
    await expect(page).toHaveURL(new RegExp(`/audit$`));
    await expect(rows.filter({ hasText: `q=${plate}` })).toHaveCount(1);
    await page.getByLabel("Who (email contains)").fill("nobody-at-all");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("no-audit")).toBeVisible();

    // Data requests: the plate as typed is normalised; the export is a zip of its reads.
    await page.getByRole("navigation", { name: "Plates" }).getByRole("link", { name: "Data requests" }).click();
    await expect(page).toHaveTitle(/^Data requests · /);
    await expect(page.getByRole("button", { name: "Download export" })).toBeDisabled();
    await expect(page.getByRole("button", { name: "Erase…" })).toBeDisabled();
    const typed = `${plate.slice(0, 2).toLowerCase()}-${plate.slice(2)}`;
    await page.getByLabel("Plate", { exact: true }).fill(typed);
    await expect(page.getByTestId("request-plate")).toHaveText(plate);
    await expectNoViolations(page, "data requests");
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: `Download export of ${plate}` }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`plates-${plate}.zip`);
    const zip = readFileSync((await download.path())!);
    expect(zip.subarray(0, 2).toString()).toBe("PK");
    expect(zip.includes(Buffer.from("plates.json"))).toBe(true);

    // Erasure asks first, and only goes ahead once the plate is typed again.
    await page.getByRole("button", { name: `Erase ${plate}…` }).click();
    const dialog = page.getByRole("alertdialog");
    await expect(dialog.getByRole("heading", { name: `Erase ${plate}?` })).toBeVisible();
    const confirm = dialog.getByRole("button", { name: "Erase for good" });
    await expect(confirm).toBeDisabled();
    await expectNoViolations(page, "erase confirmation");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    expect((await getJson<{ total: number }>(page.request, `/plates?store_id=${storeId}&q=${plate}`)).total).toBe(1);

    await page.getByRole("button", { name: `Erase ${plate}…` }).click();
    await dialog.getByLabel(`Type ${plate} to confirm`).fill(plate);
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId("erase-result")).toHaveText(`Erased 1 read and 1 crop of ${plate}.`);
    expect((await getJson<{ total: number }>(page.request, `/plates?store_id=${storeId}&q=${plate}`)).total).toBe(0);

    // The log keeps the export and the erasure with the plate only as a code, and the
    // earlier entries now show that code too.
    await page.goto(`/app/plates/${storeId}/audit?action=erase`);
    const erasure = page.getByTestId("audit-row");
    await expect(erasure).toHaveCount(1);
    await expect(erasure.getByTestId("audit-action")).toHaveText("Erasure");
    await expect(erasure).toContainText("plate=hmac:");
    await page.goto(`/app/plates/${storeId}/audit`);
    const all = page.getByTestId("audit-row");
    await expect(all.filter({ hasText: "Export" })).toContainText("plate=hmac:");
    // Only the search made after the erasure (it found nothing) still names the plate.
    const named = all.filter({ hasText: plate });
    await expect(named).toHaveCount(1);
    await expect(named).toContainText(`q=${plate} fuzzy=false`);
    await expect(all.filter({ hasText: `q=hmac:` })).toHaveCount(2);

    // A clerk of the site has data requests but no access log.
    const clerkEmail = `clerk.privacy.${stamp}@example.com`;
    await makeClerk(page.request, e2e, storeId, clerkEmail);
    const clerk = await signIn(browser, e2e, clerkEmail, CLERK_PASSWORD);
    await expect(clerk.getByRole("heading", { name: "Search plates" })).toBeVisible();
    const tabs = clerk.getByRole("navigation", { name: "Plates" });
    await expect(tabs.getByRole("link", { name: "Data requests" })).toBeVisible();
    await expect(tabs.getByRole("link", { name: "Access log" })).toHaveCount(0);
    await clerk.goto(`/app/plates/${storeId}/audit`);
    await expect(clerk.getByTestId("audit-closed")).toBeVisible();
    expect((await clerk.request.get(`/plates/audit?store_id=${storeId}`)).status()).toBe(404);
    await clerk.context().close();
  });
});
