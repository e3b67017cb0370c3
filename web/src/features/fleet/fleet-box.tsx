import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { Ban } from "lucide-react";
import { type FormEvent, useState } from "react";
import {
  adminAssignCamera,
  adminBoxErrors,
  adminCameraAudit,
  adminGetBox,
  adminGetCameraFleet,
  adminListCameras,
  adminRevokeBox,
  adminUpdateCameraFleet,
} from "@/client/sdk.gen";
import type { BoxPublic, CameraPublic, CameraSettingsUpdate } from "@/client/types.gen";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { NotFound } from "@/components/not-found";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

import { useAdminStores } from "@/features/admin/admin-stores";
import { OnlineBadge } from "@/features/fleet/fleet";
import { driftLabel, percent } from "@/features/fleet/fleet-format";
import { isNotFound, unwrap } from "@/lib/api";
import { dateTimeInZone, tzLabel } from "@/lib/format";

export function FleetBoxPage() {
  const { boxId } = useParams({ from: "/authed/admin/fleet/boxes/$boxId" });
  const box = useQuery({
    queryKey: ["admin", "fleet", "box", boxId],
    queryFn: () => unwrap(adminGetBox({ path: { box_id: boxId } })),
    refetchInterval: 10_000,
  });
  const stores = useAdminStores();
  if (box.isPending) return <Spinner />;
  if (isNotFound(box.error)) return <NotFound what="box" />;
  if (box.isError) return <ErrorNote error={box.error} />;
  const b = box.data;
  const store = stores.data?.data.find((s) => s.id === b.store_id);
  const timezone = store?.timezone ?? "UTC";
  return (
    <div className="flex flex-col gap-5">
      <div>
        <p className="text-sm text-muted-foreground">
          <Link to="/admin/fleet" className="hover:underline">Fleet</Link> /
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="break-all text-2xl font-bold">{b.hostname}</h1>
          <OnlineBadge box={b} />
        </div>
        <p className="text-sm text-muted-foreground">
          {store?.name ?? "…"} · times in {tzLabel(timezone)}
        </p>
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Health</CardTitle>
          <CardDescription>From the box's latest heartbeat.</CardDescription>
        </CardHeader>
        <CardContent>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm sm:grid-cols-[auto_1fr_auto_1fr]">
            <dt className="text-muted-foreground">Last seen</dt>
            <dd className="tabular-nums">{b.last_seen_at ? dateTimeInZone(b.last_seen_at, timezone) : "never"}</dd>
            <dt className="text-muted-foreground">Version</dt>
            <dd>{b.version || "—"} ({driftLabel(b)})</dd>
            <dt className="text-muted-foreground">CPU</dt>
            <dd className="tabular-nums">{percent(b.cpu_percent)}</dd>
            <dt className="text-muted-foreground">Memory</dt>
            <dd className="tabular-nums">{percent(b.memory_percent)}</dd>
            <dt className="text-muted-foreground">Disk</dt>
            <dd className="tabular-nums">{percent(b.disk_percent)}</dd>
            <dt className="text-muted-foreground">Outbox</dt>
            <dd className="tabular-nums">{b.outbox_depth} events</dd>
          </dl>
        </CardContent>
      </Card>
      <CamerasCard box={b} timezone={timezone} />
      <ErrorsCard boxId={b.id} timezone={timezone} />
      {!b.revoked && <RevokeCard box={b} />}
    </div>
  );
}

function CamerasCard({ box, timezone }: { box: BoxPublic; timezone: string }) {
  const queryClient = useQueryClient();
  const cameras = useQuery({
    queryKey: ["admin", "cameras", box.store_id],
    queryFn: () => unwrap(adminListCameras({ query: { store_id: box.store_id } })),
  });
  const [choice, setChoice] = useState("");
  const assign = useMutation({
    mutationFn: (cameraId: string) =>
      unwrap(adminAssignCamera({ path: { camera_id: cameraId }, body: { box_id: box.id } })),
    onSuccess: async () => {
      setChoice("");
      await queryClient.invalidateQueries({ queryKey: ["admin", "fleet"] });
    },
  });
  const mine = (cameras.data?.data ?? []).filter((c) => box.camera_ids.includes(c.id));
  const others = (cameras.data?.data ?? []).filter((c) => !box.camera_ids.includes(c.id));
  const stateOf = new Map(box.camera_states.map((s) => [s.camera_id, s]));
  return (
    <Card>
      <CardHeader>
        <CardTitle>Cameras</CardTitle>
        <CardDescription>
          The box applies changes within its next config poll (30 s by default), restarting only
          the camera that changed.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {cameras.isPending ? (
          <Spinner />
        ) : mine.length === 0 ? (
          <EmptyState title="No cameras on this box" />
        ) : (
          <ul className="flex flex-col gap-4" aria-label="Cameras of this box">
            {mine.map((c) => (
              <CameraSettingsForm
                key={c.id}
                camera={c}
                state={stateOf.get(c.id)?.state}
                timezone={timezone}
              />
            ))}
          </ul>
        )}
        {!box.revoked && others.length > 0 && (
          <form
            className="flex flex-col gap-2 sm:flex-row sm:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              if (choice) assign.mutate(choice);
            }}
          >
            <div className="flex flex-1 flex-col gap-1.5">
              <Label htmlFor="assign-camera">Run another camera of this store here</Label>
              <select
                id="assign-camera"
                className="h-9 rounded-md border bg-card px-2 text-sm"
                value={choice}
                onChange={(e) => setChoice(e.target.value)}
              >
                <option value="">Choose a camera…</option>
                {others.map((c) => (
                  <option key={c.id} value={c.id}>{c.name}</option>
                ))}
              </select>
            </div>
            <Button type="submit" variant="outline" disabled={!choice || assign.isPending}>
              Assign
            </Button>
          </form>
        )}
        <ErrorNote error={assign.error} />
      </CardContent>
    </Card>
  );
}

function CameraSettingsForm({
  camera,
  state,
  timezone,
}: {
  camera: CameraPublic;
  state?: string;
  timezone: string;
}) {
  const queryClient = useQueryClient();
  const fleet = useQuery({
    queryKey: ["admin", "fleet", "camera", camera.id],
    queryFn: () => unwrap(adminGetCameraFleet({ path: { camera_id: camera.id } })),
  });
  const [source, setSource] = useState("");
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: CameraSettingsUpdate) =>
      unwrap(adminUpdateCameraFleet({ path: { camera_id: camera.id }, body })),
    onSuccess: (updated) => {
      queryClient.setQueryData(["admin", "fleet", "camera", camera.id], updated);
      void queryClient.invalidateQueries({ queryKey: ["admin", "fleet", "camera-audit", camera.id] });
      setSource("");
      setSaved(true);
    },
  });
  if (fleet.isPending) return <li><Spinner /></li>;
  if (fleet.isError) return <li><ErrorNote error={fleet.error} /></li>;
  const s = fleet.data.settings;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSaved(false);
    const form = new FormData(e.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const start = text("start");
    const end = text("end");
    const body: CameraSettingsUpdate = {
      model: text("model") || null,
      input_size: text("input_size") ? Number(text("input_size")) : null,
      stride: Number(text("stride") || "1"),
      schedule: start && end ? { start, end } : null,
      blur_people: form.get("blur_people") === "on",
    };
    if (source.trim()) body.source = source.trim();
    save.mutate(body);
  }

  const id = (name: string) => `${camera.id}-${name}`;
  return (
    <li className="rounded-lg border p-3">
      <div className="mb-2 flex items-center justify-between gap-2">
        <Link to="/admin/cameras/$cameraId" params={{ cameraId: camera.id }} className="font-medium text-primary hover:underline">
          {camera.name}
        </Link>
        <CameraStateBadge state={state} />
      </div>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-4" aria-label={`Settings of ${camera.name}`}>
        <div className="flex flex-col gap-1.5 sm:col-span-4">
          <Label htmlFor={id("source")}>Source</Label>
          <Input
            id={id("source")}
            value={source}
            autoComplete="off"
            placeholder={fleet.data.source_masked ?? "rtsp://user:password@camera/stream"}
            onChange={(e) => setSource(e.target.value)}
          />
          <p className="text-xs text-muted-foreground" data-testid="source-masked">
            {fleet.data.source_masked ? `Now: ${fleet.data.source_masked} (leave empty to keep)` : "No source yet."}
          </p>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={id("model")}>Model</Label>
          <Input id={id("model")} name="model" defaultValue={s.model ?? ""} placeholder="default" />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={id("input_size")}>Input size</Label>
          <Input id={id("input_size")} name="input_size" inputMode="numeric" defaultValue={s.input_size ?? ""} placeholder="auto" />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={id("stride")}>Stride</Label>
          <Input id={id("stride")} name="stride" inputMode="numeric" defaultValue={s.stride ?? 1} />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={id("start")}>Active hours</Label>
          <div className="flex items-center gap-1">
            <Input id={id("start")} name="start" aria-label="Active from" type="time" defaultValue={s.schedule?.start ?? ""} />
            <Input id={id("end")} name="end" aria-label="Active until" type="time" defaultValue={s.schedule?.end ?? ""} />
          </div>
        </div>
        <label className="flex items-start gap-2 text-sm sm:col-span-4" htmlFor={id("blur")}>
          <input
            id={id("blur")}
            name="blur_people"
            type="checkbox"
            className="mt-0.5 size-4"
            defaultChecked={s.blur_people ?? true}
          />
          <span>
            Blur people in calibration snapshots on the box
            <span className="block text-xs text-muted-foreground">
              On by default; turning it off is recorded in the camera's audit.
            </span>
            <BlurAudit cameraId={camera.id} timezone={timezone} />
          </span>
        </label>
        <div className="flex items-center gap-3 sm:col-span-4">
          <Button type="submit" disabled={save.isPending}>Save camera</Button>
          {saved && <p role="status" className="text-sm text-success">Saved; the box applies it within a poll.</p>}
        </div>
        <ErrorNote error={save.error} className="sm:col-span-4" />
      </form>
    </li>
  );
}

/** The latest change of the camera's snapshot blurring: who and when (the audit). */
function BlurAudit({ cameraId, timezone }: { cameraId: string; timezone: string }) {
  const audit = useQuery({
    queryKey: ["admin", "fleet", "camera-audit", cameraId],
    queryFn: () => unwrap(adminCameraAudit({ path: { camera_id: cameraId } })),
  });
  const last = audit.data?.entries[0];
  if (!last) return null;
  return (
    <span className="block text-xs text-muted-foreground" data-testid="blur-audit">
      Turned {last.new_value} by {last.actor_email}, {dateTimeInZone(last.changed_at, timezone)}
    </span>
  );
}

const STATE_VARIANT = {
  running: "live",
  starting: "secondary",
  finished: "secondary",
  off_schedule: "secondary",
  restarting: "offline",
  stopped: "stale",
} as const;

function CameraStateBadge({ state }: { state?: string }) {
  const variant = STATE_VARIANT[state as keyof typeof STATE_VARIANT] ?? "outline";
  return (
    <Badge variant={variant} data-testid="camera-state">
      {state ? state.replace("_", " ") : "not reported"}
    </Badge>
  );
}

function ErrorsCard({ boxId, timezone }: { boxId: string; timezone: string }) {
  const errors = useQuery({
    queryKey: ["admin", "fleet", "box", boxId, "errors"],
    queryFn: () => unwrap(adminBoxErrors({ path: { box_id: boxId } })),
    refetchInterval: 10_000,
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Recent errors</CardTitle>
        <CardDescription>The last 20 the box reported, newest first.</CardDescription>
      </CardHeader>
      <CardContent>
        {errors.isPending ? (
          <Spinner />
        ) : errors.isError ? (
          <ErrorNote error={errors.error} />
        ) : errors.data.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">None reported.</p>
        ) : (
          <ul className="flex flex-col divide-y text-sm" aria-label="Recent errors">
            {[...errors.data.data].reverse().map((e) => (
              <li key={`${e.at}-${e.message}`} className="flex flex-col gap-0.5 py-2 sm:flex-row sm:gap-3">
                <time className="shrink-0 tabular-nums text-muted-foreground" dateTime={e.at}>
                  {dateTimeInZone(e.at, timezone)}
                </time>
                <span className="break-words">{e.message}</span>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

function RevokeCard({ box }: { box: BoxPublic }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  return (
    <Card className="border-destructive/40">
      <CardHeader>
        <CardTitle>Revoke this box</CardTitle>
        <CardDescription>Its key stops working at once; enrolling it again needs a new token.</CardDescription>
      </CardHeader>
      <CardContent>
        <Button variant="destructive" onClick={() => setOpen(true)}>
          <Ban aria-hidden />
          Revoke box
        </Button>
        <ConfirmDialog
          open={open}
          onOpenChange={setOpen}
          title={`Revoke ${box.hostname}?`}
          summary="The box is refused from its next request and stops counting."
          confirmLabel="Revoke"
          busyLabel="Revoking…"
          onConfirm={async () => {
            const updated = await unwrap(adminRevokeBox({ path: { box_id: box.id } }));
            queryClient.setQueryData(["admin", "fleet", "box", box.id], updated);
            await queryClient.invalidateQueries({ queryKey: ["admin", "fleet", "boxes"] });
            setOpen(false);
          }}
        >
          {box.camera_ids.length === 0
            ? "It runs no cameras."
            : box.camera_ids.length === 1
              ? "Its camera stops: its worker key is revoked too, and it is unassigned, ready for another box."
              : `Its ${box.camera_ids.length} cameras stop: their worker keys are revoked too, and they are unassigned, ready for another box.`}
        </ConfirmDialog>
      </CardContent>
    </Card>
  );
}
