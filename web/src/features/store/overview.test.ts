import { describe, expect, it } from "vitest";
import type { StoreOverview } from "@/client/types.gen";
import { sortAndFilter, sparklinePoints } from "@/features/store/overview";

function row(name: string, over: Partial<StoreOverview> = {}): StoreOverview {
  return {
    id: name,
    name,
    timezone: "Europe/Berlin",
    in_today: 0,
    occupancy: 0,
    last_week_in: 0,
    change_pct: null,
    daily_in: [],
    cameras: { live: 1, stale: 0, offline: 0 },
    ...over,
  };
}

describe("overview", () => {
  const rows = [
    row("Berlin Mitte", { in_today: 40, change_pct: 10, cameras: { live: 0, stale: 1, offline: 1 } }),
    row("Hamburg", { in_today: 90, change_pct: -5, timezone: "Europe/Berlin" }),
    row("paris", { in_today: 10, change_pct: null, timezone: "Europe/Paris" }),
  ];

  it("sorts by a column, nulls last both ways", () => {
    expect(sortAndFilter(rows, "", "in_today", true).map((r) => r.name)).toEqual(["Hamburg", "Berlin Mitte", "paris"]);
    expect(sortAndFilter(rows, "", "change_pct", true).map((r) => r.name)).toEqual(["Berlin Mitte", "Hamburg", "paris"]);
    expect(sortAndFilter(rows, "", "change_pct", false).map((r) => r.name)).toEqual(["Hamburg", "Berlin Mitte", "paris"]);
    expect(sortAndFilter(rows, "", "name", false).map((r) => r.name)).toEqual(["Berlin Mitte", "Hamburg", "paris"]);
    expect(sortAndFilter(rows, "", "cameras", true)[0].name).toBe("Berlin Mitte");
  });

  it("searches names and timezones, any case", () => {
    expect(sortAndFilter(rows, "BERLIN", "name", false).map((r) => r.name)).toEqual(["Berlin Mitte", "Hamburg"]);
    expect(sortAndFilter(rows, " paris ", "name", false).map((r) => r.name)).toEqual(["paris"]);
    expect(sortAndFilter(rows, "nowhere", "name", false)).toEqual([]);
  });

  it("draws a sparkline inside its box", () => {
    const pts = sparklinePoints([0, 5, 10], 100, 20).split(" ").map((p) => p.split(",").map(Number));
    expect(pts.map(([x]) => x)).toEqual([0, 50, 100]);
    expect(pts[2][1]).toBeCloseTo(1);
    expect(pts[0][1]).toBeCloseTo(19);
  });
});
