import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Car, Trash2, UserPlus } from "lucide-react";
import { type FormEvent, useState } from "react";
import {
  adminAddClerk,
  adminGetAnpr,
  adminListClerks,
  adminRemoveClerk,
  adminSetAnpr,
} from "@/client/sdk.gen";
import { ErrorNote, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { unwrap } from "@/lib/api";

interface AnprSettings {
  enabled: boolean;
  retention_days: number;
}

export const RETENTION_MIN_DAYS = 1;
export const RETENTION_MAX_DAYS = 3650;
export const RETENTION_DEFAULT_DAYS = 30;

/** A retention in days the API takes (1..3650 whole days), or null. */
export function parseRetentionDays(text: string): number | null {
  if (!/^\d{1,4}$/.test(text.trim())) return null;
  const days = Number(text.trim());
  return days >= RETENTION_MIN_DAYS && days <= RETENTION_MAX_DAYS ? days : null;
}

const clerksKey = (storeId: string) => ["admin", "clerks", storeId];
const anprKey = (storeId: string) => ["admin", "anpr", storeId];

/**
 * Plate reading (ANPR) for one store: on or off, how long plates are kept, and the clerks
 * who may search them.
 */
export function AnprCard({ storeId }: { storeId: string }) {
  const settings = useQuery({
    queryKey: anprKey(storeId),
    queryFn: () => unwrap(adminGetAnpr({ path: { store_id: storeId } })),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Car className="size-4 text-primary" aria-hidden />
          ANPR (plate reading)
        </CardTitle>
        <CardDescription>
          Reads licence plates from uploaded footage. Plates are personal data: every search is
          audited, and reads are erased after the retention period.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-5">
        {settings.isPending ? (
          <Spinner />
        ) : settings.isError ? (
          <ErrorNote error={settings.error} />
        ) : (
          <AnprForm
            key={JSON.stringify(settings.data)}
            storeId={storeId}
            initial={{ enabled: settings.data.enabled, retention_days: settings.data.retention_days ?? RETENTION_DEFAULT_DAYS }}
          />
        )}
        <ClerksList storeId={storeId} />
      </CardContent>
    </Card>
  );
}

function AnprForm({ storeId, initial }: { storeId: string; initial: AnprSettings }) {
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = useState(initial.enabled);
  const [days, setDays] = useState(String(initial.retention_days));
  const [saved, setSaved] = useState<AnprSettings | null>(null);
  const retention = parseRetentionDays(days);
  const save = useMutation({
    mutationFn: (body: AnprSettings) => unwrap(adminSetAnpr({ path: { store_id: storeId }, body })),
    onSuccess: async (result) => {
      const next = { enabled: result.enabled, retention_days: result.retention_days ?? retention ?? RETENTION_DEFAULT_DAYS };
      setSaved(next);
      setEnabled(next.enabled);
      setDays(String(next.retention_days));
      await queryClient.invalidateQueries({ queryKey: ["plates"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (retention === null) return;
    setSaved(null);
    save.mutate({ enabled, retention_days: retention });
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" aria-label="ANPR settings">
      <div className="flex items-center gap-2">
        <input
          id="anpr-enabled"
          type="checkbox"
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
          className="size-4 accent-[var(--color-primary)]"
        />
        <Label htmlFor="anpr-enabled">Plate reading enabled for this store</Label>
      </div>
      <div className="flex items-end gap-2">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="anpr-retention">Keep plates for (days)</Label>
          <Input
            id="anpr-retention"
            inputMode="numeric"
            className="w-28"
            value={days}
            aria-invalid={retention === null || undefined}
            aria-describedby="anpr-retention-hint"
            onChange={(e) => setDays(e.target.value)}
          />
        </div>
        <Button type="submit" disabled={retention === null || save.isPending}>
          {save.isPending ? "Saving…" : "Save ANPR"}
        </Button>
      </div>
      <p id="anpr-retention-hint" className={retention === null ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
        {RETENTION_MIN_DAYS} to {RETENTION_MAX_DAYS} days; {RETENTION_DEFAULT_DAYS} by default.
      </p>
      {saved && (
        <p role="status" className="text-sm text-success" data-testid="anpr-saved">
          Saved: plate reading {saved.enabled ? "on" : "off"}, plates kept {saved.retention_days} days.
        </p>
      )}
      <ErrorNote error={save.error} />
    </form>
  );
}

function ClerksList({ storeId }: { storeId: string }) {
  const queryClient = useQueryClient();
  const key = clerksKey(storeId);
  const clerks = useQuery({
    queryKey: key,
    queryFn: () => unwrap(adminListClerks({ path: { store_id: storeId } })),
  });
  const [email, setEmail] = useState("");
  const add = useMutation({
    mutationFn: (clerkEmail: string) =>
      unwrap(adminAddClerk({ path: { store_id: storeId }, body: { email: clerkEmail } })),
    onSuccess: async () => {
      setEmail("");
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      unwrap(adminRemoveClerk({ path: { store_id: storeId, user_id: userId } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });

  return (
    <section aria-labelledby="clerks-title" className="flex flex-col gap-3">
      <div>
        <h3 id="clerks-title" className="text-sm font-semibold">Clerks</h3>
        <p className="text-xs text-muted-foreground">
          Clerks search this store's plates and see nothing else. New emails get an invitation.
        </p>
      </div>
      {clerks.isPending ? (
        <Spinner />
      ) : clerks.isError ? (
        <ErrorNote error={clerks.error} />
      ) : clerks.data.clerks.length === 0 ? (
        <p className="text-sm text-muted-foreground">No clerks yet.</p>
      ) : (
        <ul className="divide-y rounded-md border" aria-label="Clerks of this store">
          {clerks.data.clerks.map((c) => (
            <li key={c.user_id} className="flex items-center justify-between gap-2 px-3 py-1.5">
              <span className="truncate text-sm">{c.email}</span>
              <Button
                variant="ghost"
                size="icon"
                aria-label={`Remove clerk ${c.email}`}
                onClick={() => remove.mutate(c.user_id)}
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
        aria-label="Add a clerk"
      >
        <div className="flex flex-1 flex-col gap-1.5">
          <Label htmlFor="clerk-email">Clerk email</Label>
          <Input id="clerk-email" type="email" placeholder="clerk@example.com" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <Button type="submit" disabled={!email.trim() || add.isPending}>
          <UserPlus aria-hidden />
          Add clerk
        </Button>
      </form>
      <ErrorNote error={add.error ?? remove.error} />
    </section>
  );
}
