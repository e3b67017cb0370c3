import { type FormEvent, useMemo, useState } from "react";
import type { StorePublic } from "@/client/types.gen";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const WEEKDAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export type OpeningHours = Record<string, string[] | null>;

export interface StoreFormValue {
  name: string;
  timezone: string;
  opening_hours: OpeningHours;
}

export function timezones(): string[] {
  try {
    const zones = Intl.supportedValuesOf("timeZone");
    return zones.includes("UTC") ? zones : ["UTC", ...zones];
  } catch {
    return ["UTC", "Europe/Berlin", "Europe/London", "America/New_York"];
  }
}

export function browserTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function defaultHours(): OpeningHours {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, d === "sun" ? null : ["09:00", "20:00"]]));
}

export function StoreForm({
  initial,
  submitLabel,
  onSubmit,
}: {
  initial?: StorePublic;
  submitLabel: string;
  onSubmit: (value: StoreFormValue) => Promise<unknown>;
}) {
  const [name, setName] = useState(initial?.name ?? "");
  const [timezone, setTimezone] = useState(initial?.timezone ?? browserTimezone());
  const [hours, setHours] = useState<OpeningHours>(initial?.opening_hours ?? defaultHours());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const zones = useMemo(() => {
    const all = timezones();
    return all.includes(timezone) ? all : [timezone, ...all];
  }, [timezone]);

  const setDay = (day: string, value: string[] | null) => setHours((h) => ({ ...h, [day]: value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ name: name.trim(), timezone, opening_hours: hours });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label={submitLabel}>
      <div className="grid gap-4 sm:grid-cols-2">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="store-name">Name</Label>
          <Input id="store-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="store-tz">Timezone</Label>
          <Select id="store-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-2 text-sm font-medium">Opening hours ({timezone} time)</legend>
        {WEEKDAYS.map((day) => {
          const value = hours[day] ?? null;
          return (
            <div key={day} className="grid grid-cols-[6.5rem_1fr] items-center gap-2 sm:grid-cols-[8rem_5rem_1fr]">
              <span className="text-sm">{WEEKDAY_NAMES[day]}</span>
              <label className="flex items-center gap-1.5 text-sm">
                <input
                  type="checkbox"
                  className="size-4 accent-[var(--color-primary)]"
                  checked={value !== null}
                  onChange={(e) => setDay(day, e.target.checked ? ["09:00", "20:00"] : null)}
                />
                Open
              </label>
              {value ? (
                <div className="col-span-2 flex items-center gap-1.5 sm:col-span-1">
                  <Input
                    type="time"
                    aria-label={`${WEEKDAY_NAMES[day]} opens`}
                    className="w-28"
                    value={value[0]}
                    onChange={(e) => setDay(day, [e.target.value, value[1]])}
                  />
                  <span aria-hidden>–</span>
                  <Input
                    type="time"
                    aria-label={`${WEEKDAY_NAMES[day]} closes`}
                    className="w-28"
                    value={value[1]}
                    onChange={(e) => setDay(day, [value[0], e.target.value])}
                  />
                </div>
              ) : (
                <span className="col-span-2 text-sm text-muted-foreground sm:col-span-1">Closed</span>
              )}
            </div>
          );
        })}
      </fieldset>
      <ErrorNote error={error} />
      <div>
        <Button type="submit" disabled={busy || !name.trim()}>
          {busy ? "Saving…" : submitLabel}
        </Button>
      </div>
    </form>
  );
}
