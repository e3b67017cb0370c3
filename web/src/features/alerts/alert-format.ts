import type { AlertEpisodePublic } from "@/client/types.gen";

/** The API's caps, so the form says what it will refuse before it sends. */
export const MAX_RECIPIENTS = 10;
export const MAX_CAPACITY = 100_000;

const EMAIL = /^[^@\s,;<>"'()\\]+@[^@\s,;<>"'()\\]+\.[^@\s,;<>"'()\\]+$/;

/** Recipients typed one per line (or separated by commas): the valid ones and the rest. */
export function parseRecipients(text: string): { emails: string[]; invalid: string[] } {
  const parts = text
    .split(/[\n,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const emails: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (!EMAIL.test(p) || p.length > 254) invalid.push(p);
    else if (!seen.has(p.toLowerCase())) {
      seen.add(p.toLowerCase());
      emails.push(p);
    }
  }
  return { emails, invalid };
}

/** A capacity the API takes (1..100000 people), or null. */
export function parseCapacity(text: string): number | null {
  if (!/^\d{1,6}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 && n <= MAX_CAPACITY ? n : null;
}

/** An http(s) URL, or null; empty text is "no webhook" (""). */
export function parseWebhook(text: string): string | null {
  const t = text.trim();
  if (!t) return "";
  if (t.length > 2000) return null;
  try {
    const url = new URL(t);
    return url.protocol === "http:" || url.protocol === "https:" ? t : null;
  } catch {
    return null;
  }
}

export const KIND_LABELS: Record<AlertEpisodePublic["kind"], string> = {
  capacity: "Over capacity",
  camera_down: "Camera down",
  low_count: "Count far below usual",
};

/** "email ✓, webhook ✗" for one edge; "–" when nothing was asked for. */
export function deliveryText(email: boolean | null | undefined, webhook: boolean | null | undefined): string {
  const parts: string[] = [];
  const mark = (ok: boolean) => (ok ? "sent" : "failed");
  if (email !== null && email !== undefined) parts.push(`email ${mark(email)}`);
  if (webhook !== null && webhook !== undefined) parts.push(`webhook ${mark(webhook)}`);
  return parts.length ? parts.join(", ") : "–";
}
