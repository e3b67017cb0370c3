import { number } from "@/lib/format";

/**
 * A chart's values as text: a disclosure with a table, so screen readers and keyboard
 * users get every value (the drawing is hidden from them) and anyone can read exact figures.
 */
export function ChartTable({
  caption,
  columns,
  rows,
  testId,
}: {
  caption: string;
  columns: string[];
  rows: { label: string; values: number[] }[];
  testId?: string;
}) {
  return (
    <details className="mt-2 text-sm" data-testid={testId}>
      <summary className="w-fit cursor-pointer rounded text-xs font-medium text-muted-foreground underline-offset-2 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
        Show values as a table
      </summary>
      <div className="mt-2 max-h-72 overflow-auto" tabIndex={0} role="region" aria-label={`${caption} (table)`}>
        <table className="w-full text-left text-xs tabular-nums">
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={c} scope="col" className={i ? "px-2 py-1 text-right" : "py-1 pr-2"}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label} className="border-t">
                <th scope="row" className="py-1 pr-2 font-normal">{r.label}</th>
                {r.values.map((v, i) => (
                  <td key={columns[i + 1]} className="px-2 py-1 text-right">{number.format(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
