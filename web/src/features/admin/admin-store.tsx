import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { Camera, Plus, Trash2, UserPlus } from "lucide-react";
import { type FormEvent, useState } from "react";
import {
  adminAddOwner,
  adminCreateCamera,
  adminDeleteStore,
  adminGetStore,
  adminListCameras,
  adminListOwners,
  adminRemoveOwner,
  adminUpdateStore,
} from "@/client/sdk.gen";
import { StatusBadge } from "@/features/admin/camera-status";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { NotFound } from "@/components/not-found";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { StoreForm } from "@/features/admin/store-form";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { isNotFound, unwrap } from "@/lib/api";
import { dateTimeInZone, tzLabel } from "@/lib/format";
import { adminStoresKey } from "@/features/admin/admin-stores";
import { AnprCard } from "@/features/admin/anpr-card";

export function AdminStorePage() {
  const { storeId } = useParams({ from: "/authed/admin/stores/$storeId" });
  const queryClient = useQueryClient();
  const store = useQuery({
    queryKey: ["admin", "store", storeId],
    queryFn: () => unwrap(adminGetStore({ path: { store_id: storeId } })),
  });
  const [saved, setSaved] = useState(false);

  if (store.isPending) return <Spinner />;
  if (isNotFound(store.error)) return <NotFound what="store" />;
  if (store.isError) return <ErrorNote error={store.error} />;

  return (
    <div className="flex flex-col gap-5">
      <div className="flex flex-col gap-1 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <p className="text-sm text-muted-foreground">
            <Link to="/admin/stores" className="hover:underline">Stores</Link> /
          </p>
          <h1 className="text-2xl font-bold">{store.data.name}</h1>
        </div>
        <Link to="/stores/$storeId" params={{ storeId }} className="text-sm text-primary hover:underline">
          Open dashboard →
        </Link>
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Store details</CardTitle>
        </CardHeader>
        <CardContent>
          <StoreForm
            key={JSON.stringify(store.data)}
            initial={store.data}
            submitLabel="Save store"
            onSubmit={async (body) => {
              setSaved(false);
              const updated = await unwrap(adminUpdateStore({ path: { store_id: storeId }, body }));
              queryClient.setQueryData(["admin", "store", storeId], updated);
              await queryClient.invalidateQueries({ queryKey: adminStoresKey });
              await queryClient.invalidateQueries({ queryKey: ["stores"] });
              setSaved(true);
            }}
          />
          {saved && <p role="status" className="mt-2 text-sm text-success">Saved.</p>}
        </CardContent>
      </Card>
      <div className="grid gap-5 lg:grid-cols-2">
        <CamerasCard storeId={storeId} timezone={store.data.timezone} />
        <OwnersCard storeId={storeId} />
      </div>
      <AnprCard storeId={storeId} />
      <DeleteStoreCard storeId={storeId} name={store.data.name} />
    </div>
  );
}

function camerasLost(n: number | undefined): string {
  if (n === 0) return "no cameras: none are set up;";
  const what = n === undefined ? "its cameras" : n === 1 ? "its camera" : `its ${n} cameras`;
  const one = n === 1;
  return `${what}, with ${one ? "its" : "their"} worker ${one ? "key" : "keys"} (${one ? "its worker is" : "workers are"} locked out at once), counting lines and snapshots;`;
}

function ownersLost(n: number | undefined): string {
  if (n === 0) return "no owner access: nobody but admins can see it.";
  const who = n === undefined ? "its owners" : n === 1 ? "its 1 owner" : `its ${n} owners`;
  return `access for ${who} (${n === 1 ? "the account and any other stores stay" : "their accounts and other stores stay"}).`;
}

function DeleteStoreCard({ storeId, name }: { storeId: string; name: string }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  // Same keys as the cards above: the counts come from their cached lists.
  const cameras = useQuery({
    queryKey: ["admin", "cameras", storeId],
    queryFn: () => unwrap(adminListCameras({ query: { store_id: storeId } })),
  });
  const owners = useQuery({
    queryKey: ["admin", "owners", storeId],
    queryFn: () => unwrap(adminListOwners({ path: { store_id: storeId } })),
  });
  const nCameras = cameras.data?.count;
  const nOwners = owners.data?.count;
  return (
    <Card className="border-destructive/40">
      <CardHeader>
        <CardTitle>Delete this store</CardTitle>
        <CardDescription>Removes the store and everything counted in it, for good.</CardDescription>
      </CardHeader>
      <CardContent>
        <Button variant="destructive" onClick={() => setOpen(true)}>
          <Trash2 aria-hidden />
          Delete store
        </Button>
        <ConfirmDialog
          open={open}
          onOpenChange={setOpen}
          title={`Delete ${name}?`}
          summary="This cannot be undone. Deleting the store permanently removes:"
          confirmLabel="Delete store"
          busyLabel="Deleting…"
          typeToConfirm={name}
          onConfirm={async () => {
            await unwrap(adminDeleteStore({ path: { store_id: storeId } }));
            setOpen(false);
            await navigate({ to: "/admin/stores", replace: true });
            queryClient.removeQueries({ queryKey: ["admin", "store", storeId] });
            await queryClient.invalidateQueries({ queryKey: ["admin"] });
            await queryClient.invalidateQueries({ queryKey: ["stores"] });
          }}
        >
          <ul className="list-disc space-y-1 pl-5" data-testid="delete-store-losses">
            <li>
              all of its footfall history: every counted visit and the hourly totals behind its
              dashboards and CSV exports;
            </li>
            <li>{camerasLost(nCameras)}</li>
            <li>{ownersLost(nOwners)}</li>
          </ul>
        </ConfirmDialog>
      </CardContent>
    </Card>
  );
}

function CamerasCard({ storeId, timezone }: { storeId: string; timezone: string }) {
  const queryClient = useQueryClient();
  const key = ["admin", "cameras", storeId];
  const cameras = useQuery({
    queryKey: key,
    queryFn: () => unwrap(adminListCameras({ query: { store_id: storeId } })),
    refetchInterval: 15_000,
  });
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: (camName: string) =>
      unwrap(adminCreateCamera({ body: { store_id: storeId, name: camName, is_counting_line: true } })),
    onSuccess: async () => {
      setName("");
      await queryClient.invalidateQueries({ queryKey: ["admin", "cameras"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  return (
    <Card>
      <CardHeader>
        <CardTitle>Cameras</CardTitle>
        <CardDescription>Last heartbeat in {tzLabel(timezone)}</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {cameras.isPending ? (
          <Spinner />
        ) : cameras.isError ? (
          <ErrorNote error={cameras.error} />
        ) : cameras.data.data.length === 0 ? (
          <EmptyState title="No cameras yet" icon={<Camera />}>
            Add the store's entrance camera, then issue it a worker key.
          </EmptyState>
        ) : (
          <ul className="divide-y rounded-md border" aria-label="Cameras of this store">
            {cameras.data.data.map((c) => (
              <li key={c.id}>
                <Link
                  to="/admin/cameras/$cameraId"
                  params={{ cameraId: c.id }}
                  className="flex items-center justify-between gap-2 px-3 py-2 hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-ring"
                >
                  <span className="min-w-0">
                    <span className="block truncate font-medium">{c.name}</span>
                    <span className="block text-xs text-muted-foreground">
                      {c.last_heartbeat_at
                        ? `heartbeat ${dateTimeInZone(c.last_heartbeat_at, timezone)}`
                        : c.last_event_at
                          ? `last event ${dateTimeInZone(c.last_event_at, timezone)}, no heartbeat`
                          : "never connected"}
                      {c.has_key ? "" : " · no key"}
                    </span>
                  </span>
                  <StatusBadge status={c.status} />
                </Link>
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={submit} className="flex items-end gap-2" aria-label="Add a camera">
          <div className="flex flex-1 flex-col gap-1.5">
            <Label htmlFor="camera-name">New camera</Label>
            <Input id="camera-name" placeholder="Entrance" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <Button type="submit" disabled={!name.trim() || create.isPending}>
            <Plus aria-hidden />
            Add camera
          </Button>
        </form>
        <ErrorNote error={create.error} />
      </CardContent>
    </Card>
  );
}

function OwnersCard({ storeId }: { storeId: string }) {
  const queryClient = useQueryClient();
  const key = ["admin", "owners", storeId];
  const owners = useQuery({
    queryKey: key,
    queryFn: () => unwrap(adminListOwners({ path: { store_id: storeId } })),
  });
  const [email, setEmail] = useState("");
  const add = useMutation({
    mutationFn: (ownerEmail: string) =>
      unwrap(adminAddOwner({ path: { store_id: storeId }, body: { email: ownerEmail } })),
    onSuccess: async () => {
      setEmail("");
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      unwrap(adminRemoveOwner({ path: { store_id: storeId, user_id: userId } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Owners</CardTitle>
        <CardDescription>People who can see this store. New emails get an invitation.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {owners.isPending ? (
          <Spinner />
        ) : owners.isError ? (
          <ErrorNote error={owners.error} />
        ) : owners.data.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">No owners yet: only admins can see this store.</p>
        ) : (
          <ul className="divide-y rounded-md border" aria-label="Owners of this store">
            {owners.data.data.map((u) => (
              <li key={u.id} className="flex items-center justify-between gap-2 px-3 py-1.5">
                <span className="truncate text-sm">{u.email}</span>
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Remove ${u.email}`}
                  onClick={() => remove.mutate(u.id)}
                  disabled={remove.isPending}
                >
                  <Trash2 />
                </Button>
              </li>
            ))}
          </ul>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (email.trim()) add.mutate(email.trim());
          }}
          className="flex items-end gap-2"
          aria-label="Assign an owner"
        >
          <div className="flex flex-1 flex-col gap-1.5">
            <Label htmlFor="owner-email">Owner email</Label>
            <Input id="owner-email" type="email" placeholder="owner@example.com" value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <Button type="submit" disabled={!email.trim() || add.isPending}>
            <UserPlus aria-hidden />
            Assign
          </Button>
        </form>
        <ErrorNote error={add.error ?? remove.error} />
      </CardContent>
    </Card>
  );
}
