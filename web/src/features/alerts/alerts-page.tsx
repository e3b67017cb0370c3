import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { Bell, ChevronLeft, FileText, History, KeyRound, Send } from "lucide-react";
import { type FormEvent, useState } from "react";
import {
  getAlertLog,
  getAlertSettings,
  getReportPreferences,
  getWeeklyReportPreview,
  putAlertSettings,
  putReportPreferences,
  rotateAlertSecret,
  sendTestAlert,
} from "@/client/sdk.gen";
import type { AlertSettingsPublic, AlertTestResult, ChannelOutcome } from "@/client/types.gen";
import { CopyField } from "@/components/copy-field";
import { NotFound } from "@/components/not-found";
import { ErrorNote, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { isNotFound, unwrap } from "@/lib/api";
import { LOCALE, tzLabel } from "@/lib/format";
import { usePageTitle } from "@/lib/title";
import { useStores } from "@/features/store/stores";
import {
  deliveryText,
  KIND_LABELS,
  MAX_CAPACITY,
  MAX_RECIPIENTS,
  parseCapacity,
  parseRecipients,
  parseWebhook,
} from "./alert-format";

const settingsKey = (storeId: string) => ["alerts", "settings", storeId];
const logKey = (storeId: string) => ["alerts", "log", storeId];

/** A store's alerts (settings and log) and the owner's weekly report (on/off, preview). */
export function AlertsPage() {
  const { storeId } = useParams({ from: "/authed/stores/$storeId/alerts" });
  const stores = useStores();
  const store = stores.data?.data.find((s) => s.id === storeId);
  usePageTitle("Alerts & reports", store?.name);
  const settings = useQuery({
    queryKey: settingsKey(storeId),
    queryFn: () => unwrap(getAlertSettings({ path: { store_id: storeId } })),
  });

  if (stores.isPending) return <Spinner />;
  if (stores.isError) return <ErrorNote error={stores.error} />;
  if (!store || isNotFound(settings.error)) return <NotFound what="store" />;

  return (
    <div className="flex flex-col gap-5">
      <div>
        <Link
          to="/stores/$storeId"
          params={{ storeId }}
          className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"
        >
          <ChevronLeft className="size-4" aria-hidden />
          {store.name}
        </Link>
        <h1 className="text-2xl font-bold">Alerts &amp; reports</h1>
        <p className="mt-0.5 text-sm text-muted-foreground">
          {store.name} · times in {tzLabel(store.timezone)}
        </p>
      </div>
      <Card>
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            <Bell className="size-4 text-primary" aria-hidden />
            Alerts
          </CardTitle>
          <CardDescription>
            One email and webhook call when an alert starts, one when it ends. Checked every minute.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {settings.isPending ? (
            <Spinner />
          ) : settings.isError ? (
            <ErrorNote error={settings.error} />
          ) : (
            <AlertSettingsForm key={storeId} storeId={storeId} initial={settings.data} current={settings.data} />
          )}
        </CardContent>
      </Card>
      <AlertLogCard storeId={storeId} timezone={store.timezone} />
      <WeeklyReportCard storeId={storeId} />
    </div>
  );
}

function Check({
  id,
  checked,
  onChange,
  children,
  hint,
}: {
  id: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  children: React.ReactNode;
  hint: string;
}) {
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={`${id}-hint`}
        className="mt-0.5 size-4 accent-[var(--color-primary)]"
      />
      <div className="flex flex-col">
        <Label htmlFor={id}>{children}</Label>
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      </div>
    </div>
  );
}

/** `initial` fills the fields once; `current` (the latest answer) shows the signing secret. */
function AlertSettingsForm({
  storeId,
  initial,
  current,
}: {
  storeId: string;
  initial: AlertSettingsPublic;
  current: AlertSettingsPublic;
}) {
  const queryClient = useQueryClient();
  const [capacityOn, setCapacityOn] = useState(initial.capacity_enabled);
  const [capacity, setCapacity] = useState(initial.capacity_limit ? String(initial.capacity_limit) : "");
  const [cameraDown, setCameraDown] = useState(initial.camera_down_enabled);
  const [lowCount, setLowCount] = useState(initial.low_count_enabled);
  const [recipients, setRecipients] = useState(initial.emails.join("\n"));
  const [webhook, setWebhook] = useState(initial.webhook_url ?? "");
  const [saved, setSaved] = useState(false);

  const limit = parseCapacity(capacity);
  const { emails, invalid } = parseRecipients(recipients);
  const url = parseWebhook(webhook);
  const capacityBad = capacityOn && limit === null;
  const recipientsBad = invalid.length > 0 || emails.length > MAX_RECIPIENTS;
  const webhookBad = url === null;

  const save = useMutation({
    mutationFn: () =>
      unwrap(
        putAlertSettings({
          path: { store_id: storeId },
          body: {
            capacity_enabled: capacityOn,
            capacity_limit: limit,
            camera_down_enabled: cameraDown,
            low_count_enabled: lowCount,
            emails,
            webhook_url: url || null,
          },
        }),
      ),
    onSuccess: (data) => {
      setSaved(true);
      queryClient.setQueryData(settingsKey(storeId), data);
    },
  });
  const rotate = useMutation({
    mutationFn: () => unwrap(rotateAlertSecret({ path: { store_id: storeId } })),
    onSuccess: (data) => queryClient.setQueryData(settingsKey(storeId), data),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (capacityBad || recipientsBad || webhookBad) return;
    setSaved(false);
    save.mutate();
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Alert settings">
      <fieldset className="flex flex-col gap-3">
        <legend className="mb-2 text-sm font-semibold">Tell me when</legend>
        <Check
          id="alert-capacity"
          checked={capacityOn}
          onChange={setCapacityOn}
          hint="Starts when more people are inside than the limit; ends when fewer are."
        >
          The store is over capacity
        </Check>
        <div className="ml-6 flex flex-col gap-1.5">
          <Label htmlFor="alert-capacity-limit">Capacity (people)</Label>
          <Input
            id="alert-capacity-limit"
            inputMode="numeric"
            className="w-32"
            value={capacity}
            disabled={!capacityOn}
            aria-invalid={capacityBad || undefined}
            aria-describedby="alert-capacity-limit-hint"
            onChange={(e) => setCapacity(e.target.value)}
          />
          <p id="alert-capacity-limit-hint" className={capacityBad ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
            A whole number from 1 to {MAX_CAPACITY.toLocaleString(LOCALE)}.
          </p>
        </div>
        <Check
          id="alert-camera-down"
          checked={cameraDown}
          onChange={setCameraDown}
          hint="A camera has not been heard from for 15 minutes (each camera on its own)."
        >
          A camera is down
        </Check>
        <Check
          id="alert-low-count"
          checked={lowCount}
          onChange={setLowCount}
          hint="Today's visitors so far are under 30 % of the usual number by this time (median of the last 4 same weekdays): a blocked or moved camera."
        >
          The count is far below usual
        </Check>
      </fieldset>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="alert-emails">Email alerts to</Label>
        <textarea
          id="alert-emails"
          rows={3}
          value={recipients}
          onChange={(e) => setRecipients(e.target.value)}
          aria-invalid={recipientsBad || undefined}
          aria-describedby="alert-emails-hint"
          placeholder={initial.owner_emails.join("\n")}
          className="rounded-md border bg-background px-3 py-2 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
        />
        <p id="alert-emails-hint" className={recipientsBad ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
          {invalid.length > 0
            ? `Not an email address: ${invalid.join(", ")}`
            : emails.length > MAX_RECIPIENTS
              ? `At most ${MAX_RECIPIENTS} addresses.`
              : `One per line, up to ${MAX_RECIPIENTS}. Empty: the store's owners (${initial.owner_emails.join(", ") || "none yet"}).`}
        </p>
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="alert-webhook">Webhook URL (optional)</Label>
        <Input
          id="alert-webhook"
          type="url"
          value={webhook}
          placeholder="https://example.com/hooks/metrica"
          aria-invalid={webhookBad || undefined}
          aria-describedby="alert-webhook-hint"
          onChange={(e) => setWebhook(e.target.value)}
        />
        <p id="alert-webhook-hint" className={webhookBad ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
          An http or https address. Each alert is POSTed as JSON, signed in the X-Metrica-Signature header.
        </p>
      </div>
      {current.webhook_secret && (
        <div className="flex flex-col gap-2">
          <CopyField label="Signing secret (HMAC-SHA256 of the body)" value={current.webhook_secret} testId="webhook-secret" />
          <div>
            <Button type="button" variant="outline" size="sm" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
              <KeyRound aria-hidden />
              New secret
            </Button>
          </div>
        </div>
      )}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={save.isPending || capacityBad || recipientsBad || webhookBad}>
          {save.isPending ? "Saving…" : "Save alerts"}
        </Button>
        {saved && (
          <p role="status" className="text-sm text-success" data-testid="alerts-saved">
            Saved.
          </p>
        )}
      </div>
      <ErrorNote error={save.error ?? rotate.error} />
      <TestAlert storeId={storeId} />
    </form>
  );
}

const CHANNEL_STATUS: Record<ChannelOutcome["status"], string> = {
  sent: "sent",
  failed: "failed",
  skipped: "not set up",
};

/** Sends a test notice through the saved channels now and says what happened to each. */
function TestAlert({ storeId }: { storeId: string }) {
  const test = useMutation({
    mutationFn: () => unwrap(sendTestAlert({ path: { store_id: storeId } })),
  });
  return (
    <div className="flex flex-col gap-2 border-t pt-4">
      <div className="flex flex-wrap items-center gap-3">
        <Button type="button" variant="outline" onClick={() => test.mutate()} disabled={test.isPending}>
          <Send aria-hidden />
          {test.isPending ? "Sending…" : "Send a test alert"}
        </Button>
        <p className="text-xs text-muted-foreground">Through the saved email and webhook, now (one a minute).</p>
      </div>
      <div role="status" aria-live="polite">
        {test.data && <TestResult result={test.data} />}
      </div>
      <ErrorNote error={test.error} />
    </div>
  );
}

function TestResult({ result }: { result: AlertTestResult }) {
  const rows: [string, ChannelOutcome][] = [
    [`Email (${result.recipients.join(", ") || "nobody"})`, result.email],
    ["Webhook", result.webhook],
  ];
  return (
    <ul className="flex flex-col gap-1 text-sm" data-testid="test-alert-result">
      {rows.map(([channel, outcome]) => (
        <li key={channel}>
          <span className="font-medium">{channel}:</span>{" "}
          <span className={outcome.status === "failed" ? "text-destructive" : outcome.status === "sent" ? "text-success" : ""}>
            {CHANNEL_STATUS[outcome.status]}
          </span>{" "}
          <span className="text-muted-foreground">({outcome.detail})</span>
        </li>
      ))}
    </ul>
  );
}

function when(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}

function AlertLogCard({ storeId, timezone }: { storeId: string; timezone: string }) {
  const log = useQuery({
    queryKey: logKey(storeId),
    queryFn: () => unwrap(getAlertLog({ path: { store_id: storeId }, query: { limit: 50 } })),
    refetchInterval: 60_000,
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <History className="size-4 text-primary" aria-hidden />
          Alert log
        </CardTitle>
        <CardDescription>The last 50 alerts, newest first.</CardDescription>
      </CardHeader>
      <CardContent>
        {log.isPending ? (
          <Spinner />
        ) : log.isError ? (
          <ErrorNote error={log.error} />
        ) : log.data.data.length === 0 ? (
          <p className="text-sm text-muted-foreground" data-testid="alert-log-empty">
            No alerts yet.
          </p>
        ) : (
          <ul className="divide-y rounded-md border" aria-label="Alerts of this store" data-testid="alert-log">
            {log.data.data.map((e) => (
              <li key={e.id} className="flex flex-col gap-1 px-3 py-2.5 text-sm" data-testid="alert-row">
                <div className="flex flex-wrap items-baseline justify-between gap-x-3">
                  <span className="font-medium">{KIND_LABELS[e.kind]}</span>
                  {e.resolved_at ? (
                    <span className="text-xs text-muted-foreground">Ended</span>
                  ) : (
                    <span className="text-xs font-semibold text-destructive">Ongoing</span>
                  )}
                </div>
                <p className="text-muted-foreground">{e.message}</p>
                <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
                  <dt className="text-muted-foreground">Started</dt>
                  <dd>
                    {when(e.started_at, timezone)} · {deliveryText(e.raised_email_ok, e.raised_webhook_ok)}
                  </dd>
                  {e.resolved_at && (
                    <>
                      <dt className="text-muted-foreground">Ended</dt>
                      <dd>
                        {when(e.resolved_at, timezone)} · {deliveryText(e.resolved_email_ok, e.resolved_webhook_ok)}
                      </dd>
                    </>
                  )}
                </dl>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

/** Keeps the frame as tall as the report (which reflows with the width), so the page
 * scrolls once rather than twice. */
function fitToContent(frame: HTMLIFrameElement) {
  const main = frame.contentDocument?.querySelector("main");
  if (!main) return;
  const fit = () => {
    frame.style.height = `${Math.ceil(main.getBoundingClientRect().height) + 40}px`;
  };
  fit();
  new ResizeObserver(fit).observe(main);
}

function WeeklyReportCard({ storeId }: { storeId: string }) {
  const queryClient = useQueryClient();
  const prefs = useQuery({
    queryKey: ["reports", "preferences"],
    queryFn: () => unwrap(getReportPreferences()),
  });
  const preview = useQuery({
    queryKey: ["reports", "preview", storeId],
    queryFn: () => unwrap(getWeeklyReportPreview({ path: { store_id: storeId }, parseAs: "text" })),
  });
  // The box follows the click at once; a failed save puts it back.
  const [pending, setPending] = useState<boolean | null>(null);
  const toggle = useMutation({
    mutationFn: (weekly_enabled: boolean) => unwrap(putReportPreferences({ body: { weekly_enabled } })),
    onMutate: (weekly_enabled) => setPending(weekly_enabled),
    onSuccess: (data) => queryClient.setQueryData(["reports", "preferences"], data),
    onSettled: () => setPending(null),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <FileText className="size-4 text-primary" aria-hidden />
          Weekly report
        </CardTitle>
        <CardDescription>
          Every Monday at 08:00 store time, last week's figures by email: a chart, the daily numbers and a CSV of
          every hour.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {prefs.isPending ? (
          <Spinner />
        ) : prefs.isError ? (
          <ErrorNote error={prefs.error} />
        ) : (
          <div className="flex items-center gap-2">
            <input
              id="weekly-report"
              type="checkbox"
              checked={pending ?? prefs.data.weekly_enabled}
              onChange={(e) => toggle.mutate(e.target.checked)}
              className="size-4 accent-[var(--color-primary)]"
            />
            <Label htmlFor="weekly-report">Email me the weekly report (for every store I own)</Label>
          </div>
        )}
        <ErrorNote error={toggle.error} />
        <h2 className="text-sm font-semibold">Preview: last week</h2>
        {preview.isPending ? (
          <Spinner label="Loading the preview…" />
        ) : preview.isError ? (
          <ErrorNote error={preview.error} />
        ) : (
          <iframe
            title="Weekly report preview"
            srcDoc={String(preview.data)}
            // No scripts in the frame; same origin only so that its height can be read here.
            sandbox="allow-same-origin"
            data-testid="report-preview"
            onLoad={(e) => fitToContent(e.currentTarget)}
            className="h-[40rem] w-full rounded-md border bg-white"
          />
        )}
      </CardContent>
    </Card>
  );
}
