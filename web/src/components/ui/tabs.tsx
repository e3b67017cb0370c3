import { type KeyboardEvent, useRef } from "react";
import { cn } from "@/lib/utils";

/**
 * Where a key moves the selection in a radio group of `count` options (WAI-ARIA radio
 * group pattern): arrows go to the previous/next option and wrap, Home/End to the ends.
 * `null` for any other key.
 */
export function radioKeyTarget(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return (index + 1) % count;
    case "ArrowLeft":
    case "ArrowUp":
      return (index - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/**
 * Roving focus for a radio group: one tab stop (the checked option, or the first when none
 * is), arrow keys select and focus the next option. Spread `item(i)` on each option.
 */
export function useRadioGroupKeys(count: number, selected: number, select: (index: number) => void) {
  const refs = useRef<(HTMLElement | null)[]>([]);
  const tabStop = selected >= 0 && selected < count ? selected : 0;
  return (index: number) => ({
    ref: (el: HTMLElement | null) => {
      refs.current[index] = el;
    },
    tabIndex: index === tabStop ? 0 : -1,
    onKeyDown: (e: KeyboardEvent) => {
      const next = radioKeyTarget(e.key, index, count);
      if (next === null) return;
      e.preventDefault();
      select(next);
      refs.current[next]?.focus();
    },
  });
}

/**
 * A segmented control: a radio group of buttons. Keyboard: Tab reaches the checked option
 * (one tab stop), arrow keys / Home / End move the selection.
 */
export function Segmented<T extends string>({
  value,
  options,
  onChange,
  label,
}: {
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
  label: string;
}) {
  const item = useRadioGroupKeys(
    options.length,
    options.findIndex((o) => o.value === value),
    (i) => onChange(options[i].value),
  );
  return (
    <div role="radiogroup" aria-label={label} className="inline-flex rounded-md bg-muted p-0.5">
      {options.map((o, i) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={value === o.value}
          onClick={() => onChange(o.value)}
          {...item(i)}
          className={cn(
            "rounded-[5px] px-3 py-1.5 text-sm font-medium transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring cursor-pointer",
            value === o.value
              ? "bg-card text-foreground shadow-sm"
              : "text-muted-foreground hover:text-foreground",
          )}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
