import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect } from "../e2e/fixtures";

const OUT = join(import.meta.dirname, "out");
mkdirSync(OUT, { recursive: true });

const WIDTHS = [390, 1280] as const;

/** The whole page at each width (phone, desktop) into shots/out/NAME-WIDTH.png; dialogs
 * only the viewport (they are fixed to it). */
export async function shot(page: Page, name: string, { fullPage = true } = {}) {
  await page.waitForLoadState("networkidle");
  await expect(page.getByText("Loading…")).toHaveCount(0);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
    await page.evaluate(async () => {
      await document.fonts.ready;
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage });
  }
}
