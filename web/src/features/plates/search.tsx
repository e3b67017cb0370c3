import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { ChevronLeft, ChevronRight, Download, ImageOff, Search } from "lucide-react";
import { type FormEvent, useId, useRef, useState } from "react";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Button, buttonVariants } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { API_URL } from "@/lib/api";
import { dateTimeInZone, number, tzLabel } from "@/lib/format";
import { usePageTitle } from "@/lib/title";
import { type PlateRead, plateKeys, searchPlates } from "@/features/plates/api";
import { CropDialog } from "@/features/plates/crop-dialog";
import { formatConfidence } from "@/features/plates/format";
import {
  exportCsvUrl,
  MAX_PLATE_CHARS,
  PAGE_SIZE,
  pageBounds,
  pageQuery,
  type PlateSearch,
  resolveApiUrl,
} from "@/features/plates/params";
import { DayRangeFields } from "@/features/plates/day-range-fields";
import { useCurrentSite } from "@/features/plates/site";

/** /plates/$storeId/search: find reads of a plate (every search is audited). */
export function PlateSearchPage() {
  const { storeId, site } = useCurrentSite();
  const search = useSearch({ from: "/authed/plates/$storeId/search" });
  usePageTitle(search.q ? `“${search.q}”` : "Search", site?.name, "Plates");
  if (!site) return null;
  return (
    <div className="flex flex-col gap-5">
      <SearchForm key={JSON.stringify(search)} storeId={storeId} search={search} timezone={site.timezone} />
      {search.q !== undefined && !rangeReversed(search) && (
        <Results storeId={storeId} search={search} timezone={site.timezone} />
      )}
    </div>
  );
}

/** "To" before "From": the form says so and nothing is searched. */
function rangeReversed(search: PlateSearch): boolean {
  return !!search.from && !!search.to && search.from > search.to;
}

function SearchForm({ storeId, search, timezone }: { storeId: string; search: PlateSearch; timezone: string }) {
  const navigate = useNavigate();
  const [q, setQ] = useState(search.q ?? "");
  const [fuzzy, setFuzzy] = useState(search.fuzzy ?? false);
  const [from, setFrom] = useState(search.from ?? "");
  const [to, setTo] = useState(search.to ?? "");
  const hintId = useId();
  const rangeBad = !!from && !!to && from > to;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rangeBad) return;
    void navigate({
      to: "/plates/$storeId/search",
      params: { storeId },
      search: { q: q.trim(), fuzzy: fuzzy || undefined, from: from || undefined, to: to || undefined },
    });
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>Search plates</CardTitle>
        <CardDescription>
          Every search is recorded with your name. Dates are days in {tzLabel(timezone)}.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} role="search" aria-label="Search plates" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-[2fr_1fr_1fr_auto] lg:items-end">
          <div className="flex flex-col gap-1.5 sm:col-span-2 lg:col-span-1">
            <Label htmlFor="plate-q">Plate</Label>
            <Input
              id="plate-q"
              value={q}
              maxLength={MAX_PLATE_CHARS}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. AB123CD"
              aria-describedby={hintId}
              className="font-mono uppercase placeholder:normal-case placeholder:font-sans"
              onChange={(e) => setQ(e.target.value)}
            />
          </div>
          <DayRangeFields idPrefix="plate" from={from} to={to} onFrom={setFrom} onTo={setTo} />
          <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-4">
            <input
              id="plate-fuzzy"
              type="checkbox"
              checked={fuzzy}
              onChange={(e) => setFuzzy(e.target.checked)}
              className="size-4 accent-[var(--color-primary)]"
            />
            <Label htmlFor="plate-fuzzy">Similar plates too (fuzzy)</Label>
          </div>
          <Button type="submit" disabled={rangeBad} className="sm:col-span-2 lg:col-span-1 lg:col-start-4 lg:row-start-1">
            <Search aria-hidden />
            Search
          </Button>
          <p id={hintId} className="text-xs text-muted-foreground sm:col-span-2 lg:col-span-4">
            Spaces and dashes are ignored. Fuzzy also finds plates one or two characters off and
            the usual mix-ups (O/0, I/1, B/8, S/5, Z/2). Leave the plate empty to list every read in the dates.
          </p>
          {rangeBad && (
            <p role="alert" className="text-sm text-destructive sm:col-span-2 lg:col-span-4">
              The “To” day is before the “From” day.
            </p>
          )}
        </form>
      </CardContent>
    </Card>
  );
}

function Results({ storeId, search, timezone }: { storeId: string; search: PlateSearch; timezone: string }) {
  const navigate = useNavigate();
  const query = pageQuery(storeId, search, timezone);
  const results = useQuery({
    queryKey: plateKeys.search(storeId, query),
    queryFn: () => searchPlates(query),
    placeholderData: keepPreviousData,
  });
  const [open, setOpen] = useState<PlateRead | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const show = (read: PlateRead) => (e: { currentTarget: HTMLElement }) => {
    opener.current = e.currentTarget;
    setOpen(read);
  };
  const page = search.page ?? 0;
  const goto = (next: number) =>
    void navigate({ to: "/plates/$storeId/search", params: { storeId }, search: { ...search, page: next || undefined } });

  if (results.isPending) return <Spinner label="Searching…" />;
  if (results.isError) return <ErrorNote error={results.error} />;
  const { results: reads, total } = results.data;
  const bounds = pageBounds(page, reads.length, total);
  const when = (iso: string) => dateTimeInZone(iso, timezone);

  return (
    <section aria-labelledby="results-title" className="flex flex-col gap-3">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
        <div>
          <h2 id="results-title" className="text-lg font-semibold">Results</h2>
          <p className="text-sm text-muted-foreground" role="status" data-testid="result-count">
            {total === 0
              ? "No plates found."
              : `${number.format(bounds.first)}–${number.format(bounds.last)} of ${number.format(total)} ${total === 1 ? "read" : "reads"}`}
          </p>
        </div>
        {total > 0 && (
          <a
            href={exportCsvUrl(API_URL, storeId, search, timezone)}
            download
            className={buttonVariants({ variant: "outline", size: "sm" })}
          >
            <Download aria-hidden />
            Export CSV
          </a>
        )}
      </div>
      {reads.length === 0 ? (
        <EmptyState title="No plates found" icon={<ImageOff />} testId="no-results">
          {search.fuzzy ? "Try other dates." : "Try the fuzzy search, or other dates."}
        </EmptyState>
      ) : (
        <>
          <ul className="flex flex-col gap-2 sm:hidden" aria-label="Plate reads">
            {reads.map((r) => (
              <li key={r.id} className="flex items-center gap-3 rounded-lg border bg-card p-2">
                <Thumb read={r} onOpen={show(r)} />
                <div className="min-w-0 flex-1 text-sm">
                  <p className="font-mono font-semibold">{r.normalized}</p>
                  <p className="text-xs text-muted-foreground">
                    {when(r.occurred_at)} · {formatConfidence(r.confidence)}
                    {r.vehicle_class ? ` · ${r.vehicle_class}` : ""}
                  </p>
                </div>
              </li>
            ))}
          </ul>
          <div className="hidden overflow-x-auto rounded-lg border bg-card sm:block">
            <table className="w-full min-w-[640px] text-sm">
              <caption className="sr-only">Plate reads found, newest first</caption>
              <thead className="bg-muted/60 text-left text-xs text-muted-foreground">
                <tr>
                  <th scope="col" className="w-24 px-3 py-2 font-medium">Crop</th>
                  <th scope="col" className="px-3 py-2 font-medium">Plate</th>
                  <th scope="col" className="px-3 py-2 font-medium">Read as</th>
                  <th scope="col" className="px-3 py-2 text-right font-medium">Confidence</th>
                  <th scope="col" className="px-3 py-2 font-medium">Vehicle</th>
                  <th scope="col" className="px-3 py-2 font-medium">Seen</th>
                  <th scope="col" className="px-3 py-2 font-medium">Source</th>
                </tr>
              </thead>
              <tbody className="divide-y">
                {reads.map((r) => (
                  <tr key={r.id} data-testid="plate-row">
                    <td className="px-3 py-1.5"><Thumb read={r} onOpen={show(r)} /></td>
                    <th scope="row" className="px-3 py-2 text-left font-mono font-semibold">{r.normalized}</th>
                    <td className="px-3 py-2 font-mono text-muted-foreground">{r.text}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{formatConfidence(r.confidence)}</td>
                    <td className="px-3 py-2">{r.vehicle_class ?? "—"}</td>
                    <td className="px-3 py-2 whitespace-nowrap tabular-nums">{when(r.occurred_at)}</td>
                    <td className="px-3 py-2">{r.job_id ? "Upload" : r.camera_id ? "Camera" : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {total > PAGE_SIZE && (
        <nav aria-label="Result pages" className="flex items-center justify-end gap-2">
          <Button variant="outline" size="sm" disabled={page === 0} onClick={() => goto(page - 1)}>
            <ChevronLeft aria-hidden />
            Previous
          </Button>
          <Button variant="outline" size="sm" disabled={bounds.last >= total} onClick={() => goto(page + 1)}>
            Next
            <ChevronRight aria-hidden />
          </Button>
        </nav>
      )}
      <CropDialog read={open} timezone={timezone} onClose={() => setOpen(null)} returnFocus={() => opener.current} />
    </section>
  );
}

function Thumb({ read, onOpen }: { read: PlateRead; onOpen: (e: { currentTarget: HTMLElement }) => void }) {
  if (!read.crop_url) {
    return (
      <span className="flex h-12 w-20 items-center justify-center rounded border bg-muted text-muted-foreground" title="No crop kept">
        <ImageOff className="size-4" aria-label="No crop" />
      </span>
    );
  }
  return (
    <button
      type="button"
      onClick={onOpen}
      aria-label={`Open the crop of ${read.normalized}`}
      className="block h-12 w-20 shrink-0 overflow-hidden rounded border bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
    >
      <img src={resolveApiUrl(API_URL, read.crop_url)} alt="" loading="lazy" className="size-full object-cover" />
    </button>
  );
}
