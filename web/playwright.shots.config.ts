import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// Screenshots of every page at phone and desktop width, for a person to look at
// (`npx playwright test -c playwright.shots.config.ts` → web/shots/out/*.png). Same global
// setup as the e2e tests: the real backend on seeded SQLite and the built app.
export default defineConfig({
  ...base,
  testDir: "shots",
  testMatch: "*.shots.ts",
  timeout: 120_000,
});
