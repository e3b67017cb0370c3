import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bell, Eye, Plus, Trash2 } from "lucide-react";
import { type FormEvent, useState } from "react";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { dateTimeInZone } from "@/lib/format";
import { usePageTitle } from "@/lib/title";
import {
  addWatchEntry,
  listAlerts,
  listWatchlist,
  type PlateAlert,
  plateKeys,
  removeWatchEntry,
} from "@/features/plates/api";
import { MAX_PLATE_CHARS } from "@/features/plates/params";
import { useCurrentSite } from "@/features/plates/site";

/** How often the alert list is fetched again. */
export const ALERTS_REFRESH_MS = 10_000;

/** /plates/$storeId/watchlist: plates that raise an alert when read, and the alerts. */
export function PlateWatchlistPage() {
  const { storeId, site } = useCurrentSite();
  usePageTitle("Watchlist", site?.name, "Plates");
  if (!site) return null;
  return (
    <div className="grid gap-5 lg:grid-cols-2">
      <WatchlistCard storeId={storeId} timezone={site.timezone} />
      <AlertsCard storeId={storeId} timezone={site.timezone} />
    </div>
  );
}

function WatchlistCard({ storeId, timezone }: { storeId: string; timezone: string }) {
  const queryClient = useQueryClient();
  const key = plateKeys.watchlist(storeId);
  const entries = useQuery({ queryKey: key, queryFn: () => listWatchlist(storeId) });
  const [plate, setPlate] = useState("");
  const [note, setNote] = useState("");
  const [email, setEmail] = useState("");
  const [webhook, setWebhook] = useState("");
  const add = useMutation({
    mutationFn: addWatchEntry,
    onSuccess: async () => {
      setPlate("");
      setNote("");
      setEmail("");
      setWebhook("");
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: removeWatchEntry,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!plate.trim()) return;
    add.mutate({
      store_id: storeId,
      plate: plate.trim(),
      ...(note.trim() ? { note: note.trim() } : {}),
      ...(email.trim() ? { notify_email: email.trim() } : {}),
      ...(webhook.trim() ? { notify_webhook: webhook.trim() } : {}),
    });
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>Watchlist</CardTitle>
        <CardDescription>An alert is raised within seconds when one of these plates is read here.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {entries.isPending ? (
          <Spinner />
        ) : entries.isError ? (
          <ErrorNote error={entries.error} />
        ) : entries.data.length === 0 ? (
          <EmptyState title="No plates watched" icon={<Eye />} testId="no-watch">
            Add a plate below to be alerted when it is read.
          </EmptyState>
        ) : (
          <ul className="divide-y rounded-md border" aria-label="Watched plates">
            {entries.data.map((w) => (
              <li key={w.id} className="flex items-start justify-between gap-2 px-3 py-2" data-testid="watch-entry">
                <div className="min-w-0 text-sm">
                  <p className="font-mono font-semibold">{w.plate}</p>
                  {w.note && <p className="break-words">{w.note}</p>}
                  <p className="break-all text-xs text-muted-foreground">
                    {[w.notify_email && `email ${w.notify_email}`, w.notify_webhook && `webhook ${w.notify_webhook}`]
                      .filter(Boolean)
                      .join(" · ") || "listed here only"}
                    {" · added "}
                    {dateTimeInZone(w.created_at, timezone)}
                  </p>
                </div>
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Stop watching ${w.plate}`}
                  onClick={() => remove.mutate(w.id)}
                  disabled={remove.isPending}
                >
                  <Trash2 />
                </Button>
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2" aria-label="Watch a plate">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="watch-plate">Plate to watch</Label>
            <Input
              id="watch-plate"
              required
              maxLength={MAX_PLATE_CHARS}
              autoComplete="off"
              spellCheck={false}
              className="font-mono uppercase"
              value={plate}
              onChange={(e) => setPlate(e.target.value)}
            />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="watch-note">Note</Label>
            <Input id="watch-note" maxLength={500} placeholder="Why it is watched" value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="watch-email">Alert email</Label>
            <Input id="watch-email" type="email" placeholder="optional" value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="watch-webhook">Alert webhook URL</Label>
            <Input
              id="watch-webhook"
              type="url"
              placeholder="optional, https://…"
              value={webhook}
              onChange={(e) => setWebhook(e.target.value)}
            />
          </div>
          <div className="sm:col-span-2">
            <Button type="submit" disabled={!plate.trim() || add.isPending}>
              <Plus aria-hidden />
              Watch plate
            </Button>
          </div>
        </form>
        <ErrorNote error={add.error ?? remove.error} />
      </CardContent>
    </Card>
  );
}

function delivery(alert: PlateAlert): string {
  const parts: string[] = [];
  const say = (what: string, ok: boolean | null) => {
    if (ok !== null) parts.push(`${what} ${ok ? "sent" : "failed"}`);
  };
  say("email", alert.delivered.email);
  say("webhook", alert.delivered.webhook);
  return parts.join(" · ") || "no notification set";
}

function AlertsCard({ storeId, timezone }: { storeId: string; timezone: string }) {
  const alerts = useQuery({
    queryKey: plateKeys.alerts(storeId),
    queryFn: () => listAlerts(storeId),
    refetchInterval: ALERTS_REFRESH_MS,
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Recent alerts</CardTitle>
        <CardDescription>Watched plates read at this site; refreshes every {ALERTS_REFRESH_MS / 1000} s.</CardDescription>
      </CardHeader>
      <CardContent>
        {alerts.isPending ? (
          <Spinner />
        ) : alerts.isError ? (
          <ErrorNote error={alerts.error} />
        ) : alerts.data.length === 0 ? (
          <EmptyState title="No alerts yet" icon={<Bell />} testId="no-alerts">
            When a watched plate is read, it shows here.
          </EmptyState>
        ) : (
          <ul className="divide-y rounded-md border" aria-label="Recent alerts">
            {alerts.data.map((a) => {
              const failed = a.delivered.email === false || a.delivered.webhook === false;
              return (
                <li key={a.id} className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
                  <div className="min-w-0">
                    <p className="font-mono font-semibold">{a.plate}</p>
                    <p className="text-xs text-muted-foreground">{dateTimeInZone(a.occurred_at, timezone)}</p>
                  </div>
                  <Badge variant={failed ? "offline" : "secondary"}>{delivery(a)}</Badge>
                </li>
              );
            })}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
