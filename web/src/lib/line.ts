/**
 * Counting-line maths for the calibration editor, in normalised image coordinates
 * (0..1, x right, y down) exactly like `metrica.domain.geometry`: a line is the directed
 * segment P1→P2 and IN is crossing from its left-hand side to its right-hand side as seen
 * in the image (the sign of cross(P2−P1, X−P1) going from negative to positive).
 */

export interface Point {
  x: number;
  y: number;
}

export interface EditableLine {
  line_id: string;
  name: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const MIN_LENGTH = 1e-3;
const LINE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function clamp01(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

/** Round to 4 decimals: a tenth of a pixel on a 1000-pixel frame, and tidy JSON. */
export function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** A pointer position inside `rect` as normalised, clamped coordinates. */
export function toNormalised(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
): Point {
  return {
    x: round4(clamp01((clientX - rect.left) / rect.width)),
    y: round4(clamp01((clientY - rect.top) / rect.height)),
  };
}

/** cross(P2−P1, X−P1): negative on the OUT (left-hand) side, positive on the IN side. */
export function sideOf(line: EditableLine, p: Point): number {
  return (line.x2 - line.x1) * (p.y - line.y1) - (line.y2 - line.y1) * (p.x - line.x1);
}

/** The same segment with IN and OUT swapped (swap the points, as the worker does). */
export function flip(line: EditableLine): EditableLine {
  return { ...line, x1: line.x2, y1: line.y2, x2: line.x1, y2: line.y1 };
}

/**
 * The IN arrow in pixel space of a `width` x `height` frame: starts at the segment's
 * midpoint and points to the right-hand (IN) side, `length_px` long.
 */
export function inArrow(
  line: EditableLine,
  width: number,
  height: number,
  length_px = 40,
): { from: Point; to: Point } {
  const x1 = line.x1 * width;
  const y1 = line.y1 * height;
  const x2 = line.x2 * width;
  const y2 = line.y2 * height;
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len = Math.hypot(dx, dy) || 1;
  // Right-hand normal in a y-down frame: (−dy, dx).
  const nx = -dy / len;
  const ny = dx / len;
  const from = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
  return { from, to: { x: from.x + nx * length_px, y: from.y + ny * length_px } };
}

export function lineLength(line: EditableLine): number {
  return Math.hypot(line.x2 - line.x1, line.y2 - line.y1);
}

/** Turn a human name into a line id the worker accepts (`[A-Za-z0-9_.-]{1,64}`). */
export function slugId(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return slug || "line";
}

/** Problems that would make the backend (or the worker) refuse the line; empty = fine. */
export function validateLine(line: EditableLine): string[] {
  const problems: string[] = [];
  if (!LINE_ID.test(line.line_id)) problems.push("Line id must be 1–64 letters, digits, _ . or -");
  if (!line.name.trim()) problems.push("Give the line a name");
  for (const key of ["x1", "y1", "x2", "y2"] as const) {
    const v = line[key];
    if (!Number.isFinite(v) || v < 0 || v > 1) problems.push(`${key} must be between 0 and 1`);
  }
  if (lineLength(line) < MIN_LENGTH) problems.push("The two points must not coincide");
  return problems;
}

/** The worker's `--line ID=x1,y1,x2,y2` form. */
export function lineArg(line: EditableLine): string {
  const f = (v: number) => String(round4(v));
  return `${line.line_id}=${f(line.x1)},${f(line.y1)},${f(line.x2)},${f(line.y2)}`;
}

export function defaultLine(): EditableLine {
  return { line_id: "entrance", name: "Entrance", x1: 0.2, y1: 0.5, x2: 0.8, y2: 0.5 };
}
