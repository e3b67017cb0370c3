import { Link, Outlet } from "@tanstack/react-router";
import { NotFound } from "@/components/not-found";
import { ErrorNote, Spinner } from "@/components/states";
import { tzLabel } from "@/lib/format";
import { useMe } from "@/lib/auth";
import { isClerk } from "@/lib/plates";
import { cn } from "@/lib/utils";
import { useCurrentSite } from "@/features/plates/site";

const tab =
  "rounded-md px-2.5 py-1.5 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring";
const tabActive = "bg-accent text-foreground";

/** /plates/$storeId/*: the site's name, its retention, and the section's pages. */
export function PlateSiteLayout() {
  const { storeId, sites, site } = useCurrentSite();
  const me = useMe();
  if (sites.isPending) return <Spinner />;
  if (sites.isError) return <ErrorNote error={sites.error} />;
  if (!site) return <NotFound what="site" section="plates" />;
  return (
    <div className="flex flex-col gap-5">
      <div className="flex flex-col gap-1 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <p className="text-sm text-muted-foreground">
            <Link to="/plates" className="hover:underline">Plates</Link>
            {sites.data.length > 1 ? " /" : ""}
          </p>
          <h1 className="text-2xl font-bold" data-testid="plate-site-name">{site.name}</h1>
        </div>
        <p className="text-sm text-muted-foreground">
          {tzLabel(site.timezone)} · plates kept {site.retention_days} {site.retention_days === 1 ? "day" : "days"}
        </p>
      </div>
      <nav aria-label="Plates" className="flex flex-wrap gap-1 border-b pb-2">
        <Link to="/plates/$storeId/search" params={{ storeId }} className={cn(tab)} activeProps={{ className: tabActive }}>
          Search
        </Link>
        <Link to="/plates/$storeId/uploads" params={{ storeId }} className={cn(tab)} activeProps={{ className: tabActive }}>
          Uploads
        </Link>
        <Link to="/plates/$storeId/watchlist" params={{ storeId }} className={cn(tab)} activeProps={{ className: tabActive }}>
          Watchlist
        </Link>
        <Link to="/plates/$storeId/requests" params={{ storeId }} className={cn(tab, "whitespace-nowrap")} activeProps={{ className: tabActive }}>
          Data requests
        </Link>
        {me.data && !isClerk(me.data) && (
          <Link to="/plates/$storeId/audit" params={{ storeId }} className={cn(tab, "whitespace-nowrap")} activeProps={{ className: tabActive }}>
            Access log
          </Link>
        )}
      </nav>
      <Outlet />
    </div>
  );
}
