import { useParams } from "@tanstack/react-router";
import { usePlateSites } from "@/lib/plates";

/** The plate site of the current /plates/$storeId page (from the cached GET /plates/sites). */
export function useCurrentSite() {
  const { storeId } = useParams({ from: "/authed/plates/$storeId" });
  const sites = usePlateSites();
  return { storeId, sites, site: sites.data?.find((s) => s.id === storeId) };
}
