import { cn } from "@/lib/utils";

/**
 * A labelled progress bar (role="progressbar"); `fraction` null = not known yet
 * (indeterminate: no aria-valuenow, as the ARIA pattern says).
 */
export function ProgressBar({
  fraction,
  label,
  valueText,
  className,
  tone = "primary",
}: {
  fraction: number | null;
  label: string;
  valueText?: string;
  className?: string;
  tone?: "primary" | "success" | "destructive" | "muted";
}) {
  const pct = fraction === null ? null : Math.round(fraction * 100);
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      aria-valuetext={valueText ?? (pct === null ? undefined : `${pct} %`)}
      className={cn("h-2 w-full overflow-hidden rounded-full bg-muted", className)}
    >
      <div
        className={cn(
          "h-full rounded-full transition-[width] duration-300",
          tone === "success" && "bg-success",
          tone === "destructive" && "bg-destructive",
          tone === "muted" && "bg-muted-foreground/40",
          tone === "primary" && "bg-primary",
          pct === null && "w-1/3 animate-pulse",
        )}
        style={pct === null ? undefined : { width: `${pct}%` }}
      />
    </div>
  );
}
