import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { OccupancyPoint } from "@/client/types.gen";
import { ChartTable } from "@/features/store/chart-table";
import { hourTicks } from "@/features/store/ticks";
import { useNarrow } from "@/features/store/use-narrow";
import { timeInZone } from "@/lib/format";

/**
 * People inside through the day (every 15 minutes, up to now), on an axis of the whole
 * local day so the morning is on the left even at 06:00. The values are a table below.
 */
export function OccupancyChart({
  points,
  dayStart,
  dayEnd,
  timezone,
}: {
  points: OccupancyPoint[];
  dayStart: string;
  dayEnd: string;
  timezone: string;
}) {
  const narrow = useNarrow();
  const start = Date.parse(dayStart);
  const end = Date.parse(dayEnd);
  const data = points.map((p) => ({ t: Date.parse(p.at), occupancy: p.occupancy }));
  // The table: on the hour (local: `at` carries the store's offset) and now.
  const hourly = points.filter((p, i) => p.at.slice(14, 16) === "00" || i === points.length - 1);
  const caption = `People in the store through the day, ${timezone} time`;
  return (
    <figure aria-label={caption} className="w-full" data-testid="occupancy-chart">
      <div className="h-64 w-full sm:h-72" aria-hidden>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 8, left: -16, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="var(--color-border)" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[start, end]}
              ticks={hourTicks(start, end, narrow ? 6 : 3)}
              tickFormatter={(t: number) => timeInZone(new Date(t).toISOString(), timezone)}
              tickLine={false}
              axisLine={false}
              fontSize={11}
              stroke="var(--color-muted-foreground)"
            />
            <YAxis
              allowDecimals={false}
              tickLine={false}
              axisLine={false}
              fontSize={11}
              width={44}
              stroke="var(--color-muted-foreground)"
            />
            <Tooltip
              labelFormatter={(t) => timeInZone(new Date(Number(t)).toISOString(), timezone)}
              formatter={(v) => [v, "In the store"]}
              contentStyle={{ borderRadius: 8, fontSize: 12, borderColor: "var(--color-border)" }}
            />
            <Line
              type="stepAfter"
              dataKey="occupancy"
              stroke="var(--color-chart-in)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="sr-only">{caption}</figcaption>
      <ChartTable
        caption={caption}
        columns={["Time", "In the store"]}
        rows={hourly.map((p) => ({ label: timeInZone(p.at, timezone), values: [p.occupancy] }))}
        testId="occupancy-table"
      />
    </figure>
  );
}
