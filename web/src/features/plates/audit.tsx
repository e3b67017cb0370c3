import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { ChevronLeft, ChevronRight, Filter, ScrollText } from "lucide-react";
import { type FormEvent, useState } from "react";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { dateTimeInZone, number, tzLabel } from "@/lib/format";
import { useMe } from "@/lib/auth";
import { isClerk } from "@/lib/plates";
import { usePageTitle } from "@/lib/title";
import { type AuditEntry, auditLog, plateKeys } from "@/features/plates/api";
import {
  AUDIT_ACTION_LABELS,
  AUDIT_ACTIONS,
  AUDIT_PAGE_SIZE,
  type AuditAction,
  type AuditSearch,
  auditQuery,
  MAX_WHO_CHARS,
} from "@/features/plates/audit-params";
import { DayRangeFields } from "@/features/plates/day-range-fields";
import { useCurrentSite } from "@/features/plates/site";

/** /plates/$storeId/audit: who searched, viewed, exported or erased plates, and when. */
export function PlateAuditPage() {
  const { storeId, site } = useCurrentSite();
  const search = useSearch({ from: "/authed/plates/$storeId/audit" });
  const me = useMe();
  usePageTitle("Access log", site?.name, "Plates");
  if (!site || me.isPending) return null;
  if (isClerk(me.data)) {
    return (
      <EmptyState title="Access log" icon={<ScrollText />} testId="audit-closed">
        The access log is for the site’s owners and administrators.
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-5">
      <AuditFilters key={JSON.stringify(search)} storeId={storeId} search={search} timezone={site.timezone} />
      {!(search.from && search.to && search.from > search.to) && (
        <AuditEntries storeId={storeId} search={search} timezone={site.timezone} />
      )}
    </div>
  );
}

function AuditFilters({ storeId, search, timezone }: { storeId: string; search: AuditSearch; timezone: string }) {
  const navigate = useNavigate();
  const [action, setAction] = useState<AuditAction | "">(search.action ?? "");
  const [who, setWho] = useState(search.who ?? "");
  const [from, setFrom] = useState(search.from ?? "");
  const [to, setTo] = useState(search.to ?? "");
  const rangeBad = !!from && !!to && from > to;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rangeBad) return;
    void navigate({
      to: "/plates/$storeId/audit",
      params: { storeId },
      search: { action: action || undefined, who: who.trim() || undefined, from: from || undefined, to: to || undefined },
    });
  };
  const filtered = !!(search.action || search.who || search.from || search.to);
  return (
    <Card>
      <CardHeader>
        <CardTitle>Access log</CardTitle>
        <CardDescription>
          Every search, crop view, export, erasure and watchlist change at this site, with who did it. Erased plates
          appear only as a code. Days are in {tzLabel(timezone)}.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form
          onSubmit={submit}
          role="search"
          aria-label="Filter the access log"
          className="grid gap-4 sm:grid-cols-2 lg:grid-cols-[1fr_1.5fr_1fr_1fr_auto] lg:items-end"
        >
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="audit-action">Action</Label>
            <select
              id="audit-action"
              value={action}
              onChange={(e) => setAction(e.target.value as AuditAction | "")}
              className="h-9 rounded-md border border-input bg-background px-3 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
            >
              <option value="">All actions</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {AUDIT_ACTION_LABELS[a]}
                </option>
              ))}
            </select>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="audit-who">Who (email contains)</Label>
            <Input
              id="audit-who"
              value={who}
              maxLength={MAX_WHO_CHARS}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setWho(e.target.value)}
            />
          </div>
          <DayRangeFields idPrefix="audit" from={from} to={to} onFrom={setFrom} onTo={setTo} />
          <div className="flex gap-2 sm:col-span-2 lg:col-span-1">
            <Button type="submit" disabled={rangeBad} className="flex-1 lg:flex-none">
              <Filter aria-hidden />
              Filter
            </Button>
            {filtered && (
              <Button
                type="button"
                variant="outline"
                onClick={() => void navigate({ to: "/plates/$storeId/audit", params: { storeId }, search: {} })}
              >
                Clear
              </Button>
            )}
          </div>
          {rangeBad && (
            <p role="alert" className="text-sm text-destructive sm:col-span-2 lg:col-span-5">
              The “To” day is before the “From” day.
            </p>
          )}
        </form>
      </CardContent>
    </Card>
  );
}

function AuditEntries({ storeId, search, timezone }: { storeId: string; search: AuditSearch; timezone: string }) {
  const navigate = useNavigate();
  const query = auditQuery(storeId, search, timezone);
  const log = useQuery({
    queryKey: plateKeys.audit(storeId, query),
    queryFn: () => auditLog(query),
    placeholderData: keepPreviousData,
  });
  const page = search.page ?? 0;
  const goto = (next: number) =>
    void navigate({ to: "/plates/$storeId/audit", params: { storeId }, search: { ...search, page: next || undefined } });

  if (log.isPending) return <Spinner label="Loading the access log…" />;
  if (log.isError) return <ErrorNote error={log.error} />;
  const { entries, total } = log.data;
  const first = entries.length ? page * AUDIT_PAGE_SIZE + 1 : 0;
  const last = page * AUDIT_PAGE_SIZE + entries.length;
  const when = (e: AuditEntry) => dateTimeInZone(e.at, timezone);
  const label = (e: AuditEntry) => AUDIT_ACTION_LABELS[e.action as AuditAction] ?? e.action;

  return (
    <section aria-labelledby="audit-title" className="flex flex-col gap-3">
      <div>
        <h2 id="audit-title" className="text-lg font-semibold">Entries</h2>
        <p className="text-sm text-muted-foreground" role="status" data-testid="audit-count">
          {total === 0
            ? "No entries."
            : `${number.format(first)}–${number.format(last)} of ${number.format(total)} ${total === 1 ? "entry" : "entries"}, newest first`}
        </p>
      </div>
      {entries.length === 0 ? (
        <EmptyState title="No entries" icon={<ScrollText />} testId="no-audit">
          {search.action || search.who || search.from || search.to
            ? "Nothing matches these filters."
            : "Nobody has looked at plates here yet."}
        </EmptyState>
      ) : (
        <>
          <ul className="flex flex-col gap-2 sm:hidden" aria-label="Access log entries">
            {entries.map((e, i) => (
              <li key={`${e.at}-${i}`} className="rounded-lg border bg-card p-3 text-sm">
                <p className="font-medium">
                  {label(e)} <span className="text-muted-foreground">· {when(e)}</span>
                </p>
                <p className="break-all">{e.user_email}</p>
                <p className="break-all font-mono text-xs text-muted-foreground">
                  {e.query || "—"} · {number.format(e.result_count)} {e.result_count === 1 ? "result" : "results"}
                </p>
              </li>
            ))}
          </ul>
          <div className="hidden overflow-x-auto rounded-lg border bg-card sm:block">
            <table className="w-full min-w-[640px] text-sm">
              <caption className="sr-only">Access log entries, newest first</caption>
              <thead className="bg-muted/60 text-left text-xs text-muted-foreground">
                <tr>
                  <th scope="col" className="px-3 py-2 font-medium">When</th>
                  <th scope="col" className="px-3 py-2 font-medium">Who</th>
                  <th scope="col" className="px-3 py-2 font-medium">Action</th>
                  <th scope="col" className="px-3 py-2 font-medium">What</th>
                  <th scope="col" className="px-3 py-2 text-right font-medium">Results</th>
                </tr>
              </thead>
              <tbody className="divide-y">
                {entries.map((e, i) => (
                  <tr key={`${e.at}-${i}`} data-testid="audit-row">
                    <td className="whitespace-nowrap px-3 py-2 tabular-nums">{when(e)}</td>
                    <td className="break-all px-3 py-2">{e.user_email}</td>
                    <td className="px-3 py-2" data-testid="audit-action">{label(e)}</td>
                    <td className="max-w-[24rem] break-all px-3 py-2 font-mono text-xs">{e.query || "—"}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{number.format(e.result_count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {total > AUDIT_PAGE_SIZE && (
        <nav aria-label="Access log pages" className="flex items-center justify-end gap-2">
          <Button variant="outline" size="sm" disabled={page === 0} onClick={() => goto(page - 1)}>
            <ChevronLeft aria-hidden />
            Newer
          </Button>
          <Button variant="outline" size="sm" disabled={last >= total} onClick={() => goto(page + 1)}>
            Older
            <ChevronRight aria-hidden />
          </Button>
        </nav>
      )}
    </section>
  );
}
