import { useMutation, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { KeyRound, Server } from "lucide-react";
import { useState } from "react";
import { adminIssueEnrolmentToken, adminListBoxes } from "@/client/sdk.gen";
import type { BoxPublic, EnrolmentTokenPublic } from "@/client/types.gen";
import { CopyField } from "@/components/copy-field";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { useAdminStores } from "@/features/admin/admin-stores";
import { driftLabel, enrolCommand, percent } from "@/features/fleet/fleet-format";
import { apiOrigin, unwrap } from "@/lib/api";
import { dateTimeInZone } from "@/lib/format";

export function OnlineBadge({ box }: { box: Pick<BoxPublic, "online" | "revoked"> }) {
  if (box.revoked) return <Badge variant="offline">revoked</Badge>;
  return box.online ? <Badge variant="live">online</Badge> : <Badge variant="stale">offline</Badge>;
}

export function FleetPage() {
  const stores = useAdminStores();
  const [storeId, setStoreId] = useState<string>("");
  const boxes = useQuery({
    queryKey: ["admin", "fleet", "boxes", storeId || "all"],
    queryFn: () => unwrap(adminListBoxes({ query: storeId ? { store_id: storeId } : {} })),
    refetchInterval: 10_000,
  });
  const [issued, setIssued] = useState<EnrolmentTokenPublic | null>(null);
  const issue = useMutation({
    mutationFn: () => unwrap(adminIssueEnrolmentToken({ body: { store_id: storeId } })),
    onSuccess: setIssued,
  });
  const storeOf = new Map((stores.data?.data ?? []).map((s) => [s.id, s]));
  const when = (iso: string | null, sid: string) =>
    iso ? dateTimeInZone(iso, storeOf.get(sid)?.timezone ?? "UTC") : "never";

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h1 className="text-2xl font-bold">Fleet</h1>
          <p className="text-sm text-muted-foreground">
            Edge boxes by store: online while they sent a heartbeat in the last 2 minutes.
            Refreshes every 10 s.
          </p>
        </div>
        <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="fleet-store">Store</Label>
            <select
              id="fleet-store"
              className="h-9 rounded-md border bg-card px-2 text-sm"
              value={storeId}
              onChange={(e) => setStoreId(e.target.value)}
            >
              <option value="">All stores</option>
              {(stores.data?.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <Button disabled={!storeId || issue.isPending} onClick={() => issue.mutate()}>
            <KeyRound aria-hidden />
            Enrol a box
          </Button>
        </div>
      </div>
      {!storeId && <p className="text-xs text-muted-foreground">Choose a store to enrol a box in it.</p>}
      <ErrorNote error={issue.error} />
      {boxes.isPending ? (
        <Spinner />
      ) : boxes.isError ? (
        <ErrorNote error={boxes.error} />
      ) : boxes.data.data.length === 0 ? (
        <EmptyState title="No boxes yet" icon={<Server />}>
          Choose a store and enrol its first box.
        </EmptyState>
      ) : (
        <ul className="grid gap-3 md:grid-cols-2" aria-label="Boxes">
          {boxes.data.data.map((box) => (
            <li key={box.id} className="rounded-lg border bg-card p-4">
              <div className="flex items-center justify-between gap-2">
                <Link
                  to="/admin/fleet/boxes/$boxId"
                  params={{ boxId: box.id }}
                  className="truncate font-medium text-primary hover:underline"
                >
                  {box.hostname}
                </Link>
                <OnlineBadge box={box} />
              </div>
              <p className="text-sm text-muted-foreground">{storeOf.get(box.store_id)?.name ?? "…"}</p>
              <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-sm">
                <dt className="text-muted-foreground">Last seen</dt>
                <dd className="tabular-nums">{when(box.last_seen_at, box.store_id)}</dd>
                <dt className="text-muted-foreground">Version</dt>
                <dd>
                  {box.version || "—"}{" "}
                  <span className={box.drift === "current" ? "text-muted-foreground" : "text-destructive"}>
                    ({driftLabel(box)})
                  </span>
                </dd>
                <dt className="text-muted-foreground">Cameras</dt>
                <dd className="tabular-nums">{box.camera_ids.length}</dd>
                <dt className="text-muted-foreground">CPU · memory · disk</dt>
                <dd className="tabular-nums">
                  {percent(box.cpu_percent)} · {percent(box.memory_percent)} · {percent(box.disk_percent)}
                </dd>
                <dt className="text-muted-foreground">Outbox</dt>
                <dd className="tabular-nums">{box.outbox_depth} events</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      <TokenDialog issued={issued} onClose={() => setIssued(null)} />
    </div>
  );
}

/** A fresh enrolment token: the only time it is visible. */
function TokenDialog({ issued, onClose }: { issued: EnrolmentTokenPublic | null; onClose: () => void }) {
  return (
    <Dialog open={issued !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent onInteractOutside={(e) => e.preventDefault()}>
        <DialogHeader>
          <DialogTitle>Enrolment token issued</DialogTitle>
          <DialogDescription>
            Run this once on the new box. The token works once and expires at{" "}
            {issued ? new Date(issued.expires_at).toLocaleString() : ""}; it is shown only now.
          </DialogDescription>
        </DialogHeader>
        {issued && (
          <div className="flex flex-col gap-4">
            <CopyField label="Token" value={issued.token} testId="enrolment-token" />
            <CopyField
              label="Command on the box"
              value={enrolCommand(apiOrigin(), issued.token)}
              testId="enrol-command"
            />
            <p className="text-xs text-muted-foreground">
              Then start it with <code>metrica edge run</code>; assign cameras on the box's page.
            </p>
          </div>
        )}
        <DialogFooter>
          <Button onClick={onClose}>I have copied it</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
