import { describe, expect, it } from "vitest";
import { hourTicks, tickInterval } from "@/features/store/ticks";

describe("chart ticks", () => {
  it("keeps hour ticks evenly spaced, sparser on phones", () => {
    expect(tickInterval(24, true)).toBe(2);
    expect(tickInterval(24, false)).toBe(1);
    expect(tickInterval(7, true)).toBe(0);
    expect(tickInterval(31, true)).toBe(6);
  });

  it("lists whole hours of a day", () => {
    const start = Date.UTC(2026, 10, 30, 0);
    const ticks = hourTicks(start, start + 24 * 3_600_000, 3);
    expect(ticks).toHaveLength(9);
    expect(new Set(ticks.slice(1).map((t, i) => t - ticks[i]))).toEqual(new Set([3 * 3_600_000]));
  });
});

describe("the date box", () => {
  it("applies only complete dates, clamped to [min, max]", async () => {
    const { committedDate } = await import("@/features/store/date-field");
    expect(committedDate("0025-11-27", "2000-01-01", "2026-11-30")).toBeNull(); // typing "2025"
    expect(committedDate("2025-02-30", "2000-01-01", "2026-11-30")).toBeNull();
    expect(committedDate("", "2000-01-01", "2026-11-30")).toBeNull();
    expect(committedDate("2027-12-25", "2000-01-01", "2026-11-30")).toBe("2026-11-30");
    expect(committedDate("1999-05-01", "2000-01-01", "2026-11-30")).toBe("2000-01-01");
    expect(committedDate("2025-11-27", "2000-01-01", "2026-11-30")).toBe("2025-11-27");
  });
});
