import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { Camera } from "lucide-react";
import { adminListCameras } from "@/client/sdk.gen";
import { StatusBadge } from "@/features/admin/camera-status";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { unwrap } from "@/lib/api";
import { dateTimeInZone } from "@/lib/format";
import { useAdminStores } from "@/features/admin/admin-stores";

export function AdminCamerasPage() {
  const cameras = useQuery({
    queryKey: ["admin", "cameras", "all"],
    queryFn: () => unwrap(adminListCameras()),
    refetchInterval: 10_000,
  });
  const stores = useAdminStores();
  const storeOf = new Map((stores.data?.data ?? []).map((s) => [s.id, s]));
  const when = (iso: string | null, storeId: string) =>
    iso ? dateTimeInZone(iso, storeOf.get(storeId)?.timezone ?? "UTC") : "never";

  return (
    <div className="flex flex-col gap-4">
      <div>
        <h1 className="text-2xl font-bold">Camera health</h1>
        <p className="text-sm text-muted-foreground">
          Live, stale or offline by the time since each camera's last heartbeat. Times in each
          store's own timezone; refreshes every 10 s.
        </p>
      </div>
      {cameras.isPending ? (
        <Spinner />
      ) : cameras.isError ? (
        <ErrorNote error={cameras.error} />
      ) : cameras.data.data.length === 0 ? (
        <EmptyState title="No cameras yet" icon={<Camera />}>
          Add cameras from a store's page.
        </EmptyState>
      ) : (
        <>
        <ul className="flex flex-col gap-2 sm:hidden" aria-label="Cameras">
          {cameras.data.data.map((c) => (
            <li key={c.id} className="rounded-lg border bg-card p-3">
              <div className="flex items-center justify-between gap-2">
                <Link to="/admin/cameras/$cameraId" params={{ cameraId: c.id }} className="font-medium text-primary hover:underline">
                  {c.name}
                </Link>
                <StatusBadge status={c.status} />
              </div>
              <p className="text-sm text-muted-foreground">{storeOf.get(c.store_id)?.name ?? "…"}</p>
              <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 text-xs">
                <dt className="text-muted-foreground">Heartbeat</dt>
                <dd className="tabular-nums">{when(c.last_heartbeat_at, c.store_id)}</dd>
                <dt className="text-muted-foreground">fps</dt>
                <dd className="tabular-nums">{c.fps == null ? "—" : c.fps.toFixed(1)}</dd>
                <dt className="text-muted-foreground">Snapshot</dt>
                <dd className="tabular-nums">{when(c.last_snapshot_at, c.store_id)}</dd>
                <dt className="text-muted-foreground">Key</dt>
                <dd>{c.has_key ? "issued" : "none"}</dd>
              </dl>
            </li>
          ))}
        </ul>
        <div className="relative hidden overflow-x-auto rounded-lg border bg-card sm:block">
          <table className="w-full min-w-[640px] text-sm">
            <thead className="bg-muted/60 text-left text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Camera</th>
                <th scope="col" className="px-3 py-2 font-medium">Store</th>
                <th scope="col" className="px-3 py-2 font-medium">Status</th>
                <th scope="col" className="px-3 py-2 font-medium">Last heartbeat</th>
                <th scope="col" className="px-3 py-2 text-right font-medium">fps</th>
                <th scope="col" className="px-3 py-2 font-medium">Last snapshot</th>
                <th scope="col" className="px-3 py-2 font-medium">Key</th>
              </tr>
            </thead>
            <tbody className="divide-y">
              {cameras.data.data.map((c) => (
                <tr key={c.id}>
                  <td className="px-3 py-2">
                    <Link to="/admin/cameras/$cameraId" params={{ cameraId: c.id }} className="font-medium text-primary hover:underline">
                      {c.name}
                    </Link>
                  </td>
                  <td className="px-3 py-2">{storeOf.get(c.store_id)?.name ?? "…"}</td>
                  <td className="px-3 py-2"><StatusBadge status={c.status} /></td>
                  <td className="px-3 py-2 tabular-nums">{when(c.last_heartbeat_at, c.store_id)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{c.fps == null ? "—" : c.fps.toFixed(1)}</td>
                  <td className="px-3 py-2 tabular-nums">{when(c.last_snapshot_at, c.store_id)}</td>
                  <td className="px-3 py-2">{c.has_key ? "issued" : <span className="text-muted-foreground">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        </>
      )}
    </div>
  );
}
