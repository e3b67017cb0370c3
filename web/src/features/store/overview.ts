import type { StoreOverview } from "@/client/types.gen";

export type OverviewSort = "name" | "in_today" | "occupancy" | "change_pct" | "cameras";

/** Cameras not counting right now (stale or offline): what an owner should look at first. */
export function camerasDown(row: StoreOverview): number {
  return row.cameras.stale + row.cameras.offline;
}

/**
 * Rows matching `query` (name or timezone, any case), sorted by `key`; numbers sort
 * biggest first by default, names A→Z; stores without a comparison go last either way.
 */
export function sortAndFilter(
  rows: StoreOverview[],
  query: string,
  key: OverviewSort,
  descending: boolean,
): StoreOverview[] {
  const q = query.trim().toLocaleLowerCase();
  const found = q
    ? rows.filter((r) => r.name.toLocaleLowerCase().includes(q) || r.timezone.toLocaleLowerCase().includes(q))
    : [...rows];
  const value = (r: StoreOverview): number | string | null =>
    key === "name" ? r.name.toLocaleLowerCase() : key === "cameras" ? camerasDown(r) : r[key];
  const sign = descending ? -1 : 1;
  return found.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? a.name.localeCompare(b.name) : va === null ? 1 : -1;
    if (va < vb) return -sign;
    if (va > vb) return sign;
    return a.name.localeCompare(b.name);
  });
}

/** SVG polyline points for a sparkline of `values` in a `width` × `height` box. */
export function sparklinePoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(" ");
}
