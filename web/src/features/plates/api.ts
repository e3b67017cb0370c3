/**
 * The Plates API (docs/plates-api.md) over the generated SDK, one function per route the
 * pages use. Uploads go through XMLHttpRequest, the one browser API that reports upload
 * progress.
 */
import {
  platesAlerts,
  platesAudit,
  platesCancelJob,
  platesErase,
  platesJobs,
  platesRetryJob,
  platesSearch,
  platesUnwatch,
  platesWatch,
  platesWatchlist,
} from "@/client/sdk.gen";
import type {
  AlertPublic,
  AuditEntryPublic,
  AuditPublic,
  ErasurePublic,
  JobPublic,
  PlateReadPublic,
  PlateSearchPublic,
  WatchCreate,
  WatchPublic,
} from "@/client/types.gen";
import { API_URL, ApiError, detailMessage, unwrap } from "@/lib/api";
import { uploadErrorMessage } from "@/features/plates/format";
import type { SearchQuery } from "@/features/plates/params";
import { toQueryString } from "@/features/plates/params";
import type { AuditQuery } from "@/features/plates/audit-params";

export type Job = JobPublic;
export type PlateRead = PlateReadPublic;
export type PlateResults = PlateSearchPublic;
export type WatchEntry = WatchPublic;
export type WatchEntryCreate = WatchCreate;
export type PlateAlert = AlertPublic;
export type AuditEntry = AuditEntryPublic;
export type AuditPage = AuditPublic;
export type Erasure = ErasurePublic;

export const plateKeys = {
  jobs: (storeId: string) => ["plates", "jobs", storeId] as const,
  search: (storeId: string, query: object) => ["plates", "search", storeId, query] as const,
  watchlist: (storeId: string) => ["plates", "watchlist", storeId] as const,
  alerts: (storeId: string) => ["plates", "alerts", storeId] as const,
  audit: (storeId: string, query: object) => ["plates", "audit", storeId, query] as const,
};

export async function listJobs(storeId: string): Promise<Job[]> {
  return (await unwrap(platesJobs({ query: { store_id: storeId } }))).jobs;
}

export function cancelJob(jobId: string): Promise<Job> {
  return unwrap(platesCancelJob({ path: { job_id: jobId } }));
}

export function retryJob(jobId: string): Promise<Job> {
  return unwrap(platesRetryJob({ path: { job_id: jobId } }));
}

export function searchPlates(query: SearchQuery & { limit: number; offset: number }): Promise<PlateResults> {
  return unwrap(platesSearch({ query }));
}

export async function listWatchlist(storeId: string): Promise<WatchEntry[]> {
  return (await unwrap(platesWatchlist({ query: { store_id: storeId } }))).entries;
}

export function addWatchEntry(entry: WatchEntryCreate): Promise<WatchEntry> {
  return unwrap(platesWatch({ body: entry }));
}

export async function removeWatchEntry(id: string): Promise<void> {
  await unwrap(platesUnwatch({ path: { watch_id: id } }));
}

export async function listAlerts(storeId: string): Promise<PlateAlert[]> {
  return (await unwrap(platesAlerts({ query: { store_id: storeId } }))).alerts;
}

export function auditLog(query: AuditQuery): Promise<AuditPage> {
  return unwrap(platesAudit({ query }));
}

/** Erase every read and crop of a plate at the site (a data-subject request; audited). */
export function erasePlate(storeId: string, plate: string): Promise<Erasure> {
  return unwrap(platesErase({ query: { store_id: storeId, plate } }));
}

/** Where the export link points: a zip of every read of the plate with its crops (audited). */
export function exportPlateUrl(storeId: string, plate: string): string {
  return `${API_URL}/plates/export?${toQueryString({ store_id: storeId, plate })}`;
}

export interface UploadHandle {
  /** Resolves with the queued job; rejects with an ApiError whose message is for people. */
  done: Promise<Job>;
  abort: () => void;
}

/**
 * POST /plates/uploads as multipart, reporting bytes sent. The browser streams the file
 * from disk; nothing is read into memory here.
 */
export function uploadFile(
  storeId: string,
  file: File,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Job>((resolve, reject) => {
    xhr.open("POST", `${API_URL}/plates/uploads?store_id=${encodeURIComponent(storeId)}`);
    xhr.withCredentials = true;
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        resolve(body as Job);
        return;
      }
      const detail = body ? detailMessage(body, xhr.status) : null;
      const known = detail && !detail.startsWith("Request failed (") ? detail : null;
      reject(new ApiError(xhr.status, uploadErrorMessage(xhr.status, known)));
    };
    xhr.onerror = () => reject(new ApiError(0, uploadErrorMessage(0, null)));
    xhr.onabort = () => reject(new ApiError(0, "Upload stopped."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
