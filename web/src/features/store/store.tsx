import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { Bell, Camera, ChevronLeft, ChevronRight, Download, Users } from "lucide-react";
import { type ReactNode, useRef } from "react";
import { getDashboard, getLive } from "@/client/sdk.gen";
import type { Comparison, DashboardPublic, LivePublic, StorePublic } from "@/client/types.gen";
import { DateField, EARLIEST_DATE } from "@/features/store/date-field";
import { FootfallChart } from "@/features/store/footfall-chart";
import { Heatmap } from "@/features/store/heatmap";
import { CountCheckNote } from "@/features/audits/count-check";
import { OccupancyChart } from "@/features/store/occupancy-chart";
import { NotFound } from "@/components/not-found";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Segmented } from "@/components/ui/tabs";
import { isNotFound, unwrap } from "@/lib/api";
import { csvFilename, downloadCsv, seriesCsv } from "@/lib/csv";
import {
  dateInZone,
  dateTimeInZone,
  formatDwell,
  formatPct,
  freshness,
  hourRange,
  inThePeriod,
  LOCALE,
  number,
  type Period,
  periodStart,
  periodTitle,
  previousLabel,
  previousName,
  shiftDate,
  timeInZone,
  tzLabel,
} from "@/lib/format";
import { cn } from "@/lib/utils";
import { useStores } from "@/features/store/stores";

/** How often live occupancy is fetched again; the page says so in seconds. */
export const LIVE_REFRESH_MS = 5_000;

export function StorePage() {
  const { storeId } = useParams({ from: "/authed/stores/$storeId" });
  const stores = useStores();
  const store = stores.data?.data.find((s) => s.id === storeId);

  const live = useQuery({
    queryKey: ["live", storeId],
    queryFn: () => unwrap(getLive({ path: { store_id: storeId } })),
    refetchInterval: LIVE_REFRESH_MS,
    refetchIntervalInBackground: false,
  });

  if (stores.isPending) return <Spinner />;
  if (stores.isError) return <ErrorNote error={stores.error} />;
  if (!store || isNotFound(live.error)) return <NotFound what="store" />;

  return (
    <div className="flex flex-col gap-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold" data-testid="store-name">{store.name}</h1>
          <p className="mt-0.5 text-sm text-muted-foreground">
            All times in <span data-testid="tz-label">{tzLabel(store.timezone)}</span>
          </p>
        </div>
        <Link
          to="/stores/$storeId/alerts"
          params={{ storeId }}
          className="inline-flex h-9 items-center gap-2 rounded-md border bg-background px-3 text-sm font-medium hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
        >
          <Bell className="size-4" aria-hidden />
          Alerts &amp; reports
        </Link>
      </div>
      <LiveSection
        live={live.data}
        error={live.error}
        timezone={store.timezone}
        countCheck={<CountCheckNote storeId={storeId} timezone={store.timezone} />}
      />
      {live.data && live.data.cameras.length === 0 ? (
        <EmptyState title="No cameras yet" icon={<Camera />} testId="no-cameras">
          This store has no counting camera. Once your administrator connects one, live occupancy
          and footfall appear here.
        </EmptyState>
      ) : (
        <PeriodSection store={store} />
      )}
    </div>
  );
}

export function LiveSection({
  live,
  error,
  timezone,
  countCheck,
}: {
  live?: LivePublic;
  error: unknown;
  timezone: string;
  /** "Count checked on 20 Nov: 97 % (132 crossings)" under today's numbers. */
  countCheck?: ReactNode;
}) {
  return (
    <section aria-labelledby="live-title" className="grid gap-3 sm:grid-cols-3">
      <h2 id="live-title" className="sr-only">Live</h2>
      <Card className="sm:col-span-1">
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            <span className="relative flex size-2">
              <span className="absolute inline-flex size-full animate-ping rounded-full bg-success opacity-60" />
              <span className="relative inline-flex size-2 rounded-full bg-success" />
            </span>
            In the store now
          </CardTitle>
          <CardDescription>
            {live ? <>Updated {timeInZone(live.as_of, timezone)}, refreshes every {LIVE_REFRESH_MS / 1000} s</> : "Live occupancy"}
          </CardDescription>
        </CardHeader>
        <CardContent>
          {error && !live ? (
            <ErrorNote error={error} />
          ) : (
            <p className="text-4xl font-bold tabular-nums" data-testid="occupancy" aria-live="polite">
              {live ? number.format(live.occupancy) : "–"}
            </p>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Today</CardTitle>
          <CardDescription>Since midnight, {tzLabel(timezone)}</CardDescription>
        </CardHeader>
        <CardContent className="flex gap-6">
          <div>
            <p className="text-xs text-muted-foreground">IN</p>
            <p className="text-2xl font-bold tabular-nums" data-testid="in-today">
              {live ? number.format(live.in_today) : "–"}
            </p>
          </div>
          <div>
            <p className="text-xs text-muted-foreground">OUT</p>
            <p className="text-2xl font-bold tabular-nums" data-testid="out-today">
              {live ? number.format(live.out_today) : "–"}
            </p>
          </div>
        </CardContent>
        {countCheck}
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Cameras</CardTitle>
          <CardDescription>Counting status</CardDescription>
        </CardHeader>
        <CardContent>
          {!live ? (
            <p className="text-sm text-muted-foreground">–</p>
          ) : live.cameras.length === 0 ? (
            <p className="text-sm text-muted-foreground">No cameras yet</p>
          ) : (
            <ul className="flex flex-col gap-1.5" data-testid="camera-freshness">
              {live.cameras.map((c) => (
                <li key={c.id} className="flex items-center justify-between gap-2 text-sm">
                  <span className="truncate">{c.name}</span>
                  <Badge variant={c.status}>{freshness(c, timezone)}</Badge>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
    </section>
  );
}

function PeriodSection({ store }: { store: StorePublic }) {
  const search = useSearch({ from: "/authed/stores/$storeId" });
  const navigate = useNavigate({ from: "/stores/$storeId" });
  const period: Period = search.period ?? "day";
  const today = dateInZone(new Date(), store.timezone);
  const date = search.date ?? today;

  const dash = useQuery({
    queryKey: ["dashboard", store.id, period, date],
    queryFn: () =>
      unwrap(getDashboard({ path: { store_id: store.id }, query: { period, date } })),
    placeholderData: keepPreviousData,
    refetchInterval: date === today ? 60_000 : false,
  });

  const next = shiftDate(date, period, 1);
  const atLatest = periodStart(period, next) > today;
  const dateBox = useRef<HTMLInputElement>(null);
  const go = (change: { period?: Period; date?: string }) =>
    void navigate({ search: (prev) => ({ ...prev, ...change }), replace: true });

  return (
    <section aria-labelledby="period-title" className="flex flex-col gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <div>
          <h2 id="period-title" className="text-lg font-semibold" data-testid="period-title">
            {dash.data ? periodTitle(period, dash.data.start, dash.data.end) : " "}
          </h2>
          <p className="text-xs text-muted-foreground">{tzLabel(store.timezone)}</p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <Segmented
            label="Period"
            value={period}
            onChange={(p) => go({ period: p })}
            options={[
              { value: "day", label: "Day" },
              { value: "week", label: "Week" },
              { value: "month", label: "Month" },
            ]}
          />
          <div className="flex items-center gap-1">
            <Button variant="outline" size="icon" aria-label={`Previous ${period}`} onClick={() => go({ date: shiftDate(date, period, -1) })}>
              <ChevronLeft />
            </Button>
            <label className="sr-only" htmlFor="period-date">Date in the period</label>
            <DateField
              ref={dateBox}
              id="period-date"
              value={date}
              min={EARLIEST_DATE}
              max={today}
              onCommit={(d) => go({ date: d })}
            />
            {/* aria-disabled, not disabled: reaching today keeps focus on the button. */}
            <Button
              variant="outline"
              size="icon"
              aria-label={`Next ${period}`}
              aria-disabled={atLatest}
              className={cn(atLatest && "cursor-not-allowed opacity-50")}
              onClick={() => !atLatest && go({ date: next > today ? today : next })}
            >
              <ChevronRight />
            </Button>
          </div>
          {date !== today && (
            <Button
              variant="ghost"
              size="sm"
              onClick={() => {
                go({ date: undefined });
                dateBox.current?.focus(); // the button goes away with the click
              }}
            >
              Today
            </Button>
          )}
          <Button
            variant="outline"
            size="sm"
            disabled={!dash.data}
            onClick={() =>
              dash.data &&
              downloadCsv(
                csvFilename(store.name, period, date),
                seriesCsv(dash.data.series, store.timezone),
              )
            }
          >
            <Download aria-hidden />
            Export CSV
          </Button>
        </div>
      </div>
      {dash.isPending ? (
        <Spinner />
      ) : dash.isError ? (
        <ErrorNote error={dash.error} />
      ) : (
        <PeriodBody dash={dash.data} period={period} fetching={dash.isFetching} />
      )}
    </section>
  );
}

export function PeriodBody({
  dash,
  period,
  fetching = false,
}: {
  dash: DashboardPublic;
  period: Period;
  fetching?: boolean;
}) {
  const noData =
    dash.footfall_in === 0 && dash.footfall_out === 0 && dash.series.every((p) => !p.footfall_in && !p.footfall_out);
  const change = dash.change_pct;
  const sameTime = dash.previous.same_time;
  const previousSpan = `${dateTimeInZone(dash.previous.start, dash.timezone, new Date(0))} – ${dateTimeInZone(dash.previous.end, dash.timezone, new Date(0))}`;
  return (
    <div className={cn("flex flex-col gap-4 transition-opacity", fetching && "opacity-70")}>
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Kpi title="Footfall (IN)" testId="footfall-in" value={number.format(dash.footfall_in)}>
          <span data-testid="change-caption" title={`Compared with ${previousSpan}`}>
            {change === null ? (
              <>{sameTime ? `No visits ${previousName(period)} by this time` : `No data for ${previousLabel(period)}`}</>
            ) : (
              <>
                <span
                  data-testid="change-pct"
                  className={cn("font-semibold", change > 0 ? "text-success" : change < 0 ? "text-destructive" : "")}
                >
                  {formatPct(change)}
                </span>{" "}
                vs {previousLabel(period, sameTime)} ({number.format(dash.previous.footfall_in)})
              </>
            )}
          </span>
          {dash.comparisons.map((c) => (
            <ComparisonLine key={c.kind} comparison={c} period={period} timezone={dash.timezone} />
          ))}
        </Kpi>
        <Kpi title="OUT" testId="footfall-out" value={number.format(dash.footfall_out)}>
          People leaving
        </Kpi>
        <Kpi
          title="Peak hour"
          testId="peak-hour"
          value={dash.peak_hour ? hourRange(dash.peak_hour.hour) : "—"}
        >
          {dash.peak_hour ? <>{number.format(dash.peak_hour.footfall_in)} in{period !== "day" && " (all days)"}</> : "No visits yet"}
        </Kpi>
        <Kpi title="Average visit" testId="dwell" value={formatDwell(dash.average_dwell_s)}>
          Time spent in the store
        </Kpi>
      </div>
      {noData ? (
        <EmptyState title="No data yet" icon={<Users />} testId="no-data">
          Nobody has been counted {inThePeriod(period)}. Counts appear as soon as a camera reports people
          crossing its line.
        </EmptyState>
      ) : (
        <>
          <div className={cn("grid gap-4", period === "day" && dash.occupancy.length > 0 && "lg:grid-cols-2")}>
            <Card>
              <CardHeader>
                <CardTitle>{period === "day" ? "People per hour" : "People per day"}</CardTitle>
                <CardDescription>IN and OUT, {tzLabel(dash.timezone)}</CardDescription>
              </CardHeader>
              <CardContent>
                <FootfallChart
                  series={dash.series}
                  perDay={period !== "day"}
                  caption={`People in and out per ${period === "day" ? "hour" : "day"}`}
                />
              </CardContent>
            </Card>
            {period === "day" && dash.occupancy.length > 0 && (
              <Card>
                <CardHeader>
                  <CardTitle>In the store through the day</CardTitle>
                  <CardDescription>Every 15 minutes, {tzLabel(dash.timezone)}</CardDescription>
                </CardHeader>
                <CardContent>
                  <OccupancyChart
                    points={dash.occupancy}
                    dayStart={dash.start}
                    dayEnd={dash.end}
                    timezone={dash.timezone}
                  />
                </CardContent>
              </Card>
            )}
          </div>
          <Card>
            <CardHeader>
              <CardTitle>Busy times</CardTitle>
              <CardDescription>People in by weekday and hour, {tzLabel(dash.timezone)}</CardDescription>
            </CardHeader>
            <CardContent>
              <Heatmap cells={dash.heatmap} timezone={dash.timezone} />
            </CardContent>
          </Card>
        </>
      )}
    </div>
  );
}

/** "−25% vs Monday last week at this time (400)", "+3% vs the same week last year (…)". */
export function comparisonLabel(c: Comparison, period: Period, timezone: string): string {
  const weekday = new Intl.DateTimeFormat(LOCALE, { timeZone: timezone, weekday: "long" }).format(new Date(c.start));
  const what =
    c.kind === "last_week"
      ? `${weekday} last week`
      : period === "day"
        ? `${weekday} a year ago`
        : `the same ${period} last year`;
  return `vs ${what}${c.same_time ? " at this time" : ""} (${number.format(c.footfall_in)})`;
}

function ComparisonLine({ comparison: c, period, timezone }: { comparison: Comparison; period: Period; timezone: string }) {
  const change = c.change_pct;
  return (
    <span className="mt-0.5 block" data-testid={`compare-${c.kind}`}>
      <span className={cn("font-semibold", change !== null && change > 0 ? "text-success" : change !== null && change < 0 ? "text-destructive" : "")}>
        {change === null ? "—" : formatPct(change)}
      </span>{" "}
      {comparisonLabel(c, period, timezone)}
    </span>
  );
}

function Kpi({
  title,
  value,
  children,
  testId,
}: {
  title: string;
  value: string;
  children?: React.ReactNode;
  testId: string;
}) {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xs font-medium text-muted-foreground">{title}</CardTitle>
      </CardHeader>
      <CardContent>
        <p className="text-xl font-bold tabular-nums sm:text-2xl" data-testid={testId}>{value}</p>
        <p className="mt-1 text-xs text-muted-foreground">{children}</p>
      </CardContent>
    </Card>
  );
}
