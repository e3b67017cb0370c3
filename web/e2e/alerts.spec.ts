import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { addDays, expect, getJson, type Live, postCrossings, storeDate, test } from "./fixtures";

interface Week {
  footfall_in: number;
}

/** WCAG 2.x A and AA, as axe-core checks them (as in a11y.spec.ts). The report preview's
 * frame runs no scripts (sandboxed), so axe cannot enter it: the report's own HTML is
 * checked as a page of its own (`reportIsAccessible`). */
async function expectNoViolations(page: Page, what: string) {
  await page.waitForLoadState("networkidle");
  await expect(page.getByText(/Loading/)).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .exclude("[data-testid=report-preview]")
    .analyze();
  const summary = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

test.describe("alerts & reports", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.ownerState) });

  test("settings refuse bad input and are kept", async ({ page, e2e }) => {
    await page.goto(`/app/stores/${e2e.storeId}`);
    await page.getByRole("link", { name: "Alerts & reports" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Alerts & reports" })).toBeFocused();
    await expect(page).toHaveTitle("Alerts & reports · Demo Store Berlin · Metrica");

    const form = page.getByRole("form", { name: "Alert settings" });
    await form.getByLabel("The store is over capacity").check();
    await form.getByLabel("Capacity (people)").fill("0");
    await expect(form.getByText("A whole number from 1 to 100,000.")).toHaveClass(/text-destructive/);
    await expect(form.getByRole("button", { name: "Save alerts" })).toBeDisabled();
    await form.getByLabel("Capacity (people)").fill("250");
    await form.getByLabel("Email alerts to").fill("door@example.com\nnot-an-email");
    await expect(form.getByText("Not an email address: not-an-email")).toBeVisible();
    await form.getByLabel("Email alerts to").fill("door@example.com\nboss@example.com");
    await form.getByLabel("Webhook URL (optional)").fill("javascript:alert(1)");
    await expect(form.getByRole("button", { name: "Save alerts" })).toBeDisabled();
    await form.getByLabel("Webhook URL (optional)").fill("https://hooks.example.com/metrica");
    await form.getByLabel("A camera is down").check();
    await form.getByRole("button", { name: "Save alerts" }).click();
    await expect(page.getByTestId("alerts-saved")).toHaveText("Saved.");
    const secret = await page.getByTestId("webhook-secret").inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(40);

    await page.reload();
    await expect(form.getByLabel("Capacity (people)")).toHaveValue("250");
    await expect(form.getByLabel("Email alerts to")).toHaveValue("door@example.com\nboss@example.com");
    await expect(form.getByLabel("A camera is down")).toBeChecked();
    await expect(form.getByLabel("The count is far below usual")).not.toBeChecked();
    await form.getByRole("button", { name: "New secret" }).click();
    await expect(page.getByTestId("webhook-secret")).not.toHaveValue(secret);

    // A test alert through the saved channels, now. This backend has no SMTP server (the
    // emails go to its log) and cannot reach hooks.example.com: each channel says why.
    const result = page.getByTestId("test-alert-result");
    await form.getByRole("button", { name: "Send a test alert" }).click();
    await expect(result.getByRole("listitem")).toHaveText([
      "Email (door@example.com, boss@example.com): failed (sent to 0 of 2: no mail server is configured on the Metrica server)",
      "Webhook: failed (the host does not resolve to a public internet address)",
    ]);
    const log = readFileSync(e2e.serveLog, "utf8");
    expect(log).toContain("to=door@example.com subject=[Metrica] Demo Store Berlin: test alert");
    // A second one within the minute is refused, not sent.
    await form.getByRole("button", { name: "Send a test alert" }).click();
    await expect(form.getByText("a test alert was sent a moment ago; try again later")).toBeVisible();
    await expectNoViolations(page, "alerts & reports, a test alert sent");

    // Off again, so the other specs' crossings raise nothing.
    const off = await page.request.put(`/stores/${e2e.storeId}/alerts/settings`, { data: {} });
    expect(off.status()).toBe(200);
  });

  test("an alert starts and ends, is logged, and emailed to the owner", async ({ page, e2e }) => {
    test.setTimeout(90_000);
    const live = await getJson<Live>(page.request, `/live/${e2e.storeId}`);
    const limit = live.occupancy + 1;
    const saved = await page.request.put(`/stores/${e2e.storeId}/alerts/settings`, {
      data: { capacity_enabled: true, capacity_limit: limit },
    });
    expect(saved.status()).toBe(200);
    await postCrossings(page.request, e2e, ["in", "in"]);
    await page.goto(`/app/stores/${e2e.storeId}/alerts`);
    const row = page.getByTestId("alert-row").first();
    // The server evaluates every 5 s here (global setup): reload until the alert shows.
    await expect(async () => {
      await page.reload();
      await expect(row).toContainText("Over capacity", { timeout: 1_000 });
      await expect(row).toContainText("Ongoing", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(row).toContainText(`above the limit of ${limit}`);
    await expect(row).toContainText(/Started.*· email (sent|failed)/);
    await expectNoViolations(page, "alerts & reports, an ongoing alert");

    await postCrossings(page.request, e2e, ["out", "out"]);
    await expect(async () => {
      await page.reload();
      await expect(row.getByText("Ongoing")).toHaveCount(0, { timeout: 1_000 });
      await expect(row).toContainText(/Ended.*· email (sent|failed)/, { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    const log = readFileSync(e2e.serveLog, "utf8");
    expect(log).toContain(`to=${e2e.ownerEmail} subject=[Metrica] Demo Store Berlin: over capacity`);
    expect(log).toContain(`to=${e2e.ownerEmail} subject=[Metrica] Demo Store Berlin: resolved, over capacity`);
    const off = await page.request.put(`/stores/${e2e.storeId}/alerts/settings`, { data: {} });
    expect(off.status()).toBe(200);
  });

  test("the weekly report: preview of last week with the API's figures, and the email switch", async ({ page, e2e }) => {
    test.setTimeout(90_000);
    await page.goto(`/app/stores/${e2e.storeId}/alerts`);
    const preview = page.frameLocator("[data-testid=report-preview]");
    await expect(async () => {
      const lastWeek = addDays(storeDate(), -7);
      const week = await getJson<Week>(page.request, `/dashboard/${e2e.storeId}?period=week&date=${lastWeek}`);
      await page.reload();
      await expect(preview.getByText(/visitors$/)).toHaveText(`${week.footfall_in.toLocaleString("en-US")} visitors`, {
        timeout: 5_000,
      });
    }).toPass({ timeout: 30_000 });
    await expect(preview.getByRole("img", { name: /^Visitors per day: Mon \d+, Tue/ })).toBeVisible();
    await expect(preview.getByRole("link", { name: "Unsubscribe" })).toHaveAttribute(
      "href",
      /\/reports\/unsubscribe\?token=[0-9a-f]{32}\.[\w-]+$/,
    );

    const weekly = page.getByLabel("Email me the weekly report (for every store I own)");
    await expect(weekly).toBeChecked();
    await weekly.uncheck();
    await expect(weekly).not.toBeChecked();
    await page.reload();
    await expect(weekly).not.toBeChecked();
    await weekly.check();
    await expect(weekly).toBeChecked();
    await expectNoViolations(page, "alerts & reports, no alerts running");

    // The report email itself, as a mail client would show it.
    const res = await page.request.get(`/stores/${e2e.storeId}/reports/weekly`);
    expect(res.status()).toBe(200);
    const html = await res.text();
    await page.goto("about:blank");
    await page.setContent(html);
    await expect(page).toHaveTitle(/^Metrica weekly report: Demo Store Berlin, /);
    await expectNoViolations(page, "the weekly report email");
  });

  test("another owner's store is not found", async ({ page }) => {
    await page.goto("/app/stores/00000000-0000-4000-8000-000000000000/alerts");
    await expect(page.getByRole("heading", { level: 1 })).toContainText(/not found/i);
  });
});
