import { expect, fmt, getJson, test } from "./fixtures";

interface Overview {
  data: { id: string; name: string; in_today: number; occupancy: number; change_pct: number | null }[];
}
interface Dashboard {
  occupancy: { at: string; occupancy: number }[];
  comparisons: { kind: string; footfall_in: number }[];
}

test.describe("owner views", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("the overview lists every store with today's figures; sort and search", async ({ page, e2e }) => {
    const suffix = Date.now();
    for (const name of [`Aachen ${suffix}`, `Zwickau ${suffix}`]) {
      const r = await page.request.post("/admin/stores", { data: { name, timezone: "Europe/Berlin" } });
      expect(r.status()).toBe(201);
    }
    await page.goto("/app/");
    const table = page.getByTestId("stores-overview");
    const api = await getJson<Overview>(page.request, "/stores/overview");
    const demo = api.data.find((s) => s.id === e2e.storeId)!;
    const demoRow = table.getByRole("row", { name: /Demo Store Berlin/ });
    await expect(demoRow.getByTestId("overview-in")).toHaveText(fmt.format(demo.in_today));
    await expect(demoRow.getByTestId("overview-cameras")).toBeVisible();

    // Busiest first: the demo store (the only one with visits) leads.
    await table.getByRole("button", { name: "IN today" }).click();
    await expect(table.getByRole("columnheader", { name: "IN today" })).toHaveAttribute("aria-sort", "descending");
    await expect(table.getByTestId("overview-row").first()).toContainText("Demo Store Berlin");
    // Names Z→A after two clicks on "Store".
    await table.getByRole("button", { name: "Store", exact: true }).click();
    await table.getByRole("button", { name: "Store", exact: true }).click();
    await expect(table.getByTestId("overview-row").first()).toContainText(/^Z|Zwickau/);

    await page.getByLabel("Search stores").fill(`aachen ${suffix}`);
    await expect(table.getByTestId("overview-row")).toHaveCount(1);
    await expect(table.getByTestId("overview-row")).toContainText(`Aachen ${suffix}`);
    await page.getByLabel("Search stores").fill("no such store anywhere");
    await expect(page.getByTestId("no-match")).toBeVisible();
  });

  test("the day view draws occupancy through the day and compares with last week", async ({ page, e2e }) => {
    await page.goto(`/app/stores/${e2e.storeId}`);
    const dash = await getJson<Dashboard>(page.request, `/dashboard/${e2e.storeId}?period=day`);
    await expect(page.getByRole("figure", { name: /People in the store through the day/ })).toBeVisible();
    const lastWeek = dash.comparisons.find((c) => c.kind === "last_week")!;
    await expect(page.getByTestId("compare-last_week")).toContainText(`last week at this time (${fmt.format(lastWeek.footfall_in)})`);
    await page.getByTestId("occupancy-table").getByText("Show values as a table").click();
    const rows = page.getByTestId("occupancy-table").getByRole("row");
    const last = dash.occupancy[dash.occupancy.length - 1];
    await expect(rows.last()).toContainText(fmt.format(last.occupancy));
  });
});
