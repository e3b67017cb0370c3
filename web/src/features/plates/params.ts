/**
 * Plate search parameters: the page's URL search params, the API query they become, and
 * the CSV export link. Dates are calendar days in the site's timezone; the API gets
 * instants (from = start of the first day, to = start of the day after the last, exclusive).
 */

export interface PlateSearch {
  /** Plate text as typed; undefined until a search is made (each search is audited). */
  q?: string;
  fuzzy?: boolean;
  /** First day, YYYY-MM-DD in the site's timezone. */
  from?: string;
  /** Last day (inclusive), YYYY-MM-DD in the site's timezone. */
  to?: string;
  /** 0-based page of PAGE_SIZE results. */
  page?: number;
}

export const PAGE_SIZE = 50;
/** The longest plate text the box takes (plates are at most ~10 characters; room for spaces). */
export const MAX_PLATE_CHARS = 32;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `value` if it is a real calendar day YYYY-MM-DD (1970-9999), else undefined. */
export function validDay(value: unknown): string | undefined {
  if (typeof value !== "string" || !DAY.test(value)) return undefined;
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1970 && y <= 9999 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? value : undefined;
}

/** The router's validateSearch: anything odd in the URL is dropped, never passed on. */
export function parsePlateSearch(search: Record<string, unknown>): PlateSearch {
  const raw = search.q;
  const q =
    typeof raw === "string" || typeof raw === "number"
      ? String(raw).replace(/[\u0000-\u001f\u007f]/g, "").slice(0, MAX_PLATE_CHARS)
      : undefined;
  const page = Number(search.page);
  return {
    q,
    fuzzy: search.fuzzy === true || search.fuzzy === "true" ? true : undefined,
    from: validDay(search.from),
    to: validDay(search.to),
    page: Number.isSafeInteger(page) && page > 0 && page < 100_000 ? page : undefined,
  };
}

/** Milliseconds `timezone` is ahead of UTC at `instant`. */
export function zoneOffsetMs(instant: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant (ISO, UTC) of local midnight starting `day` (YYYY-MM-DD) in `timezone`. */
export function startOfDayInZone(day: string, timezone: string, addDays = 0): string {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d + addDays);
  // Two passes: the offset at the guess, then at the corrected instant (DST changes).
  let instant = wall - zoneOffsetMs(new Date(wall), timezone);
  instant = wall - zoneOffsetMs(new Date(instant), timezone);
  return new Date(instant).toISOString();
}

/** The API query of a search (GET /plates and GET /plates/export.csv share it). */
export interface SearchQuery {
  store_id: string;
  q?: string;
  fuzzy?: boolean;
  from?: string;
  to?: string;
}

export function searchQuery(storeId: string, search: PlateSearch, timezone: string): SearchQuery {
  const query: SearchQuery = { store_id: storeId };
  const q = search.q?.trim();
  if (q) query.q = q;
  if (search.fuzzy) query.fuzzy = true;
  if (search.from) query.from = startOfDayInZone(search.from, timezone);
  if (search.to) query.to = startOfDayInZone(search.to, timezone, 1);
  return query;
}

/** The same plus the page: `limit` and `offset`. */
export function pageQuery(
  storeId: string,
  search: PlateSearch,
  timezone: string,
): SearchQuery & { limit: number; offset: number } {
  const page = search.page ?? 0;
  return { ...searchQuery(storeId, search, timezone), limit: PAGE_SIZE, offset: page * PAGE_SIZE };
}

export function toQueryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(key, String(value));
  }
  return params.toString();
}

/** Where the "Export CSV" link points (a plain link: the browser downloads it with the cookie). */
export function exportCsvUrl(apiUrl: string, storeId: string, search: PlateSearch, timezone: string): string {
  return `${apiUrl}/plates/export.csv?${toQueryString(searchQuery(storeId, search, timezone))}`;
}

/** A crop URL as the API gives it: relative to the API (our own route) or absolute (presigned). */
export function resolveApiUrl(apiUrl: string, url: string): string {
  return /^https?:\/\//i.test(url) ? url : `${apiUrl}${url.startsWith("/") ? "" : "/"}${url}`;
}

/** "Results 51–100 of 230" bounds for a page. */
export function pageBounds(page: number, shown: number, total: number): { first: number; last: number; total: number } {
  const first = shown === 0 ? 0 : page * PAGE_SIZE + 1;
  return { first, last: shown === 0 ? 0 : page * PAGE_SIZE + shown, total };
}
