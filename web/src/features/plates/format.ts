/** Formatting for the Plates pages: sizes, confidence, job state, upload errors. */

export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";

/** Still moving: the job list polls while any job is in one of these. */
export function isActive(status: string): boolean {
  return status === "queued" || status === "running";
}

export function canCancel(status: string): boolean {
  return isActive(status);
}

/** The API retries only failed or cancelled jobs. */
export function canRetry(status: string): boolean {
  return status === "failed" || status === "cancelled";
}

const units = ["bytes", "KB", "MB", "GB", "TB"];

/** "812 bytes", "1.5 MB", "2 GB" (1 KB = 1024 bytes, as file managers show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} ${value === 1 ? "byte" : "bytes"}`;
  const text = value < 10 && value % 1 !== 0 ? value.toFixed(1) : Math.round(value).toString();
  return `${text} ${units[unit]}`;
}

/** 0.934 → "93 %"; outside 0..1 or not a number → "—". */
export function formatConfidence(confidence: number | null | undefined): string {
  if (confidence === null || confidence === undefined || !Number.isFinite(confidence)) return "—";
  if (confidence < 0 || confidence > 1) return "—";
  return `${Math.round(confidence * 100)} %`;
}

/** A job's progress as a fraction 0..1, or null when the total is not known yet. */
export function progressFraction(done: number, total: number): number | null {
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return null;
  return Math.min(1, Math.max(0, done / total));
}

/** "120 / 900 frames", "1 / 1 image", "waiting". */
export function progressText(kind: string, done: number, total: number): string {
  if (total <= 0) return kind === "video" ? "counting frames" : "waiting";
  const noun = kind === "video" ? "frame" : "image";
  return `${done} / ${total} ${noun}${total === 1 ? "" : "s"}`;
}

export function statusLabel(status: string): string {
  return (
    { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" }[status] ??
    status
  );
}

/**
 * What to tell someone whose upload the server refused: 413 and 415 in plain words (with
 * the server's own detail when it gives one), anything else as the server says it.
 */
export function uploadErrorMessage(status: number, detail: string | null): string {
  if (status === 413) {
    return `The file is too large to upload${detail ? `: ${detail}` : "."}`;
  }
  if (status === 415) {
    return `This kind of file cannot be read: ${detail ?? "upload a video or a photo."}`;
  }
  if (status === 0) return "The upload failed: the server could not be reached.";
  return detail ?? `The upload failed (${status}).`;
}

/** Accepted by the file picker (the server decides; this only filters the dialog). */
export const UPLOAD_ACCEPT = "video/*,image/*";
