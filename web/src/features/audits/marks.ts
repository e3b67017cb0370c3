/** Pure helpers of the labelling page: frames and times, marks, keys. */

export type Direction = "in" | "out";

export interface Mark {
  line: string;
  direction: Direction;
  frame: number;
}

/** The media time that shows `frame` (its middle, so that rounding never lands on a neighbour). */
export function frameTime(frame: number, fps: number): number {
  return (frame + 0.5) / fps;
}

/** The frame a media time shows. */
export function timeFrame(t: number, fps: number, frames: number): number {
  return clampFrame(Math.floor(t * fps + 1e-6), frames);
}

export function clampFrame(frame: number, frames: number): number {
  return Math.max(0, Math.min(Math.max(frames - 1, 0), Math.round(frame)));
}

/** Marks kept in frame order; a second identical mark at the same frame is ignored. */
export function addMark(marks: readonly Mark[], mark: Mark): Mark[] {
  if (marks.some((m) => m.frame === mark.frame && m.line === mark.line && m.direction === mark.direction)) {
    return [...marks];
  }
  return [...marks, mark].sort((a, b) => a.frame - b.frame || a.line.localeCompare(b.line));
}

export type KeyAction =
  | { kind: "step"; frames: number }
  | { kind: "stepSeconds"; seconds: number }
  | { kind: "mark"; direction: Direction }
  | { kind: "undo" }
  | { kind: "line"; index: number }
  | { kind: "play" };

/** What a key press does on the labelling page (null: not ours). */
export function keyAction(e: Pick<KeyboardEvent, "key" | "shiftKey" | "ctrlKey" | "metaKey">): KeyAction | null {
  const key = e.key;
  if (key === "ArrowRight" || key === "ArrowLeft") {
    const sign = key === "ArrowRight" ? 1 : -1;
    return e.shiftKey ? { kind: "stepSeconds", seconds: sign } : { kind: "step", frames: sign };
  }
  if (key === "." || key === ",") return { kind: "step", frames: key === "." ? 1 : -1 };
  if ((e.ctrlKey || e.metaKey) && key.toLowerCase() === "z") return { kind: "undo" };
  if (e.ctrlKey || e.metaKey) return null;
  const lower = key.toLowerCase();
  if (lower === "i") return { kind: "mark", direction: "in" };
  if (lower === "o") return { kind: "mark", direction: "out" };
  if (lower === "u" || key === "Backspace") return { kind: "undo" };
  if (key === " " || lower === "k") return { kind: "play" };
  if (/^[1-9]$/.test(key)) return { kind: "line", index: Number(key) - 1 };
  return null;
}

/** "0:07.3 (frame 73)" */
export function clock(frame: number, fps: number): string {
  const t = frame / fps;
  const m = Math.floor(t / 60);
  const s = t - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}
