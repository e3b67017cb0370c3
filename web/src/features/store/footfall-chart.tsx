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
import { dayFull, dayTick } from "@/lib/format";

/** IN and OUT per hour (day) or per day (week, month). */
export function FootfallChart({
  series,
  caption,
  perDay,
}: {
  series: SeriesPointPublic[];
  caption: string;
  perDay: boolean;
}) {
  const data = series.map((p) => ({
    label: perDay ? dayTick(p.start) : p.label,
    full: perDay ? dayFull(p.start) : p.label,
    IN: p.footfall_in,
    OUT: p.footfall_out,
  }));
  return (
    <figure aria-label={caption} className="h-64 w-full sm:h-72">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 4, left: -16, bottom: 0 }} barGap={1}>
          <CartesianGrid vertical={false} stroke="var(--color-border)" />
          <XAxis
            dataKey="label"
            tickLine={false}
            axisLine={false}
            fontSize={11}
            interval="preserveStartEnd"
            minTickGap={8}
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
      <figcaption className="sr-only">{caption}</figcaption>
    </figure>
  );
}
