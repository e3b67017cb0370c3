/**
 * Access-log filters: the page's URL search params and the GET /plates/audit query they
 * become. Days are calendar days in the site's timezone (as in plate search).
 */
import { startOfDayInZone, validDay } from "@/features/plates/params";

export const AUDIT_ACTIONS = ["search", "view", "export", "erase", "watch"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  search: "Search",
  view: "Crop viewed",
  export: "Export",
  erase: "Erasure",
  watch: "Watchlist change",
};

export interface AuditSearch {
  action?: AuditAction;
  /** Part of the user's email. */
  who?: string;
  /** First day, YYYY-MM-DD in the site's timezone. */
  from?: string;
  /** Last day (inclusive). */
  to?: string;
  /** 0-based page of AUDIT_PAGE_SIZE entries. */
  page?: number;
}

export const AUDIT_PAGE_SIZE = 100;
export const MAX_WHO_CHARS = 320;
/** The router's validateSearch: anything odd in the URL is dropped. */
export function parseAuditSearch(search: Record<string, unknown>): AuditSearch {
  const action = AUDIT_ACTIONS.find((a) => a === search.action);
  const rawWho = typeof search.who === "string" ? search.who.replace(/[\u0000-\u001f\u007f]/g, "").trim() : "";
  const page = Number(search.page);
  return {
    action,
    who: rawWho ? rawWho.slice(0, MAX_WHO_CHARS) : undefined,
    from: validDay(search.from),
    to: validDay(search.to),
    page: Number.isSafeInteger(page) && page > 0 && page < 1000 ? page : undefined,
  };
}

export interface AuditQuery {
  store_id: string;
  action?: AuditAction;
  who?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export function auditQuery(storeId: string, search: AuditSearch, timezone: string): AuditQuery {
  const query: AuditQuery = {
    store_id: storeId,
    limit: AUDIT_PAGE_SIZE,
    offset: (search.page ?? 0) * AUDIT_PAGE_SIZE,
  };
  if (search.action) query.action = search.action;
  if (search.who) query.who = search.who;
  if (search.from) query.from = startOfDayInZone(search.from, timezone);
  if (search.to) query.to = startOfDayInZone(search.to, timezone, 1);
  return query;
}

/** A plate as the server keeps it: upper-case letters and digits only, at most 16. */
export function normalizePlate(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 16);
}
