import { describe, expect, it } from "vitest";
import { parseRetentionDays } from "@/features/admin/anpr-card";

describe("parseRetentionDays", () => {
  it.each([
    ["30", 30],
    [" 1 ", 1],
    ["3650", 3650],
    ["0", null],
    ["3651", null],
    ["1.5", null],
    ["-3", null],
    ["", null],
    ["1e3", null],
    ["99999999999999999999", null],
  ])("%j → %s", (text, days) => {
    expect(parseRetentionDays(text)).toBe(days);
  });
});
