import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ArrowDown, ArrowUp, Search, Store } from "lucide-react";
import { useState } from "react";
import { getStoresOverview, listStores } from "@/client/sdk.gen";
import type { StoreOverview } from "@/client/types.gen";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Input, Select } from "@/components/ui/input";
import { type OverviewSort, camerasDown, sortAndFilter, sparklinePoints } from "@/features/store/overview";
import { unwrap } from "@/lib/api";
import { useMe } from "@/lib/auth";
import { formatPct, number, tzLabel } from "@/lib/format";
import { cn } from "@/lib/utils";

export const storesKey = ["stores"] as const;
/** How often the overview is fetched again while open. */
export const OVERVIEW_REFRESH_MS = 30_000;

export function useStores() {
  return useQuery({ queryKey: storesKey, queryFn: () => unwrap(listStores()) });
}

const COLUMNS: { key: OverviewSort; label: string; numeric: boolean }[] = [
  { key: "name", label: "Store", numeric: false },
  { key: "in_today", label: "IN today", numeric: true },
  { key: "occupancy", label: "In the store now", numeric: true },
  { key: "change_pct", label: "vs same weekday last week", numeric: true },
];

/** The owner's first screen: one row per store, sortable and searchable. */
export function StoresPage() {
  const overview = useQuery({
    queryKey: ["stores-overview"],
    queryFn: () => unwrap(getStoresOverview()),
    refetchInterval: OVERVIEW_REFRESH_MS,
  });
  const me = useMe();
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<{ key: OverviewSort; descending: boolean }>({ key: "name", descending: false });
  const rows = overview.data ? sortAndFilter(overview.data.data, query, sort.key, sort.descending) : [];
  const count = overview.data?.count ?? 0;
  const toggle = (key: OverviewSort, numeric: boolean) =>
    setSort((s) => (s.key === key ? { key, descending: !s.descending } : { key, descending: numeric }));

  return (
    <div>
      <h1 className="text-2xl font-bold">Your stores</h1>
      <p className="mt-1 text-sm text-muted-foreground">
        Today so far in each store&apos;s own time. Pick a store for its day, week and month.
      </p>
      <div className="mt-5">
        {overview.isPending ? (
          <Spinner />
        ) : overview.isError ? (
          <ErrorNote error={overview.error} />
        ) : count === 0 ? (
          <EmptyState title="No stores yet" icon={<Store />} testId="no-stores">
            {me.data?.role === "superadmin" ? (
              <>
                Create one under <Link className="text-primary underline" to="/admin/stores">Admin → Stores</Link>.
              </>
            ) : (
              "Ask your Metrica administrator to give your account access to a store."
            )}
          </EmptyState>
        ) : (
          <div className="flex flex-col gap-3">
            {count > 1 && (
              <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
              <div className="relative w-full sm:w-72">
                <label htmlFor="store-search" className="sr-only">Search stores</label>
                <Search className="pointer-events-none absolute left-2 top-1/2 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
                <Input
                  id="store-search"
                  type="search"
                  placeholder="Search by name or timezone"
                  className="pl-8"
                  value={query}
                  onChange={(e) => setQuery(e.target.value)}
                />
              </div>
              <div className="flex items-center gap-2 sm:hidden">
                <label htmlFor="store-sort" className="text-sm text-muted-foreground">Sort by</label>
                <Select
                  id="store-sort"
                  className="flex-1"
                  value={`${sort.key}:${sort.descending ? "desc" : "asc"}`}
                  onChange={(e) => {
                    const [key, dir] = e.target.value.split(":");
                    setSort({ key: key as OverviewSort, descending: dir === "desc" });
                  }}
                >
                  <option value="name:asc">Name, A to Z</option>
                  <option value="in_today:desc">IN today, most first</option>
                  <option value="occupancy:desc">In the store now, most first</option>
                  <option value="change_pct:desc">Change vs last week, best first</option>
                  <option value="change_pct:asc">Change vs last week, worst first</option>
                  <option value="cameras:desc">Cameras down first</option>
                </Select>
              </div>
              </div>
            )}
            <p className="sr-only" role="status">
              {query ? `${rows.length} of ${count} stores match` : ""}
            </p>
            <ul className="flex flex-col gap-2 sm:hidden" aria-label="Stores" data-testid="stores-overview-list">
              {rows.map((r) => (
                <OverviewCard key={r.id} row={r} />
              ))}
            </ul>
            <div className="hidden overflow-x-auto rounded-lg border bg-card shadow-sm sm:block" role="region" aria-label="Stores overview" tabIndex={0}>
              <table className="w-full min-w-[34rem] text-sm" data-testid="stores-overview">
                <caption className="sr-only">Your stores today, sortable by each column</caption>
                <thead>
                  <tr className="border-b text-left text-xs text-muted-foreground">
                    {COLUMNS.map((c) => (
                      <th
                        key={c.key}
                        scope="col"
                        className={cn("px-3 py-2 font-medium", c.numeric && "text-right")}
                        aria-sort={sort.key === c.key ? (sort.descending ? "descending" : "ascending") : undefined}
                      >
                        <SortButton
                          label={c.label}
                          active={sort.key === c.key}
                          descending={sort.descending}
                          onClick={() => toggle(c.key, c.numeric)}
                          numeric={c.numeric}
                        />
                      </th>
                    ))}
                    <th scope="col" className="px-3 py-2 font-medium">Last 14 days</th>
                    <th
                      scope="col"
                      className="px-3 py-2 font-medium"
                      aria-sort={sort.key === "cameras" ? (sort.descending ? "descending" : "ascending") : undefined}
                    >
                      <SortButton
                        label="Cameras"
                        active={sort.key === "cameras"}
                        descending={sort.descending}
                        onClick={() => toggle("cameras", true)}
                      />
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <OverviewRow key={r.id} row={r} />
                  ))}
                </tbody>
              </table>
              {rows.length === 0 && (
                <p className="p-4 text-sm text-muted-foreground" data-testid="no-match">No store matches “{query}”.</p>
              )}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}

function SortButton({
  label,
  active,
  descending,
  onClick,
  numeric = false,
}: {
  numeric?: boolean;
  label: string;
  active: boolean;
  descending: boolean;
  onClick: () => void;
}) {
  const Icon = descending ? ArrowDown : ArrowUp;
  return (
    <button
      type="button"
      onClick={onClick}
      className={cn(
        "inline-flex items-center gap-1 rounded hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
        active && "text-foreground",
      )}
    >
      {numeric && <Icon className={cn("size-3", !active && "invisible")} aria-hidden />}
      {label}
      {!numeric && <Icon className={cn("size-3", !active && "invisible")} aria-hidden />}
    </button>
  );
}

function Change({ row: r }: { row: StoreOverview }) {
  const change = r.change_pct;
  return change === null ? (
    <span className="text-muted-foreground">—</span>
  ) : (
    <span className={cn("font-semibold", change > 0 ? "text-success" : change < 0 ? "text-destructive" : "")}>
      {formatPct(change)}
    </span>
  );
}

function Cameras({ row: r }: { row: StoreOverview }) {
  const down = camerasDown(r);
  if (r.cameras.live + down === 0) return <span className="text-xs text-muted-foreground">no cameras</span>;
  if (down === 0) return <Badge variant="live">{r.cameras.live} counting</Badge>;
  return (
    <Badge variant={r.cameras.offline ? "offline" : "stale"}>
      {down} of {r.cameras.live + down} down
    </Badge>
  );
}

/** A store on a phone: the same figures as a table row, stacked. */
function OverviewCard({ row: r }: { row: StoreOverview }) {
  return (
    <li className="rounded-lg border bg-card p-3 shadow-sm" data-testid="overview-card">
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <Link
            to="/stores/$storeId"
            params={{ storeId: r.id }}
            className="rounded font-semibold text-primary hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          >
            {r.name}
          </Link>
          <span className="block truncate text-xs text-muted-foreground">{tzLabel(r.timezone)}</span>
        </div>
        <Cameras row={r} />
      </div>
      <dl className="mt-2 grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-xs text-muted-foreground">IN today</dt>
          <dd className="font-semibold tabular-nums">{number.format(r.in_today)}</dd>
        </div>
        <div>
          <dt className="text-xs text-muted-foreground">In now</dt>
          <dd className="tabular-nums">{number.format(r.occupancy)}</dd>
        </div>
        <div>
          <dt className="text-xs text-muted-foreground">vs last week</dt>
          <dd className="tabular-nums"><Change row={r} /></dd>
        </div>
      </dl>
      <div className="mt-2">
        <Sparkline values={r.daily_in} name={r.name} width={320} />
      </div>
    </li>
  );
}

function OverviewRow({ row: r }: { row: StoreOverview }) {
  return (
    <tr className="border-b last:border-0 hover:bg-accent/50" data-testid="overview-row">
      <th scope="row" className="px-3 py-2 text-left font-normal">
        <Link
          to="/stores/$storeId"
          params={{ storeId: r.id }}
          className="rounded font-semibold text-primary hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
        >
          {r.name}
        </Link>
        <span className="block text-xs text-muted-foreground">{tzLabel(r.timezone)}</span>
      </th>
      <td className="px-3 py-2 text-right tabular-nums font-semibold" data-testid="overview-in">{number.format(r.in_today)}</td>
      <td className="px-3 py-2 text-right tabular-nums" data-testid="overview-occupancy">{number.format(r.occupancy)}</td>
      <td className="px-3 py-2 text-right tabular-nums" data-testid="overview-change">
        <Change row={r} />
        <span className="block text-xs text-muted-foreground">{number.format(r.last_week_in)} then</span>
      </td>
      <td className="px-3 py-2">
        <Sparkline values={r.daily_in} name={r.name} />
      </td>
      <td className="px-3 py-2" data-testid="overview-cameras">
        <Cameras row={r} />
      </td>
    </tr>
  );
}

function Sparkline({ values, name, width = 96 }: { values: number[]; name: string; width?: number }) {
  const height = 24;
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${name}, IN per day over the last ${values.length} days, today so far last: ${values.map((v) => number.format(v)).join(", ")}`}
      className="max-w-full overflow-visible"
    >
      <polyline
        points={sparklinePoints(values, width, height)}
        fill="none"
        stroke="var(--color-chart-in)"
        strokeWidth={1.5}
        strokeLinejoin="round"
      />
    </svg>
  );
}
