/**
 * The one place that configures the generated client (src/client, from the backend's
 * OpenAPI document) and turns its `{data, error, response}` results into values or
 * `ApiError`s that carry the HTTP status.
 */
import { client } from "@/client/client.gen";

/** Same origin by default; `VITE_API_URL` when the app is hosted apart from the API. */
export const API_URL: string = (import.meta.env.VITE_API_URL as string | undefined) ?? "";

client.setConfig({ baseUrl: API_URL, credentials: "include" });

/** The origin the worker should talk to (for the command line shown with a new key). */
export function apiOrigin(): string {
  return API_URL || window.location.origin;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The body fields a 422 names (`password`, `token`…), so a page can tell them apart. */
    readonly fields: readonly string[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The fields named by FastAPI's 422 `{detail: [{loc: ["body", field, ...]}]}`. */
export function detailFields(body: unknown): string[] {
  const detail = (body as { detail?: unknown } | null | undefined)?.detail;
  if (!Array.isArray(detail)) return [];
  return detail
    .map((d: { loc?: (string | number)[] }) => (d.loc ?? []).filter((p) => p !== "body").join("."))
    .filter((field) => field !== "");
}

/** FastAPI's `{detail}` as one readable line (422s name the field). */
export function detailMessage(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null | undefined)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: (string | number)[]; msg?: string }) => {
        const field = (d.loc ?? []).filter((p) => p !== "body").join(".");
        return field ? `${field}: ${d.msg}` : (d.msg ?? "invalid");
      })
      .join("; ");
  }
  return `Request failed (${status})`;
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/** Await a generated SDK call and return its data, or throw an `ApiError`. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (err) {
    throw new ApiError(0, err instanceof Error ? err.message : "Network error");
  }
  const status = result.response?.status ?? 0;
  if (result.error !== undefined || !result.response?.ok) {
    throw new ApiError(status, detailMessage(result.error, status), detailFields(result.error));
  }
  return result.data as T;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}

export function errorText(err: unknown): string {
  if (!err) return "";
  return err instanceof Error ? err.message : String(err);
}
