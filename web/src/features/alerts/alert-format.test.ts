import { describe, expect, it } from "vitest";
import { deliveryText, parseCapacity, parseRecipients, parseWebhook } from "./alert-format";

describe("alert settings input", () => {
  it("splits recipients, drops duplicates and names the invalid ones", () => {
    expect(parseRecipients("a@example.com\nB@example.com, b@example.com;\n\n x \nOwner <o@example.com>")).toEqual({
      emails: ["a@example.com", "B@example.com"],
      invalid: ["x", "Owner <o@example.com>"],
    });
  });

  it("takes a capacity of 1 to 100000 whole people", () => {
    expect(parseCapacity("40")).toBe(40);
    expect(parseCapacity(" 100000 ")).toBe(100000);
    for (const bad of ["0", "100001", "-1", "4.5", "1e3", "", "NaN"]) expect(parseCapacity(bad)).toBeNull();
  });

  it("takes http and https webhooks only", () => {
    expect(parseWebhook("")).toBe("");
    expect(parseWebhook("https://hooks.example.com/x")).toBe("https://hooks.example.com/x");
    for (const bad of ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.example", "not a url"]) {
      expect(parseWebhook(bad)).toBeNull();
    }
  });

  it("says what was delivered", () => {
    expect(deliveryText(true, false)).toBe("email sent, webhook failed");
    expect(deliveryText(null, true)).toBe("webhook sent");
    expect(deliveryText(null, null)).toBe("–");
  });
});
