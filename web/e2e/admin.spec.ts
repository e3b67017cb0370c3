import { expect, getJson, test } from "./fixtures";

interface Line {
  line_id: string;
  name: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

test.describe("admin", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("creates a store and a camera, issues a key and draws the counting line", async ({ page }) => {
    const storeName = `Kiosk ${Date.now()}`;
    await page.goto("/app/admin/stores");
    await page.getByRole("button", { name: "New store" }).click();
    const dialog = page.getByRole("dialog", { name: "New store" });
    await dialog.getByLabel("Name").fill(storeName);
    await dialog.getByLabel("Timezone").selectOption("America/New_York");
    await dialog.getByRole("checkbox").last().check(); // open on Sundays too
    await dialog.getByLabel("Sunday opens").fill("10:00");
    await dialog.getByLabel("Sunday closes").fill("16:00");
    await dialog.getByRole("button", { name: "Create store" }).click();

    await expect(page.getByRole("heading", { name: storeName })).toBeVisible();
    const storeId = page.url().split("/").pop()!;
    const store = await getJson<{ timezone: string; opening_hours: Record<string, string[] | null> }>(
      page.request,
      `/admin/stores/${storeId}`,
    );
    expect(store.timezone).toBe("America/New_York");
    expect(store.opening_hours.sun).toEqual(["10:00", "16:00"]);

    // Assign an owner by email (a new one gets an invitation).
    await page.getByLabel("Owner email").fill("new.owner@example.com");
    await page.getByRole("button", { name: "Assign" }).click();
    await expect(page.getByRole("list", { name: "Owners of this store" })).toContainText("new.owner@example.com");

    // A camera, then its key.
    await page.getByLabel("New camera").fill("Front entrance");
    await page.getByRole("button", { name: "Add camera" }).click();
    await page.getByRole("link", { name: /Front entrance/ }).click();
    await expect(page.getByRole("heading", { name: "Front entrance" })).toBeVisible();
    const cameraId = page.url().split("/").pop()!;

    await page.getByRole("button", { name: "Issue key" }).click();
    const keyDialog = page.getByRole("dialog", { name: "Worker key issued" });
    const key = await keyDialog.getByTestId("worker-key").inputValue();
    expect(key.length).toBeGreaterThan(20);
    await expect(keyDialog.getByTestId("worker-command")).toHaveValue(
      new RegExp(`^METRICA_WORKER_KEY=${key} metrica worker --api-url http://127\\.0\\.0\\.1:\\d+ --camera-id ${cameraId} SOURCE --model PATH$`),
    );
    await keyDialog.getByRole("button", { name: "I have copied it" }).click();
    await expect(page.getByRole("button", { name: "Rotate key" })).toBeVisible();
    // The key works for the worker's config endpoint.
    const config = await page.request.get(`/cameras/${cameraId}/config`, { headers: { "X-Worker-Key": key } });
    expect(config.status()).toBe(200);

    // No snapshot yet: a placeholder. Drag from 20%,30% to 80%,70% of the picture.
    await expect(page.getByTestId("no-snapshot")).toBeVisible();
    const canvas = page.getByTestId("line-canvas");
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.7, { steps: 5 });
    await page.mouse.up();
    await page.getByLabel("Line name").fill("Main door");
    await expect(page.getByTestId("in-arrow")).toBeVisible();
    await page.getByRole("button", { name: "Flip IN direction" }).click();
    await page.getByRole("button", { name: "Save lines" }).click();
    await expect(page.getByText("Saved.", { exact: false })).toBeVisible();

    const lines = await getJson<Line[]>(page.request, `/admin/cameras/${cameraId}/lines`);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.line_id).toBe("main-door");
    expect(line.name).toBe("Main door");
    // Flipped: P1 is where the drag ended.
    expect(line.x1).toBeCloseTo(0.8, 1);
    expect(line.y1).toBeCloseTo(0.7, 1);
    expect(line.x2).toBeCloseTo(0.2, 1);
    expect(line.y2).toBeCloseTo(0.3, 1);

    // The worker sees the same line.
    const workerConfig = (await (
      await page.request.get(`/cameras/${cameraId}/config`, { headers: { "X-Worker-Key": key } })
    ).json()) as { lines: Line[] };
    expect(workerConfig.lines[0].line_id).toBe("main-door");

    // Camera health lists it without a heartbeat yet.
    await page.getByRole("link", { name: "Camera health" }).click();
    const row = page.getByRole("row", { name: /Front entrance/ });
    await expect(row).toContainText(storeName);
    await expect(row.getByTestId("camera-status")).toHaveText(/offline|stale/);

    // Revoking the key locks the worker out.
    await page.goto(`/app/admin/cameras/${cameraId}`);
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByRole("alertdialog", { name: "Revoke the worker key?" }).getByRole("button", { name: "Revoke key" }).click();
    await expect(page.getByRole("button", { name: "Issue key" })).toBeVisible();
    await expect
      .poll(async () => (await page.request.get(`/cameras/${cameraId}/config`, { headers: { "X-Worker-Key": key } })).status(), {
        timeout: 15_000,
      })
      .toBe(401);
  });

  test("deletes a camera, then its store, each after a confirmation that says what is lost", async ({ page }) => {
    const storeName = `Doomed shop ${Date.now()}`;
    const store = (await (
      await page.request.post("/admin/stores", { data: { name: storeName, timezone: "Europe/Lisbon" } })
    ).json()) as { id: string };
    const camRes = await page.request.post("/admin/cameras", {
      data: { store_id: store.id, name: "Side door", is_counting_line: true },
    });
    expect(camRes.status()).toBe(201);
    const camera = (await camRes.json()) as { id: string };
    const lines = await page.request.put(`/admin/cameras/${camera.id}/lines`, {
      data: [{ line_id: "door", name: "Door", x1: 0.1, y1: 0.5, x2: 0.9, y2: 0.5 }],
    });
    expect(lines.status()).toBe(200);

    // Camera: cancel first (nothing happens), then confirm.
    await page.goto(`/app/admin/cameras/${camera.id}`);
    await expect(page.getByRole("heading", { name: "Side door" })).toBeVisible();
    await page.getByRole("button", { name: "Delete camera" }).click();
    let dialog = page.getByRole("alertdialog", { name: "Delete Side door?" });
    await expect(dialog.getByTestId("delete-camera-losses")).toContainText(`${storeName}'s footfall`);
    await expect(dialog.getByTestId("delete-camera-losses")).toContainText("its counting line and its latest snapshot");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    expect((await page.request.get(`/admin/cameras/${camera.id}`)).status()).toBe(200);

    await page.getByRole("button", { name: "Delete camera" }).click();
    dialog = page.getByRole("alertdialog", { name: "Delete Side door?" });
    await dialog.getByRole("button", { name: "Delete camera" }).click();
    await expect(page.getByRole("heading", { name: storeName })).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`/app/admin/stores/${store.id}$`));
    await expect(page.getByText("No cameras yet")).toBeVisible();
    expect((await page.request.get(`/admin/cameras/${camera.id}`)).status()).toBe(404);

    // Store: the button waits for the store's name to be typed.
    await page.getByRole("button", { name: "Delete store" }).click();
    dialog = page.getByRole("alertdialog", { name: `Delete ${storeName}?` });
    const losses = dialog.getByTestId("delete-store-losses");
    await expect(losses).toContainText("all of its footfall history");
    await expect(losses).toContainText("no cameras");
    await expect(losses).toContainText("no owner access");
    const confirm = dialog.getByRole("button", { name: "Delete store" });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(/Type .* to confirm/).fill("Doomed shop");
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(/Type .* to confirm/).fill(storeName);
    await confirm.click();
    await expect(page).toHaveURL(/\/app\/admin\/stores$/);
    await expect(page.getByRole("list", { name: "All stores" })).not.toContainText(storeName);
    expect((await page.request.get(`/admin/stores/${store.id}`)).status()).toBe(404);
  });

  test("an empty store explains that it has no cameras yet", async ({ page }) => {
    const res = await page.request.post("/admin/stores", { data: { name: "Empty shop", timezone: "Asia/Tokyo" } });
    const { id } = (await res.json()) as { id: string };
    await page.goto(`/app/stores/${id}`);
    await expect(page.getByTestId("tz-label")).toHaveText("Asia/Tokyo time");
    await expect(page.getByTestId("no-cameras")).toContainText("No cameras yet");
  });
});
