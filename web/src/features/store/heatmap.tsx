import { hourRange, WEEKDAY_SHORT, number } from "@/lib/format";

/** IN by weekday (Mon..Sun) x local hour, as an accessible table with shaded cells. */
export function Heatmap({ cells, timezone }: { cells: number[][]; timezone: string }) {
  const max = Math.max(1, ...cells.flat());
  const hours = Array.from({ length: 24 }, (_, h) => h);
  return (
    <div className="relative overflow-x-auto" tabIndex={0} role="region" aria-label="Weekday by hour heatmap (scrolls sideways)">
      <table className="w-full min-w-[18rem] table-fixed border-separate border-spacing-[1px] text-[10px] sm:border-spacing-[2px]">
        <caption className="sr-only">People in by weekday and hour, {timezone} time</caption>
        <thead>
          <tr>
            <th scope="col" className="w-8 sm:w-9"><span className="sr-only">Weekday</span></th>
            {hours.map((h) => (
              <th key={h} scope="col" className="font-normal text-muted-foreground">
                {h % 3 === 0 ? String(h).padStart(2, "0") : ""}
                <span className="sr-only">{hourRange(h)}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {WEEKDAY_SHORT.map((day, d) => (
            <tr key={day}>
              <th scope="row" className="pr-1 text-left font-medium text-muted-foreground">{day}</th>
              {hours.map((h) => {
                const v = cells[d]?.[h] ?? 0;
                const alpha = v === 0 ? 0 : 0.12 + 0.88 * (v / max);
                return (
                  <td
                    key={h}
                    title={`${day} ${hourRange(h)}: ${number.format(v)} in`}
                    className="h-6 rounded-[3px] bg-muted text-center"
                    style={v ? { backgroundColor: `oklch(0.5 0.15 255 / ${alpha.toFixed(2)})` } : undefined}
                  >
                    <span className="sr-only">{v}</span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="mt-2 flex items-center gap-2 text-[11px] text-muted-foreground">
        <span>0</span>
        <span className="h-2 w-24 rounded bg-gradient-to-r from-[oklch(0.5_0.15_255/0.12)] to-[oklch(0.5_0.15_255)]" aria-hidden />
        <span>{number.format(max)} in per hour</span>
      </div>
    </div>
  );
}
