import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { SeriesPointPublic } from "@/client/types.gen";
import { ChartTable } from "@/features/store/chart-table";
import { tickInterval } from "@/features/store/ticks";
import { useNarrow } from "@/features/store/use-narrow";
import { dayFull, dayTick } from "@/lib/format";

/**
 * IN and OUT per hour (day) or per day (week, month). The drawing is hidden from assistive
 * technology (it was an unnamed tab stop); its values are a table below it.
 */
export function FootfallChart({
  series,
  caption,
  perDay,
}: {
  series: SeriesPointPublic[];
  caption: string;
  perDay: boolean;
}) {
  const narrow = useNarrow();
  const data = series.map((p) => ({
    label: perDay ? dayTick(p.start) : p.label,
    full: perDay ? dayFull(p.start) : p.label,
    IN: p.footfall_in,
    OUT: p.footfall_out,
  }));
  return (
    <figure aria-label={caption} className="w-full" data-testid="footfall-chart">
      <div className="h-64 w-full sm:h-72" aria-hidden>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart
            data={data}
            margin={{ top: 8, right: 4, left: -16, bottom: 0 }}
            barGap={1}
            accessibilityLayer={false}
          >
            <CartesianGrid vertical={false} stroke="var(--color-border)" />
            <XAxis
              dataKey="label"
              tickLine={false}
              axisLine={false}
              fontSize={11}
              interval={tickInterval(data.length, narrow)}
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
              labelFormatter={(_, payload) => payload?.[0]?.payload?.full ?? ""}
              cursor={{ fill: "var(--color-muted)" }}
              contentStyle={{ borderRadius: 8, fontSize: 12, borderColor: "var(--color-border)" }}
            />
            <Legend iconType="square" wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="IN" fill="var(--color-chart-in)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
            <Bar dataKey="OUT" fill="var(--color-chart-out)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="sr-only">{caption}</figcaption>
      <ChartTable
        caption={caption}
        columns={[perDay ? "Day" : "Hour", "IN", "OUT"]}
        rows={data.map((d) => ({ label: d.full, values: [d.IN, d.OUT] }))}
        testId="footfall-table"
      />
    </figure>
  );
}
