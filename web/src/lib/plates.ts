/**
 * Who may use the Plates (ANPR) section: the sites GET /plates/sites lists for the caller.
 * The header shows the section only when there is at least one; clerks see nothing else.
 */
import { useQuery } from "@tanstack/react-query";
import { client } from "@/client/client.gen";
import { ApiError, unwrap } from "@/lib/api";

export interface PlateSite {
  id: string;
  name: string;
  timezone: string;
  retention_days: number;
}

export const plateSitesKey = ["plates", "sites"] as const;

/** The caller's plate sites; none when the server has no plate routes or denies them (404). */
export async function fetchPlateSites(): Promise<PlateSite[]> {
  try {
    const body = await unwrap(client.get<{ 200: { sites: PlateSite[] } }>({ url: "/plates/sites" }));
    return body.sites;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return [];
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
