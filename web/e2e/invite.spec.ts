import { expect, lastLoggedInvitation, test } from "./fixtures";

test.describe("invitation", () => {
  test.use({ storageState: async ({ e2e }, use) => use(e2e.adminState) });

  test("a new owner opens the emailed link, sets a password and sees their store", async ({ page, e2e, browser }) => {
    const stamp = Date.now();
    const storeName = `Corner shop ${stamp}`;
    const email = `invitee.${stamp}@example.com`;
    const created = await page.request.post("/admin/stores", { data: { name: storeName, timezone: "Europe/Vienna" } });
    expect(created.status()).toBe(201);
    const { id: storeId } = (await created.json()) as { id: string };

    // The admin assigns an owner who has no account: the backend emails an invitation.
    await page.goto(`/app/admin/stores/${storeId}`);
    await page.getByLabel("Owner email").fill(email);
    await page.getByRole("button", { name: "Assign" }).click();
    await expect(page.getByRole("list", { name: "Owners of this store" })).toContainText(email);

    let link: string | null = null;
    await expect.poll(() => (link = lastLoggedInvitation(e2e, email))).not.toBeNull();
    expect(link!.startsWith(`${e2e.baseURL}/app/invite?token=`)).toBe(true);

    // The invitee, in a browser with no session.
    const context = await browser.newContext();
    const invitee = await context.newPage();
    await invitee.goto(link!);
    await expect(invitee.getByRole("heading", { name: "Welcome to Metrica" })).toBeVisible();
    await invitee.getByLabel("New password").fill("correct horse 1");
    await invitee.getByLabel("Confirm password").fill("correct horse 2");
    await invitee.getByRole("button", { name: "Set password and sign in" }).click();
    await expect(invitee.getByRole("alert")).toHaveText("The two passwords do not match.");
    await expect(invitee.getByLabel("Confirm password")).toHaveAttribute("aria-invalid", "true");

    // A password that is easy to guess: the server says so, and the link still works.
    await invitee.getByLabel("New password").fill("password1");
    await invitee.getByLabel("Confirm password").fill("password1");
    await invitee.getByRole("button", { name: "Set password and sign in" }).click();
    await expect(invitee.getByRole("alert")).toContainText("too easy to guess");
    await expect(invitee.getByRole("heading", { name: "Welcome to Metrica" })).toBeVisible();

    await invitee.getByLabel("New password").fill("correct horse 1");
    await invitee.getByLabel("Confirm password").fill("correct horse 1");
    await invitee.getByRole("button", { name: "Set password and sign in" }).click();

    // Signed in, on their stores: exactly the one they were assigned to.
    await expect(invitee.getByRole("heading", { name: "Your stores" })).toBeVisible();
    await expect(invitee).toHaveURL(`${e2e.baseURL}/app/`);
    await expect(invitee.getByTestId("user-email")).toHaveText(email);
    const stores = invitee.getByTestId("stores-overview");
    await expect(stores.getByRole("link")).toHaveCount(1);
    await stores.getByRole("link", { name: new RegExp(storeName) }).click();
    await expect(invitee.getByTestId("store-name")).toHaveText(storeName);
    await expect(invitee.getByTestId("tz-label")).toHaveText("Europe/Vienna time");

    // The link works once.
    await invitee.goto(link!);
    await invitee.getByLabel("New password").fill("another password");
    await invitee.getByLabel("Confirm password").fill("another password");
    await invitee.getByRole("button", { name: "Set password and sign in" }).click();
    await expect(invitee.getByRole("heading", { name: "This link no longer works" })).toBeVisible();
    await expect(invitee.getByTestId("invite-dead")).toContainText("already been used or has expired");
    await invitee.getByRole("link", { name: "Go to sign-in" }).click();
    await expect(invitee).toHaveURL(/\/app\/login/);

    // And the password it set is the one that signs in.
    const login = await context.request.post(`${e2e.baseURL}/auth/login`, {
      data: { email, password: "correct horse 1" },
    });
    expect(login.status()).toBe(200);
    await context.close();
  });

  test("a link without its token says so", async ({ browser, e2e }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${e2e.baseURL}/app/invite`);
    await expect(page.getByTestId("invite-dead")).toContainText("incomplete");
    await context.close();
  });
});
