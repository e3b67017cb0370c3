import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { KeyRound, Trash2 } from "lucide-react";
import { useState } from "react";
import {
  adminDeleteCamera,
  adminGetCamera,
  adminGetStore,
  adminIssueKey,
  adminListLines,
  adminReplaceLines,
  adminRevokeKey,
} from "@/client/sdk.gen";
import type { LineSpec, WorkerKey } from "@/client/types.gen";
import { StatusBadge } from "@/features/admin/camera-status";
import { AuditCard } from "@/features/audits/audit-card";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { KeyDialog } from "@/features/admin/key-dialog";
import { LineEditor } from "@/features/admin/line-editor";
import { NotFound } from "@/components/not-found";
import { ErrorNote, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { API_URL, isNotFound, unwrap } from "@/lib/api";
import { dateTimeInZone, tzLabel } from "@/lib/format";

export function AdminCameraPage() {
  const { cameraId } = useParams({ from: "/authed/admin/cameras/$cameraId" });
  const queryClient = useQueryClient();
  const camera = useQuery({
    queryKey: ["admin", "camera", cameraId],
    queryFn: () => unwrap(adminGetCamera({ path: { camera_id: cameraId } })),
    refetchInterval: 15_000,
  });
  const store = useQuery({
    queryKey: ["admin", "store", camera.data?.store_id],
    queryFn: () => unwrap(adminGetStore({ path: { store_id: camera.data!.store_id } })),
    enabled: !!camera.data,
  });
  const lines = useQuery({
    queryKey: ["admin", "lines", cameraId],
    queryFn: () => unwrap(adminListLines({ path: { camera_id: cameraId } })),
  });
  const [issued, setIssued] = useState<WorkerKey | null>(null);
  const [confirming, setConfirming] = useState<"revoke" | "delete" | null>(null);
  const navigate = useNavigate();
  const refreshCamera = () => queryClient.invalidateQueries({ queryKey: ["admin", "camera", cameraId] });
  const issue = useMutation({
    mutationFn: () => unwrap(adminIssueKey({ path: { camera_id: cameraId } })),
    onSuccess: async (key) => {
      setIssued(key);
      await refreshCamera();
    },
  });
  const revoke = useMutation({
    mutationFn: () => unwrap(adminRevokeKey({ path: { camera_id: cameraId } })),
    onSuccess: refreshCamera,
  });
  const save = useMutation({
    mutationFn: (body: LineSpec[]) => unwrap(adminReplaceLines({ path: { camera_id: cameraId }, body })),
    onSuccess: (saved) => queryClient.setQueryData(["admin", "lines", cameraId], saved),
  });

  if (camera.isPending) return <Spinner />;
  if (isNotFound(camera.error)) return <NotFound what="camera" />;
  if (camera.isError) return <ErrorNote error={camera.error} />;
  const c = camera.data;
  const tz = store.data?.timezone ?? "UTC";
  const snapshotUrl = `${API_URL}/admin/cameras/${cameraId}/snapshot?t=${encodeURIComponent(c.last_snapshot_at ?? "none")}`;

  return (
    <div className="flex flex-col gap-5">
      <div>
        <p className="text-sm text-muted-foreground">
          <Link to="/admin/stores" className="hover:underline">Stores</Link> /{" "}
          {store.data && (
            <Link to="/admin/stores/$storeId" params={{ storeId: store.data.id }} className="hover:underline">
              {store.data.name}
            </Link>
          )}{" "}
          /
        </p>
        <div className="flex items-center gap-3">
          <h1 className="text-2xl font-bold">{c.name}</h1>
          <StatusBadge status={c.status} />
        </div>
      </div>
      {/* Phones: health and key, then the line editor, then delete. Desktop: the editor on
          the left, the three cards stacked on the right. */}
      <div className="grid gap-5 lg:grid-cols-[1fr_20rem] lg:grid-rows-[auto_1fr]">
        <Card className="order-2 lg:order-1 lg:row-span-2">
          <CardHeader>
            <CardTitle>Counting line</CardTitle>
            <CardDescription>
              Drag on the picture to draw a line, or drag its end points. People crossing towards the
              arrow count as IN.
            </CardDescription>
          </CardHeader>
          <CardContent>
            {lines.isPending ? (
              <Spinner />
            ) : lines.isError ? (
              <ErrorNote error={lines.error} />
            ) : (
              <LineEditor
                key={cameraId}
                initial={lines.data}
                snapshotUrl={c.last_snapshot_at ? snapshotUrl : null}
                crossOrigin={API_URL ? "use-credentials" : undefined}
                onSave={(body) => save.mutateAsync(body)}
              />
            )}
          </CardContent>
        </Card>
        <div className="order-1 flex flex-col gap-5 lg:order-2">
          <Card>
            <CardHeader>
              <CardTitle>Health</CardTitle>
              <CardDescription>{tzLabel(tz)}</CardDescription>
            </CardHeader>
            <CardContent>
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-muted-foreground">Heartbeat</dt>
                <dd>{c.last_heartbeat_at ? dateTimeInZone(c.last_heartbeat_at, tz) : "never"}</dd>
                <dt className="text-muted-foreground">Last event</dt>
                <dd>{c.last_event_at ? dateTimeInZone(c.last_event_at, tz) : "never"}</dd>
                <dt className="text-muted-foreground">fps</dt>
                <dd>{c.fps == null ? "—" : c.fps.toFixed(1)}</dd>
                <dt className="text-muted-foreground">Snapshot</dt>
                <dd>{c.last_snapshot_at ? dateTimeInZone(c.last_snapshot_at, tz) : "none yet"}</dd>
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Worker key</CardTitle>
              <CardDescription>
                {c.has_key
                  ? "A key is issued. Rotating replaces it: the old key stops working."
                  : "No key: the worker cannot send events yet."}
              </CardDescription>
            </CardHeader>
            <CardContent className="flex flex-wrap gap-2">
              <Button onClick={() => issue.mutate()} disabled={issue.isPending}>
                <KeyRound aria-hidden />
                {c.has_key ? "Rotate key" : "Issue key"}
              </Button>
              {c.has_key && (
                <Button variant="outline" onClick={() => setConfirming("revoke")} disabled={revoke.isPending}>
                  Revoke
                </Button>
              )}
              <ErrorNote error={issue.error} className="w-full" />
            </CardContent>
          </Card>
        </div>
        <Card className="order-3 self-start border-destructive/40 lg:col-start-2">
          <CardHeader>
            <CardTitle>Delete camera</CardTitle>
            <CardDescription>Removes the camera and everything it counted.</CardDescription>
          </CardHeader>
          <CardContent>
            <Button variant="destructive" onClick={() => setConfirming("delete")}>
              <Trash2 aria-hidden />
              Delete camera
            </Button>
          </CardContent>
        </Card>
      </div>
      <AuditCard cameraId={cameraId} timezone={tz} />
      <KeyDialog issued={issued} onClose={() => setIssued(null)} />
      <ConfirmDialog
        open={confirming === "revoke"}
        onOpenChange={(open) => setConfirming(open ? "revoke" : null)}
        title="Revoke the worker key?"
        summary={`The worker of ${c.name} is locked out at once and can send nothing until you issue a new key. Its lines and counts stay.`}
        confirmLabel="Revoke key"
        busyLabel="Revoking…"
        onConfirm={async () => {
          await revoke.mutateAsync();
          setConfirming(null);
        }}
      />
      <ConfirmDialog
        open={confirming === "delete"}
        onOpenChange={(open) => setConfirming(open ? "delete" : null)}
        title={`Delete ${c.name}?`}
        summary="This cannot be undone. Deleting the camera permanently removes:"
        confirmLabel="Delete camera"
        busyLabel="Deleting…"
        onConfirm={async () => {
          await unwrap(adminDeleteCamera({ path: { camera_id: cameraId } }));
          setConfirming(null);
          await navigate({ to: "/admin/stores/$storeId", params: { storeId: c.store_id }, replace: true });
          queryClient.removeQueries({ queryKey: ["admin", "camera", cameraId] });
          queryClient.removeQueries({ queryKey: ["admin", "lines", cameraId] });
          await queryClient.invalidateQueries({ queryKey: ["admin", "cameras"] });
          await queryClient.invalidateQueries({ queryKey: ["live"] });
          await queryClient.invalidateQueries({ queryKey: ["dashboard"] });
        }}
      >
        <ul className="list-disc space-y-1 pl-5" data-testid="delete-camera-losses">
          <li>
            every visit it counted: {store.data ? `${store.data.name}'s` : "the store's"} footfall,
            occupancy and dwell figures lose them, past days included;
          </li>
          <li>{linesLost(lines.data?.length)} and its latest snapshot;</li>
          <li>its worker key{c.has_key ? ": the worker is locked out at once" : ""}.</li>
        </ul>
        <p className="mt-3 text-muted-foreground">
          To stop the worker but keep the history, revoke its key instead.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function linesLost(n: number | undefined): string {
  if (n === undefined) return "its counting lines";
  if (n === 0) return "its line settings (none drawn yet)";
  return n === 1 ? "its counting line" : `its ${n} counting lines`;
}
