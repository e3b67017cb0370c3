import { CalendarDays } from "lucide-react";
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from "react";
import { Input } from "@/components/ui/input";

/** The earliest date the API answers for (metrica.domain.limits.EARLIEST_DATE). */
export const EARLIEST_DATE = "2000-01-01";

/**
 * What a typed date commits to: a complete YYYY-MM-DD clamped into [min, max], or null
 * for a partial or invalid entry (typing "2025" passes through 0002 and 0025 on the way:
 * none of those may load).
 */
export function committedDate(value: string, min: string, max: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const [y, m, d] = value.split("-").map(Number);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  if (y < 1000) return null;
  return value < min ? min : value > max ? max : value;
}

/**
 * The period's date box: edits stay local while typing or stepping with the arrow keys,
 * and apply on Enter or when focus leaves (an invalid entry snaps back).
 */
export const DateField = forwardRef<
  HTMLInputElement,
  { id: string; value: string; min: string; max: string; onCommit: (date: string) => void }
>(function DateField({ id, value, min, max, onCommit }, ref) {
  const [draft, setDraft] = useState(value);
  const inner = useRef<HTMLInputElement>(null);
  useImperativeHandle(ref, () => inner.current as HTMLInputElement);
  useEffect(() => setDraft(value), [value]);
  // What the box shows is the truth: Chromium steps a segment with the arrow keys without
  // always firing an input event (wrapping the year at `max` does not).
  const commit = (shown: string) => {
    const next = committedDate(shown, min, max);
    if (next === null || next === value) {
      setDraft(value);
      if (inner.current && inner.current.value !== value) inner.current.value = value; // snap back
    } else onCommit(next);
  };
  return (
    <div className="relative">
      <CalendarDays className="pointer-events-none absolute left-2 top-1/2 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
      <Input
        ref={inner}
        id={id}
        type="date"
        className="w-[10.5rem] pl-8"
        value={draft}
        min={min}
        max={max}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={(e) => commit(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            commit(e.currentTarget.value);
          } else if (e.key === "Escape") setDraft(value);
        }}
      />
    </div>
  );
});
