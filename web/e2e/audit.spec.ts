import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { auditCamera, INDOOR, indoorClip } from "./audit-helpers";
import { expect, test } from "./fixtures";

async function expectNoViolations(page: Page, what: string) {
  await page.waitForLoadState("networkidle");
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

interface LineScore {
  true_in: number;
  true_out: number;
  pred_in: number;
  pred_out: number;
  tp: number;
  precision: number;
  recall: number;
  count_accuracy: number;
}

interface Score {
  per_line?: Record<string, LineScore>;
  true_crossings: number;
  predicted_crossings: number;
  matched: number;
  precision: number;
  recall: number;
  count_accuracy: number;
}

const percent = (v: number) => `${Math.round(v * 1000) / 10} %`;

test.describe("accuracy audit", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("a clip uploaded by hand is labelled by keyboard and scored; the owner sees the check", async ({
    page,
    e2e,
    browser,
  }) => {
    test.setTimeout(240_000); // the clip is counted by the real detector on a busy machine
    const clip = indoorClip(10); // 100 frames at 10 fps; R1 is crossed IN at frame 73
    const truthInClip = INDOOR.crossings.filter((c) => c.frame < 100);
    expect(truthInClip).toEqual([{ line: "R1", frame: 73, direction: "in" }]);
    const cameraId = await auditCamera(page.request, e2e.storeId, "Audit door");

    await page.goto(`/app/admin/cameras/${cameraId}`);
    await page.getByLabel("Or upload a clip (WebM or MP4)").setInputFiles(clip);
    const label = page.getByRole("link", { name: /^Label/ });
    await expect(label).toBeVisible({ timeout: 180_000 });
    await expectNoViolations(page, "camera page with the audit card");
    await label.click();

    await expect(page.getByRole("heading", { name: "Label the clip" })).toBeVisible();
    await expect(page).toHaveTitle("Label the clip · Metrica");
    const video = page.getByTestId("clip-video");
    await expect(page.getByTestId("counted-with")).toHaveText("Counted with yolox-nano @ 640, every frame");
    // Chromium decodes the H.264 MP4: the first frame is there at the clip's own size.
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState >= 2 && v.videoWidth)).toBe(768);
    const clipArea = page.getByTestId("clip");
    await clipArea.focus();
    const frame = page.getByTestId("frame");
    for (let i = 0; i < 7; i++) await page.keyboard.press("Shift+ArrowRight");
    await expect(frame).toHaveText("Frame 70 / 99");
    for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowLeft");
    await expect(frame).toHaveText("Frame 73 / 99");
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(7.35, 2);
    await page.keyboard.press("1");
    await page.keyboard.press("i");
    await page.keyboard.press("o"); // a slip …
    const marks = page.getByTestId("marks");
    await expect(marks.getByRole("listitem")).toHaveCount(2);
    await page.keyboard.press("u"); // … undone
    await expect(marks.getByRole("listitem")).toHaveText(["0:07.3 · R1 · IN×"]);
    // A crossing the counter cannot have seen: R2 OUT at 2.0 s (nobody is there).
    for (let i = 0; i < 5; i++) await page.keyboard.press("Shift+ArrowLeft");
    await expect(frame).toHaveText("Frame 23 / 99");
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("2");
    await expect(page.getByRole("radio", { name: "2. R2" })).toHaveAttribute("aria-checked", "true");
    await page.keyboard.press("o");
    await expect(marks.getByRole("listitem")).toHaveText(["0:02.0 · R2 · OUT×", "0:07.3 · R1 · IN×"]);
    await expect(page.getByText("Saved", { exact: true })).toBeVisible();

    // Jump back through the list, then score.
    await marks.getByRole("button", { name: "0:07.3 · R1 · IN" }).click();
    await expect(frame).toHaveText("Frame 73 / 99");
    const scored = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/score"));
    await page.getByRole("button", { name: "Score the count" }).click();
    const detail = (await (await scored).json()) as Score;
    const card = page.getByTestId("score");
    await expect(card).toBeVisible();
    const history = await page.request.get(`/admin/cameras/${cameraId}/audits`);
    const latest = ((await history.json()) as { data: Score[] }).data[0];
    expect(latest.true_crossings).toBe(2);
    expect(latest.matched).toBeLessThanOrEqual(1); // the R2 mark is a miss whatever the counter saw
    await expect(card.getByRole("heading", { level: 2 })).toHaveText(`Count accuracy ${percent(latest.count_accuracy)}`);
    await expect(card.getByTestId("precision")).toHaveText(percent(latest.precision));
    await expect(card.getByTestId("recall")).toHaveText(percent(latest.recall));
    // Line by line, in a real table: R1 has the one IN mark, R2 the OUT nobody made.
    const perLine = card.getByRole("table", { name: "Per line" });
    await expect(perLine.getByRole("columnheader")).toHaveText(["Line", "R1", "R2"]);
    const r1 = detail.per_line?.R1;
    const r2 = detail.per_line?.R2;
    if (!r1 || !r2) throw new Error("no per-line score for R1 and R2");
    expect(r1.true_in + r1.true_out).toBe(1);
    expect(r2.true_in + r2.true_out).toBe(1);
    expect(r2.tp).toBe(0); // nobody crossed R2: the mark is a miss
    const figureRows = perLine.locator("tbody tr");
    const expected: [string, (s: NonNullable<typeof r1>) => string][] = [
      ["True", (s) => String(s.true_in + s.true_out)],
      ["Counted", (s) => String(s.pred_in + s.pred_out)],
      ["Matched", (s) => String(s.tp)],
      ["Precision", (s) => percent(s.precision)],
      ["Recall", (s) => percent(s.recall)],
      ["Accuracy", (s) => percent(s.count_accuracy)],
    ];
    await expect(figureRows).toHaveCount(expected.length);
    for (const [i, [label, value]] of expected.entries()) {
      const row = figureRows.nth(i);
      await expect(row.getByRole("rowheader")).toHaveText(label);
      await expect(row.getByRole("cell")).toHaveText([value(r1), value(r2)]);
    }
    // The miss is a moment in the clip: a click goes there.
    await card.getByRole("button", { name: "0:02.0 R2 OUT" }).click();
    await expect(frame).toHaveText("Frame 20 / 99");
    await expectNoViolations(page, "labelling page with a score");

    // Served by the backend, under its CSP, the clip plays too (an object URL: media-src blob:).
    const labelUrl = new URL(page.url());
    await page.goto(`${e2e.apiURL}${labelUrl.pathname}`);
    await expect
      .poll(() => page.getByTestId("clip-video").evaluate((v: HTMLVideoElement) => v.readyState >= 2 && v.videoWidth))
      .toBe(768);

    // The owner's dashboard says when the count was checked and how well it did.
    const owner = await browser.newContext({ storageState: e2e.ownerState });
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`${e2e.baseURL}/app/stores/${e2e.storeId}`);
    await expect(ownerPage.getByTestId("count-check")).toHaveText(
      new RegExp(`^Count checked on (\\d{1,2} \\w+|\\w+ \\d{1,2}): ${Math.round(latest.count_accuracy * 100)} % \\(2 crossings\\)$`),
    );
    await owner.close();

    // The camera page keeps the history and says who did what with the clip.
    await page.goto(`/app/admin/cameras/${cameraId}`);
    await expect(page.getByTestId("audit-history").getByRole("row")).toHaveCount(2);
    await page.getByText("Who asked for and watched the clips").click();
    await expect(page.getByTestId("clip-log").getByRole("listitem")).toHaveText([
      new RegExp(`${e2e.adminEmail} · watch$`), // the page served by the backend fetched it again
      new RegExp(`${e2e.adminEmail} · score$`),
      new RegExp(`${e2e.adminEmail} · watch$`),
      new RegExp(`${e2e.adminEmail} · upload$`),
    ]);
    // Cleanup, so that other specs see the demo store as seeded: the clip (from the page), then the camera.
    await page.getByRole("button", { name: /^Delete the clip of/ }).click();
    await expect(page.getByText("No clips yet.")).toBeVisible();
    expect((await page.request.delete(`/admin/cameras/${cameraId}`)).status()).toBe(204);
  });
});
