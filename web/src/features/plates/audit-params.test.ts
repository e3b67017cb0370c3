import { describe, expect, it } from "vitest";
import { auditQuery, normalizePlate, parseAuditSearch } from "@/features/plates/audit-params";

describe("parseAuditSearch", () => {
  it("keeps valid filters", () => {
    expect(parseAuditSearch({ action: "erase", who: " clerk@ ", from: "2026-03-01", to: "2026-03-31", page: "2" })).toEqual({
      action: "erase",
      who: "clerk@",
      from: "2026-03-01",
      to: "2026-03-31",
      page: 2,
    });
  });

  it("drops anything odd", () => {
    expect(
      parseAuditSearch({ action: "delete", who: "\u0000\u0007", from: "2026-02-30", to: "0001-01-01", page: "1e9" }),
    ).toEqual({ action: undefined, who: undefined, from: undefined, to: undefined, page: undefined });
    expect(parseAuditSearch({ who: "x".repeat(500) }).who).toHaveLength(320);
    expect(parseAuditSearch({ page: -1 }).page).toBeUndefined();
  });
});

describe("auditQuery", () => {
  it("turns days in the site's zone into instants, the last day inclusive", () => {
    expect(auditQuery("s1", { action: "search", from: "2026-03-01", to: "2026-03-01", page: 1 }, "Europe/Paris")).toEqual({
      store_id: "s1",
      action: "search",
      from: "2026-02-28T23:00:00.000Z",
      to: "2026-03-01T23:00:00.000Z",
      limit: 100,
      offset: 100,
    });
  });
});

describe("normalizePlate", () => {
  it("is upper-case letters and digits, as the server keeps plates", () => {
    expect(normalizePlate(" ab-123 cd ")).toBe("AB123CD");
    expect(normalizePlate("é%_")).toBe("");
    expect(normalizePlate("A".repeat(40))).toHaveLength(16);
  });
});
