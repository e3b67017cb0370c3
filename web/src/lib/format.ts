/**
 * Formatting for the owner's views. Every time a user sees is in the store's timezone;
 * dates and numbers are written the user's way (the browser's locale), so the date box
 * (which the browser writes in that locale) and the titles beside it agree.
 */

/** The user's locale: the browser's first choice (undefined lets Intl pick its default). */
export const LOCALE: string | undefined =
  typeof navigator !== "undefined" ? (navigator.languages?.[0] ?? navigator.language) : undefined;

export type Period = "day" | "week" | "month";
export const PERIODS: Period[] = ["day", "week", "month"];

export function tzLabel(timezone: string): string {
  return `${timezone} time`;
}

/** "HH:MM" of an instant in `timezone` (24-hour clock). */
export function timeInZone(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    timeZone: timezone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}

/** "14 May, 10:42" of an instant in `timezone`; the time alone if it is today there. */
export function dateTimeInZone(iso: string, timezone: string, now: Date = new Date()): string {
  const day = dateInZone(new Date(iso), timezone);
  if (day === dateInZone(now, timezone)) return timeInZone(iso, timezone);
  const date = new Intl.DateTimeFormat(LOCALE, {
    timeZone: timezone,
    day: "numeric",
    month: "short",
  }).format(new Date(iso));
  return `${date}, ${timeInZone(iso, timezone)}`;
}

/** The calendar date (YYYY-MM-DD) of `instant` in `timezone`. */
export function dateInZone(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function parseDate(date: string): Date {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function fmtDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Move a YYYY-MM-DD date by `delta` periods (months clamp to the month's last day). */
export function shiftDate(date: string, period: Period, delta: number): string {
  const d = parseDate(date);
  if (period === "day") d.setUTCDate(d.getUTCDate() + delta);
  else if (period === "week") d.setUTCDate(d.getUTCDate() + 7 * delta);
  else {
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + delta);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
  }
  return fmtDate(d);
}

/** First day (YYYY-MM-DD) of the day / week (Monday) / month that contains `date`. */
export function periodStart(period: Period, date: string): string {
  const d = parseDate(date);
  if (period === "week") d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  else if (period === "month") d.setUTCDate(1);
  return fmtDate(d);
}

const dayFmt = new Intl.DateTimeFormat(LOCALE, {
  timeZone: "UTC",
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
});
const rangeFmt = new Intl.DateTimeFormat(LOCALE, {
  timeZone: "UTC",
  day: "numeric",
  month: "short",
  year: "numeric",
});
const monthFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", month: "long", year: "numeric" });

/**
 * A human title for the period from the dashboard's local `start` and (exclusive) `end`,
 * e.g. "Tue, 14 May 2024", "13–19 May 2024", "May 2024" (en-GB; other locales their way).
 */
export function periodTitle(period: Period, start: string, end: string): string {
  const s = parseDate(start.slice(0, 10));
  if (period === "day") return dayFmt.format(s);
  if (period === "month") return monthFmt.format(s);
  const last = parseDate(end.slice(0, 10));
  // `end` is exclusive when it is midnight of the next day.
  if (end.slice(11, 16) === "00:00" || end.length <= 10) last.setUTCDate(last.getUTCDate() - 1);
  return rangeFmt.formatRange(s, last);
}

/**
 * What the previous period is called in the % change caption. `sameTime`: the current
 * period is in progress and the previous one is counted only up to the same local time.
 */
export function previousLabel(period: Period, sameTime = false): string {
  if (sameTime) {
    return { day: "yesterday at this time", week: "this time last week", month: "this time last month" }[period];
  }
  return { day: "the day before", week: "the week before", month: "the month before" }[period];
}

/** "yesterday", "last week", "last month": the period before the current one. */
export function previousName(period: Period): string {
  return { day: "yesterday", week: "last week", month: "last month" }[period];
}

/** Signed percentage with one decimal when small: "+12%", "−3.5%", "no previous data". */
export function formatPct(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "—";
  const abs = Math.abs(change);
  const text = abs < 10 && abs % 1 !== 0 ? abs.toFixed(1) : Math.round(abs).toString();
  if (text === "0" || text === "0.0") return "±0%";
  return `${change > 0 ? "+" : "−"}${text}%`;
}

/** Average dwell in words: "45 s", "12 min", "1 h 05 min"; "—" when unknown. */
export function formatDwell(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return `${h} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

export function hourRange(hour: number): string {
  return `${hourLabel(hour)}–${hourLabel((hour + 1) % 24)}`;
}

export const WEEKDAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export const number = new Intl.NumberFormat(LOCALE);

/** A local calendar date (YYYY-MM-DD) written the user's way, e.g. "Mon, 30 Nov 2026". */
export function dateLabel(date: string): string {
  return dayFmt.format(parseDate(date));
}

export interface CameraHealth {
  status: "live" | "stale" | "offline" | string;
  last_heartbeat_at?: string | null;
  last_event_at?: string | null;
}

/** "counting", "stale since 10:42", "offline since 14 May, 10:42", "never connected". */
export function freshness(camera: CameraHealth, timezone: string, now: Date = new Date()): string {
  if (camera.status === "live") return "counting";
  const last = camera.last_heartbeat_at ?? camera.last_event_at;
  if (!last) return "never connected";
  return `${camera.status} since ${dateTimeInZone(last, timezone, now)}`;
}

const tickFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", weekday: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" });

/** "Mon 13" for a chart tick, from a local ISO start ("2024-05-13T00:00:00+02:00"). */
export function dayTick(localStart: string): string {
  return tickFmt.format(parseDate(localStart.slice(0, 10)));
}

export function dayFull(localStart: string): string {
  return fullFmt.format(parseDate(localStart.slice(0, 10)));
}

/** "on this day", "in this week" … for empty-state sentences. */
export function inThePeriod(period: Period): string {
  return period === "day" ? "on this day" : `in this ${period}`;
}
