import { Link, Navigate } from "@tanstack/react-router";
import { Car, ChevronRight } from "lucide-react";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { tzLabel } from "@/lib/format";
import { usePlateSites } from "@/lib/plates";
import { usePageTitle } from "@/lib/title";

/** /plates: straight to the only site's search, or a choice of sites. */
export function PlatesHomePage() {
  const sites = usePlateSites();
  usePageTitle("Plates");
  if (sites.isPending) return <Spinner />;
  if (sites.isError) return <ErrorNote error={sites.error} />;
  if (sites.data.length === 1) {
    return <Navigate to="/plates/$storeId/search" params={{ storeId: sites.data[0].id }} replace />;
  }
  return (
    <div>
      <h1 className="text-2xl font-bold">Plates</h1>
      {sites.data.length > 0 && (
        <p className="mt-1 text-sm text-muted-foreground">Pick a site to search its licence plates.</p>
      )}
      <div className="mt-5">
        {sites.data.length === 0 ? (
          <EmptyState title="No plate reading here yet" icon={<Car />} testId="no-plate-sites">
            Ask your Metrica administrator to turn on plate reading (ANPR) for a site and give
            your account access to it.
          </EmptyState>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Plate sites">
            {sites.data.map((s) => (
              <li key={s.id}>
                <Link
                  to="/plates/$storeId/search"
                  params={{ storeId: s.id }}
                  className="flex items-center gap-3 rounded-lg border bg-card p-4 shadow-sm transition-colors hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                >
                  <Car className="size-5 shrink-0 text-primary" aria-hidden />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate font-semibold">{s.name}</span>
                    <span className="block truncate text-xs text-muted-foreground">{tzLabel(s.timezone)}</span>
                  </span>
                  <ChevronRight className="size-4 text-muted-foreground" aria-hidden />
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
