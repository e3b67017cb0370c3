/**
 * Evenly spaced chart ticks: every how-many points to skip (Recharts' `interval`), so that
 * hour labels read 00, 03, 06 … on a phone and 00, 02, 04 … on a wide screen, instead of
 * whatever irregular subset fits.
 */
export function tickInterval(points: number, narrow: boolean): number {
  if (points <= 8) return 0; // a week: every day
  if (points <= 25) return narrow ? 2 : 1; // a day's hours (23-25 on DST days)
  return narrow ? 6 : 1; // a month's days: weekly on a phone
}

/** Whole-hour instants (ms) from `startMs` to `endMs`, every `everyHours` hours. */
export function hourTicks(startMs: number, endMs: number, everyHours: number): number[] {
  const ticks: number[] = [];
  for (let t = startMs; t <= endMs; t += everyHours * 3_600_000) ticks.push(t);
  return ticks;
}
