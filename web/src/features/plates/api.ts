/**
 * The Plates API (docs/plates-api.md): its shapes and one function per route, over the
 * generated client's configured instance (same base URL and cookie as every other call).
 * Uploads go through XMLHttpRequest, the one browser API that reports upload progress.
 */
import { client } from "@/client/client.gen";
import { API_URL, ApiError, detailMessage, unwrap } from "@/lib/api";
import { uploadErrorMessage } from "@/features/plates/format";

export type { PlateSite } from "@/lib/plates";

export interface Job {
  id: string;
  store_id: string;
  filename: string;
  kind: "video" | "image";
  status: "queued" | "running" | "done" | "failed" | "cancelled";
  progress_done: number;
  progress_total: number;
  plates_found: number;
  attempts: number;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface PlateRead {
  id: string;
  store_id: string;
  camera_id: string | null;
  job_id: string | null;
  text: string;
  normalized: string;
  confidence: number;
  vehicle_class: string | null;
  occurred_at: string;
  first_seen_s: number | null;
  last_seen_s: number | null;
  crop_url: string | null;
}

export interface PlateResults {
  results: PlateRead[];
  total: number;
}

export interface WatchEntry {
  id: string;
  store_id: string;
  plate: string;
  note: string | null;
  notify_email: string | null;
  notify_webhook: string | null;
  created_at: string;
}

export interface WatchEntryCreate {
  store_id: string;
  plate: string;
  note?: string;
  notify_email?: string;
  notify_webhook?: string;
}

export interface PlateAlert {
  id: string;
  watch_id: string;
  read_id: string;
  plate: string;
  occurred_at: string;
  delivered: { email: boolean | null; webhook: boolean | null };
}

const json = { "Content-Type": "application/json" };

export const plateKeys = {
  jobs: (storeId: string) => ["plates", "jobs", storeId] as const,
  search: (storeId: string, query: Record<string, string>) => ["plates", "search", storeId, query] as const,
  watchlist: (storeId: string) => ["plates", "watchlist", storeId] as const,
  alerts: (storeId: string) => ["plates", "alerts", storeId] as const,
};

export async function listJobs(storeId: string): Promise<Job[]> {
  const body = await unwrap(client.get<{ 200: { jobs: Job[] } }>({ url: "/plates/jobs", query: { store_id: storeId } }));
  return body.jobs;
}

export function cancelJob(jobId: string): Promise<Job> {
  return unwrap(client.post<{ 200: Job }>({ url: `/plates/jobs/${encodeURIComponent(jobId)}/cancel` }));
}

export function retryJob(jobId: string): Promise<Job> {
  return unwrap(client.post<{ 200: Job }>({ url: `/plates/jobs/${encodeURIComponent(jobId)}/retry` }));
}

export function searchPlates(query: Record<string, string>): Promise<PlateResults> {
  return unwrap(client.get<{ 200: PlateResults }>({ url: "/plates", query }));
}

export async function listWatchlist(storeId: string): Promise<WatchEntry[]> {
  const body = await unwrap(
    client.get<{ 200: { entries: WatchEntry[] } }>({ url: "/plates/watchlist", query: { store_id: storeId } }),
  );
  return body.entries;
}

export function addWatchEntry(entry: WatchEntryCreate): Promise<WatchEntry> {
  return unwrap(client.post<{ 201: WatchEntry }>({ url: "/plates/watchlist", body: entry, headers: json }));
}

export async function removeWatchEntry(id: string): Promise<void> {
  await unwrap(client.delete<{ 204: void }>({ url: `/plates/watchlist/${encodeURIComponent(id)}` }));
}

export async function listAlerts(storeId: string): Promise<PlateAlert[]> {
  const body = await unwrap(
    client.get<{ 200: { alerts: PlateAlert[] } }>({ url: "/plates/alerts", query: { store_id: storeId } }),
  );
  return body.alerts;
}

export interface UploadHandle {
  /** Resolves with the queued job; rejects with an ApiError whose message is for people. */
  done: Promise<Job>;
  abort: () => void;
}

/**
 * POST /plates/uploads as multipart, reporting bytes sent. The file streams from disk;
 * nothing is read into memory here.
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
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
