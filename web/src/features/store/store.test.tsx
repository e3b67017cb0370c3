import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DashboardPublic, LivePublic } from "@/client/types.gen";
import { LIVE_REFRESH_MS, LiveSection, PeriodBody } from "@/features/store/store";

function dashboard(over: Partial<DashboardPublic> = {}): DashboardPublic {
  const heatmap = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  heatmap[1][12] = 40;
  return {
    store_id: "s1",
    timezone: "Europe/Berlin",
    period: "day",
    start: "2024-05-14T00:00:00+02:00",
    end: "2024-05-15T00:00:00+02:00",
    footfall_in: 1234,
    footfall_out: 1200,
    previous: {
      start: "2024-05-13T00:00:00+02:00",
      end: "2024-05-14T00:00:00+02:00",
      footfall_in: 1000,
      footfall_out: 990,
      same_time: false,
    },
    change_pct: 23.4,
    series: [
      { start: "2024-05-14T12:00:00+02:00", label: "12:00", footfall_in: 40, footfall_out: 30 },
    ],
    peak_hour: { hour: 12, footfall_in: 40 },
    heatmap,
    average_dwell_s: 19 * 60,
    comparisons: [],
    occupancy: [],
    ...over,
  };
}

describe("PeriodBody", () => {
  it("shows footfall, change, peak hour and dwell", () => {
    render(<PeriodBody dash={dashboard()} period="day" />);
    expect(screen.getByTestId("footfall-in")).toHaveTextContent("1,234");
    expect(screen.getByTestId("change-pct")).toHaveTextContent("+23%");
    expect(screen.getByText(/vs the day before \(1,000\)/)).toBeInTheDocument();
    expect(screen.getByTestId("peak-hour")).toHaveTextContent("12:00–13:00");
    expect(screen.getByTestId("dwell")).toHaveTextContent("19 min");
    const table = screen.getByRole("table", { name: /People in by weekday and hour/ });
    expect(within(table).getByText("Europe/Berlin", { exact: false })).toBeInTheDocument();
    expect(within(table).getAllByRole("row")).toHaveLength(8);
  });

  it("labels a like-for-like comparison while the period is in progress", () => {
    const previous = {
      start: "2024-05-13T00:00:00+02:00",
      end: "2024-05-13T09:41:00+02:00",
      footfall_in: 200,
      footfall_out: 150,
      same_time: true,
    };
    const { rerender } = render(<PeriodBody dash={dashboard({ previous, change_pct: -12.5 })} period="day" />);
    expect(screen.getByTestId("change-pct")).toHaveTextContent("−13%");
    expect(screen.getByTestId("change-caption")).toHaveTextContent("vs yesterday at this time (200)");
    expect(screen.getByTestId("change-caption")).toHaveAttribute(
      "title",
      "Compared with 13 May, 00:00 – 13 May, 09:41",
    );
    rerender(<PeriodBody dash={dashboard({ previous, change_pct: 5 })} period="week" />);
    expect(screen.getByTestId("change-caption")).toHaveTextContent("vs this time last week (200)");
    rerender(
      <PeriodBody dash={dashboard({ previous: { ...previous, footfall_in: 0 }, change_pct: null })} period="month" />,
    );
    expect(screen.getByTestId("change-caption")).toHaveTextContent("No visits last month by this time");
  });

  it("compares with the same weekday last week and a year ago, and draws occupancy", () => {
    render(
      <PeriodBody
        dash={dashboard({
          comparisons: [
            {
              kind: "last_week",
              start: "2024-05-07T00:00:00+02:00",
              end: "2024-05-07T12:00:00+02:00",
              footfall_in: 1000,
              change_pct: 23.4,
              same_time: true,
            },
            {
              kind: "last_year",
              start: "2023-05-16T00:00:00+02:00",
              end: "2023-05-16T12:00:00+02:00",
              footfall_in: 2468,
              change_pct: -50,
              same_time: true,
            },
          ],
          occupancy: [
            { at: "2024-05-14T00:00:00+02:00", occupancy: 0 },
            { at: "2024-05-14T00:15:00+02:00", occupancy: 3 },
            { at: "2024-05-14T01:00:00+02:00", occupancy: 5 },
            { at: "2024-05-14T01:10:00+02:00", occupancy: 4 },
          ],
        })}
        period="day"
      />,
    );
    expect(screen.getByTestId("compare-last_week")).toHaveTextContent("+23% vs Tuesday last week at this time (1,000)");
    expect(screen.getByTestId("compare-last_year")).toHaveTextContent("−50% vs Tuesday a year ago at this time (2,468)");
    const table = within(screen.getByTestId("occupancy-table")).getByRole("table");
    // On the hour, and the latest point (now).
    expect(within(table).getAllByRole("row").map((r) => r.textContent)).toEqual([
      "TimeIn the store",
      "00:000",
      "01:005",
      "01:104",
    ]);
    expect(screen.getByRole("figure", { name: /People in the store through the day/ })).toBeInTheDocument();
    const bars = within(screen.getByTestId("footfall-table")).getByRole("table");
    expect(within(bars).getByRole("row", { name: "12:00 40 30" })).toBeInTheDocument();
  });

  it("explains an empty period", () => {
    render(
      <PeriodBody
        dash={dashboard({
          footfall_in: 0,
          footfall_out: 0,
          change_pct: null,
          series: [],
          peak_hour: null,
          average_dwell_s: null,
        })}
        period="week"
      />,
    );
    expect(screen.getByTestId("no-data")).toHaveTextContent("Nobody has been counted in this week");
    expect(screen.getByText("No data for the week before")).toBeInTheDocument();
    expect(screen.getByTestId("dwell")).toHaveTextContent("—");
  });
});

describe("LiveSection", () => {
  afterEach(() => vi.useRealTimers());

  const live: LivePublic = {
    store_id: "s1",
    timezone: "Europe/Berlin",
    as_of: "2024-05-14T22:30:00Z",
    occupancy: 7,
    in_today: 1234,
    out_today: 1227,
    cameras: [
      { id: "c1", name: "Entrance", status: "live", last_heartbeat_at: "2024-05-14T22:29:55Z", last_event_at: null, fps: 10 },
      // 23:50 the evening before in Berlin, while it is already past midnight there.
      { id: "c2", name: "Back door", status: "stale", last_heartbeat_at: "2024-05-14T21:50:00Z", last_event_at: null, fps: null },
    ],
  };

  it("says when it was updated, how often it refreshes (the refetch interval) and how fresh each camera is", () => {
    // 00:30 on 15 May in Berlin, still 14 May in UTC.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2024-05-14T22:30:00Z"));
    render(<LiveSection live={live} error={null} timezone="Europe/Berlin" />);
    expect(screen.getByText(/^Updated /)).toHaveTextContent(
      `Updated 00:30, refreshes every ${LIVE_REFRESH_MS / 1000} s`,
    );
    expect(screen.getByTestId("occupancy")).toHaveTextContent("7");
    expect(screen.getByTestId("in-today")).toHaveTextContent("1,234");
    const cameras = screen.getByTestId("camera-freshness");
    expect(within(cameras).getByText("counting")).toBeInTheDocument();
    // The store's day decides whether a date is shown, not the UTC day.
    expect(within(cameras).getByText("stale since 14 May, 23:50")).toBeInTheDocument();
  });
});
