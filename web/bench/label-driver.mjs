// Drives the labelling page by keyboard, as a labeller would, for bench/labelling.py: steps
// to each true crossing with ← → (one frame) and Shift+← → (one second), picks the line with
// 1–9, marks it with I or O, and waits to see each key's effect before the next key.
// Measures, inside the page, each key press → the new frame presented (requestVideoFrameCallback
// after `seeked`) and each mark key → the marks list showing it. Prints one JSON object.
//
// Usage: node bench/label-driver.mjs '{"baseURL": ..., "email": ..., "password": ...,
//   "recordingId": ..., "fps": 10, "frames": 600, "lines": ["P1", ...],
//   "crossings": [{"line": "P1", "frame": 17, "direction": "in"}, ...]}'
import { chromium } from "@playwright/test";

const cfg = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const login = await page.request.post(`${cfg.baseURL}/auth/login`, {
    data: { email: cfg.email, password: cfg.password },
  });
  if (!login.ok()) throw new Error(`login answered ${login.status()}`);
  const loadStart = Date.now();
  await page.goto(`${cfg.baseURL}/app/admin/recordings/${cfg.recordingId}`);
  await page.waitForFunction(() => {
    const v = document.querySelector("[data-testid=clip-video]");
    return v instanceof HTMLVideoElement && v.readyState >= 2;
  }, null, { timeout: 60_000 });
  const loadMs = Date.now() - loadStart;

  // In the page: key press → `seeked` → the frame presented; key press → a new mark shown.
  await page.evaluate(() => {
    const v = document.querySelector("[data-testid=clip-video]");
    const w = window;
    w.__seek = [];
    w.__mark = [];
    w.__pressed = null;
    document.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "i" || e.key === "o") w.__markPressed = performance.now();
        else w.__pressed = performance.now();
      },
      true,
    );
    // The frame is on screen at the first of: the video's next presented frame
    // (requestVideoFrameCallback), or the second animation frame after `seeked` (a paint
    // has happened since the decoded frame was ready).
    v.addEventListener("seeked", () => {
      const t0 = w.__pressed;
      if (t0 === null) return;
      w.__pressed = null;
      const seeked = performance.now() - t0;
      let done = false;
      const finish = (how) => {
        if (done) return;
        done = true;
        w.__seek.push({ seeked, shown: performance.now() - t0, how });
      };
      v.requestVideoFrameCallback(() => finish("rvfc"));
      requestAnimationFrame(() => requestAnimationFrame(() => finish("raf")));
    });
    new MutationObserver(() => {
      const n = document.querySelectorAll("[data-testid=marks] li").length;
      if (w.__markPressed != null && n > (w.__marks ?? 0)) {
        w.__mark.push(performance.now() - w.__markPressed);
        w.__markPressed = null;
        w.__marks = n;
      }
    }).observe(document.body, { childList: true, subtree: true });
  });

  const frameText = page.getByTestId("frame");
  await page.getByTestId("clip").focus();
  const step = Math.max(1, Math.round(cfg.fps));
  const last = cfg.frames - 1;
  const keys = { nav: 0, line: 0, mark: 0 };
  let frame = 0;
  let line = 0;
  let seeks = 0;

  async function press(key, expectFrame) {
    await page.keyboard.press(key);
    if (expectFrame !== undefined) {
      seeks += 1;
      await page.waitForFunction((n) => window.__seek.length >= n, seeks, { timeout: 10_000 });
      const text = await frameText.textContent();
      if (!text.startsWith(`Frame ${expectFrame} /`)) throw new Error(`expected frame ${expectFrame}, page shows ${text}`);
    }
  }

  const order = [...cfg.crossings].sort((a, b) => a.frame - b.frame || a.line.localeCompare(b.line));
  const t0 = Date.now();
  for (const c of order) {
    const delta = c.frame - frame;
    let seconds = Math.round(delta / step);
    // A Shift step clamps at the clip's ends: never jump past them.
    while (frame + seconds * step > last) seconds -= 1;
    while (frame + seconds * step < 0) seconds += 1;
    for (let i = 0; i < Math.abs(seconds); i++) {
      frame += Math.sign(seconds) * step;
      keys.nav += 1;
      await press(seconds > 0 ? "Shift+ArrowRight" : "Shift+ArrowLeft", frame);
    }
    const rest = c.frame - frame;
    for (let i = 0; i < Math.abs(rest); i++) {
      frame += Math.sign(rest);
      keys.nav += 1;
      await press(rest > 0 ? "ArrowRight" : "ArrowLeft", frame);
    }
    const index = cfg.lines.indexOf(c.line);
    if (index !== line) {
      line = index;
      keys.line += 1;
      await press(String(index + 1));
      await page.getByRole("radio", { checked: true }).filter({ hasText: `${index + 1}. ` }).waitFor();
    }
    keys.mark += 1;
    const before = await page.evaluate(() => window.__mark.length);
    await press(c.direction === "in" ? "i" : "o");
    await page.waitForFunction((n) => window.__mark.length > n, before, { timeout: 10_000 });
  }
  await page.getByText("Saved", { exact: true }).waitFor({ timeout: 30_000 });
  const labelMs = Date.now() - t0;
  const measured = await page.evaluate(() => ({ seek: window.__seek, mark: window.__mark }));
  console.log(JSON.stringify({ loadMs, labelMs, keys, seek: measured.seek, mark: measured.mark }));
} finally {
  await browser.close();
}
