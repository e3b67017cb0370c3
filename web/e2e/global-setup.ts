import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { chromium, type FullConfig } from "@playwright/test";
import { CLOCK_START, type E2EEnv, ENV_FILE, PLATES_UPLOAD_CAP_BYTES } from "./env";

const WEB = resolve(import.meta.dirname, "..");
const REPO = resolve(WEB, "..");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function waitFor(url: string, what: string, child: ChildProcess, timeout_s = 90): Promise<void> {
  const deadline = Date.now() + timeout_s * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} within ${timeout_s} s`);
}

function field(output: string, pattern: RegExp, what: string): string {
  const m = output.match(pattern);
  if (!m) throw new Error(`metrica demo printed no ${what}:\n${output}`);
  return m[1];
}

export default async function globalSetup(config: FullConfig) {
  const dir = mkdtempSync(join(tmpdir(), "metrica-e2e-"));
  const dbUrl = `sqlite+aiosqlite:///${join(dir, "metrica.db")}`;
  // One pinned clock for the seed, the backend and the tests (see CLOCK_START).
  const clockStartedAtMs = Date.now();
  const env = {
    ...process.env,
    METRICA_ENVIRONMENT: "development",
    METRICA_CLOCK_START: CLOCK_START,
    METRICA_CLOCK_STARTED_AT: String(clockStartedAtMs / 1000),
  };

  // A fresh database with two weeks of demo history (owner.spec.ts looks at the last
  // complete week, which starts at most 13 days back).
  const demo = execFileSync("uv", ["run", "--extra", "server", "metrica", "demo", "--db-url", dbUrl, "--days", "14"], {
    cwd: REPO,
    env,
    encoding: "utf8",
    timeout: 300_000,
  });

  const apiPort = await freePort();
  const webPort = await freePort();
  const apartPort = await freePort();
  const apiURL = `http://127.0.0.1:${apiPort}`;
  const baseURL = `http://127.0.0.1:${webPort}`;
  const apartURL = `http://127.0.0.1:${apartPort}`;
  const vite = join(WEB, "node_modules", ".bin", "vite");
  const apartDist = join(dir, "dist-apart");
  execFileSync(vite, ["build", "--outDir", apartDist, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: WEB,
    env: { ...env, VITE_API_URL: apiURL },
    timeout: 120_000,
  });
  const serveLog = join(dir, "serve.log");
  const logFd = openSync(serveLog, "a");
  // Emails go to the log (no SMTP in development); invitation links point at the app. CORS
  // lets the separately hosted copy of the app (below) call the API. Uploads are capped
  // low so that plates.spec.ts can show the 413 without sending gigabytes.
  const api = spawn(
    "uv",
    ["run", "--extra", "server", "metrica", "serve", "--host", "127.0.0.1", "--port", String(apiPort), "--db-url", dbUrl],
    {
      cwd: REPO,
      env: {
        ...env,
        METRICA_WEB_URL: `${baseURL}/app`,
        METRICA_CORS_ORIGINS: apartURL,
        METRICA_PLATES_UPLOAD_MAX_BYTES: String(PLATES_UPLOAD_CAP_BYTES),
        METRICA_ALERTS_INTERVAL_S: "5", // alerts.spec.ts waits for an alert to start and end
      },
      stdio: ["ignore", logFd, logFd],
      detached: true,
    },
  );

  // The built app (vite preview: SPA fallback under /app/, API proxied to the backend, so
  // the session cookie is same-origin exactly as when the backend serves the app).
  const web = spawn(
    vite,
    ["preview", "--host", "127.0.0.1", "--port", String(webPort), "--strictPort"],
    { cwd: WEB, env: { ...env, METRICA_API: apiURL }, stdio: ["ignore", logFd, logFd], detached: true },
  );

  // The app hosted apart from the API: built with VITE_API_URL (above), served on another
  // origin whose proxy leads nowhere, so every API call must go to the API's origin (CORS).
  const apart = spawn(
    vite,
    ["preview", "--host", "127.0.0.1", "--port", String(apartPort), "--strictPort", "--outDir", apartDist],
    { cwd: WEB, env: { ...env, METRICA_API: "http://127.0.0.1:9" }, stdio: ["ignore", logFd, logFd], detached: true },
  );

  const stop = () => {
    for (const child of [apart, web, api]) {
      if (child.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  };

  try {
    await waitFor(`${apiURL}/health`, "metrica serve", api);
    await waitFor(`${baseURL}/app/`, "vite preview", web);
    await waitFor(`${apartURL}/app/`, "vite preview (app apart from the API)", apart);

    const stateDir = dirname(ENV_FILE);
    mkdirSync(stateDir, { recursive: true });
    const e2e: E2EEnv = {
      baseURL,
      apiURL,
      apartURL,
      serveLog,
      storeId: field(demo, /store:\s+([0-9a-f-]{36})/, "store id"),
      cameraId: field(demo, /camera:\s+([0-9a-f-]{36})/, "camera id"),
      workerKey: field(demo, /worker key \(shown once\):\s+(\S+)/, "worker key"),
      password: field(demo, /owner:\s+\S+ \/ (\S+)/, "password"),
      adminEmail: field(demo, /superadmin:\s+(\S+)/, "admin email"),
      ownerEmail: field(demo, /owner:\s+(\S+)/, "owner email"),
      adminState: join(stateDir, "admin.json"),
      ownerState: join(stateDir, "owner.json"),
      clockStart: CLOCK_START,
      clockStartedAtMs,
    };

    // Log in once per role through the real sign-in form; tests reuse the cookie.
    const browser = await chromium.launch(config.projects[0].use.launchOptions);
    for (const [email, file] of [
      [e2e.adminEmail, e2e.adminState],
      [e2e.ownerEmail, e2e.ownerState],
    ]) {
      const page = await browser.newPage();
      await page.goto(`${baseURL}/app/login`);
      await page.getByLabel("Email", { exact: true }).fill(email);
      await page.getByLabel("Password", { exact: true }).fill(e2e.password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("heading", { name: "Your stores" }).waitFor();
      await page.context().storageState({ path: file });
      await page.close();
    }
    await browser.close();
    writeFileSync(ENV_FILE, JSON.stringify(e2e, null, 2));
  } catch (err) {
    stop();
    throw err;
  }

  return async () => {
    stop();
    if (!process.env.E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  };
}
