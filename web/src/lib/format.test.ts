import { describe, expect, it } from "vitest";
import {
  dateInZone,
  dayTick,
  formatDwell,
  formatPct,
  freshness,
  periodStart,
  periodTitle,
  shiftDate,
  timeInZone,
  tzLabel,
} from "@/lib/format";

describe("periods", () => {
  it.each([
    ["2024-05-14", "day", -1, "2024-05-13"],
    ["2024-03-01", "day", -1, "2024-02-29"],
    ["2024-05-14", "week", 1, "2024-05-21"],
    ["2024-01-31", "month", 1, "2024-02-29"],
    ["2024-03-31", "month", -1, "2024-02-29"],
    ["2024-12-15", "month", 1, "2025-01-15"],
  ] as const)("shiftDate(%s, %s, %i) = %s", (date, period, delta, expected) => {
    expect(shiftDate(date, period, delta)).toBe(expected);
  });

  it.each([
    ["day", "2024-05-15", "2024-05-15"],
    ["week", "2024-05-15", "2024-05-13"],
    ["week", "2024-05-19", "2024-05-13"],
    ["week", "2024-05-13", "2024-05-13"],
    ["month", "2024-05-15", "2024-05-01"],
  ] as const)("periodStart(%s, %s) = %s", (period, date, expected) => {
    expect(periodStart(period, date)).toBe(expected);
  });

  it("titles a day, a week and a month from local bounds", () => {
    expect(periodTitle("day", "2024-05-14T00:00:00+02:00", "2024-05-15T00:00:00+02:00")).toBe(
      "Tue, 14 May 2024",
    );
    expect(periodTitle("week", "2024-05-13T00:00:00+02:00", "2024-05-20T00:00:00+02:00")).toBe(
      "13 – 19 May 2024",
    );
    expect(periodTitle("month", "2024-03-01T00:00:00+01:00", "2024-04-01T00:00:00+02:00")).toBe(
      "March 2024",
    );
  });

  it("labels a day tick", () => {
    expect(dayTick("2024-05-13T00:00:00+02:00")).toBe("Mon 13");
  });
});

describe("store time", () => {
  it("formats instants in the store's zone across DST", () => {
    // Berlin: UTC+1 in winter, UTC+2 in summer.
    expect(timeInZone("2024-01-15T09:42:00Z", "Europe/Berlin")).toBe("10:42");
    expect(timeInZone("2024-07-15T08:42:00Z", "Europe/Berlin")).toBe("10:42");
    expect(timeInZone("2024-07-15T08:42:00Z", "America/New_York")).toBe("04:42");
  });
  it("finds the local calendar date", () => {
    expect(dateInZone(new Date("2024-05-14T23:30:00Z"), "Europe/Berlin")).toBe("2024-05-15");
    expect(dateInZone(new Date("2024-05-14T23:30:00Z"), "America/Los_Angeles")).toBe("2024-05-14");
  });
  it("labels the zone", () => {
    expect(tzLabel("Europe/Berlin")).toBe("Europe/Berlin time");
  });
  it("says how fresh a camera is", () => {
    const now = new Date("2024-05-14T12:00:00Z");
    expect(freshness({ status: "live", last_heartbeat_at: "2024-05-14T11:59:30Z" }, "Europe/Berlin", now)).toBe(
      "counting",
    );
    expect(freshness({ status: "stale", last_heartbeat_at: "2024-05-14T08:42:00Z" }, "Europe/Berlin", now)).toBe(
      "stale since 10:42",
    );
    expect(freshness({ status: "offline", last_heartbeat_at: "2024-05-12T08:42:00Z" }, "Europe/Berlin", now)).toBe(
      "offline since 12 May, 10:42",
    );
    expect(freshness({ status: "offline" }, "Europe/Berlin", now)).toBe("never connected");
  });
});

describe("numbers", () => {
  it.each([
    [12.5, "+13%"],
    [2.5, "+2.5%"],
    [-3.25, "−3.3%"],
    [150, "+150%"],
    [0, "±0%"],
    [null, "—"],
  ])("formatPct(%s) = %s", (v, s) => {
    expect(formatPct(v)).toBe(s);
  });
  it.each([
    [null, "—"],
    [42, "42 s"],
    [60 * 12.4, "12 min"],
    [3600 + 5 * 60, "1 h 05 min"],
  ])("formatDwell(%s) = %s", (v, s) => {
    expect(formatDwell(v)).toBe(s);
  });
});

describe("locale", () => {
  it("writes dates and numbers the browser's way", async () => {
    const { vi } = await import("vitest");
    Object.defineProperty(navigator, "languages", { value: ["en-US"], configurable: true });
    vi.resetModules();
    try {
      const us = await import("@/lib/format");
      expect(us.periodTitle("day", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")).toBe(
        "Mon, Nov 30, 2026",
      );
      expect(us.dateLabel("2026-11-30")).toBe("Mon, Nov 30, 2026");
      Object.defineProperty(navigator, "languages", { value: ["de-DE"], configurable: true });
      vi.resetModules();
      const de = await import("@/lib/format");
      expect(de.number.format(1234)).toBe("1.234");
      expect(de.dateLabel("2026-11-30")).toBe("Mo., 30. Nov. 2026");
    } finally {
      Object.defineProperty(navigator, "languages", { value: ["en-GB"], configurable: true });
      vi.resetModules();
    }
  });
});
