/** CSV export of a period's series, made in the browser (RFC 4180 quoting). */

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export interface SeriesRow {
  start: string;
  label: string;
  footfall_in: number;
  footfall_out: number;
}

export function seriesCsv(series: SeriesRow[], timezone: string): string {
  return toCsv(
    [`start (${timezone})`, "label", "footfall_in", "footfall_out"],
    series.map((r) => [r.start, r.label, r.footfall_in, r.footfall_out]),
  );
}

export function csvFilename(storeName: string, period: string, date: string): string {
  const slug = storeName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "store";
  return `metrica-${slug}-${period}-${date}.csv`;
}

/** Hand a CSV to the browser as a download via a Blob URL. */
export function downloadCsv(filename: string, csv: string): void {
  const blob = new Blob([csv], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
