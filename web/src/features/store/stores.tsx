import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ChevronRight, Store } from "lucide-react";
import { listStores } from "@/client/sdk.gen";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { unwrap } from "@/lib/api";
import { useMe } from "@/lib/auth";
import { tzLabel } from "@/lib/format";

export const storesKey = ["stores"] as const;

export function useStores() {
  return useQuery({ queryKey: storesKey, queryFn: () => unwrap(listStores()) });
}

export function StoresPage() {
  const stores = useStores();
  const me = useMe();
  return (
    <div>
      <h1 className="text-2xl font-bold">Your stores</h1>
      <p className="mt-1 text-sm text-muted-foreground">Pick a store to see live occupancy and footfall.</p>
      <div className="mt-5">
        {stores.isPending ? (
          <Spinner />
        ) : stores.isError ? (
          <ErrorNote error={stores.error} />
        ) : stores.data.data.length === 0 ? (
          <EmptyState title="No stores yet" icon={<Store />} testId="no-stores">
            {me.data?.role === "superadmin" ? (
              <>
                Create one under <Link className="text-primary underline" to="/admin/stores">Admin → Stores</Link>.
              </>
            ) : (
              "Ask your Metrica administrator to give your account access to a store."
            )}
          </EmptyState>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Stores">
            {stores.data.data.map((s) => (
              <li key={s.id}>
                <Link
                  to="/stores/$storeId"
                  params={{ storeId: s.id }}
                  className="flex items-center gap-3 rounded-lg border bg-card p-4 shadow-sm transition-colors hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                >
                  <Store className="size-5 shrink-0 text-primary" aria-hidden />
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
