/**
 * Who may use the Plates (ANPR) section: the sites GET /plates/sites lists for the caller.
 * The header shows the section only when there is at least one; clerks see nothing else.
 */
import { useQuery } from "@tanstack/react-query";
import { platesSites } from "@/client/sdk.gen";
import type { PlateSite } from "@/client/types.gen";
import { ApiError, unwrap } from "@/lib/api";

export type { PlateSite };

export const plateSitesKey = ["plates", "sites"] as const;

/** The caller's plate sites; none when the server answers 404 (no plate routes there). */
export async function fetchPlateSites(): Promise<PlateSite[]> {
  try {
    return (await unwrap(platesSites())).sites;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

export function usePlateSites(enabled = true) {
  return useQuery({ queryKey: plateSitesKey, queryFn: fetchPlateSites, staleTime: 60_000, enabled });
}

/** Clerks work only with plates: no footfall pages, no stores list. */
export function isClerk(user: { role: string } | null | undefined): boolean {
  return user?.role === "clerk";
}
