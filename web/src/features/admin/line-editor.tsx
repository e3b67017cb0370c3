import { ArrowLeftRight, Plus, Save, Trash2 } from "lucide-react";
import { type KeyboardEvent, type PointerEvent, useEffect, useId, useRef, useState } from "react";
import type { LineSpec } from "@/client/types.gen";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useRadioGroupKeys } from "@/components/ui/tabs";
import {
  clamp01,
  defaultLine,
  type EditableLine,
  flip,
  inArrow,
  lineArg,
  lineLength,
  MIN_LENGTH,
  round4,
  slugId,
  toNormalised,
  validateLine,
} from "@/lib/line";
import { cn } from "@/lib/utils";

const PLACEHOLDER = { w: 1600, h: 900 };
type Handle = 1 | 2;

export function fromSpecs(specs: LineSpec[]): EditableLine[] {
  return specs.map((s) => ({ ...s, name: s.name || s.line_id }));
}

function uniqueId(base: string, lines: EditableLine[], except: number): string {
  const taken = new Set(lines.filter((_, i) => i !== except).map((l) => l.line_id));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * Draw counting lines on the camera's snapshot: drag on the picture to draw a line, drag an
 * end point to move it, arrow keys nudge a focused end point. Coordinates are normalised
 * (0..1) so they survive a change of stream resolution.
 */
export function LineEditor({
  initial,
  snapshotUrl,
  crossOrigin,
  onSave,
}: {
  initial: LineSpec[];
  snapshotUrl: string | null;
  crossOrigin?: "use-credentials";
  onSave: (lines: LineSpec[]) => Promise<unknown>;
}) {
  const [lines, setLines] = useState<EditableLine[]>(() => fromSpecs(initial));
  const [selected, setSelected] = useState(0);
  const [size, setSize] = useState(PLACEHOLDER);
  const [snapshotFailed, setSnapshotFailed] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<{ index: number; handle: Handle; before: EditableLine | null } | null>(null);
  const nameId = useId();
  const lineRadio = useRadioGroupKeys(lines.length, selected, setSelected);
  // Rendered width in CSS px, so end points stay big enough to grab on a phone.
  const [renderedW, setRenderedW] = useState<number | null>(null);
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setRenderedW(entry.contentRect.width));
    observer.observe(svg);
    return () => observer.disconnect();
  }, []);

  const showSnapshot = snapshotUrl !== null && !snapshotFailed;
  const current = lines[selected];

  function update(index: number, next: EditableLine) {
    setLines((ls) => ls.map((l, i) => (i === index ? next : l)));
    setDirty(true);
    setSavedAt(null);
  }

  function pointAt(e: PointerEvent) {
    return toNormalised(e.clientX, e.clientY, svgRef.current!.getBoundingClientRect());
  }

  function onBackgroundDown(e: PointerEvent<SVGSVGElement>) {
    if (e.button !== 0) return;
    const p = pointAt(e);
    svgRef.current?.setPointerCapture(e.pointerId);
    if (lines.length === 0) {
      const fresh = { ...defaultLine(), x1: p.x, y1: p.y, x2: p.x, y2: p.y };
      setLines([fresh]);
      setSelected(0);
      drag.current = { index: 0, handle: 2, before: null };
    } else {
      const index = Math.min(selected, lines.length - 1);
      drag.current = { index, handle: 2, before: lines[index] };
      update(index, { ...lines[index], x1: p.x, y1: p.y, x2: p.x, y2: p.y });
    }
    setDirty(true);
  }

  function onHandleDown(e: PointerEvent, index: number, handle: Handle) {
    if (e.button !== 0) return;
    e.stopPropagation();
    setSelected(index);
    svgRef.current?.setPointerCapture(e.pointerId);
    drag.current = { index, handle, before: lines[index] };
  }

  function onMove(e: PointerEvent<SVGSVGElement>) {
    const d = drag.current;
    if (!d) return;
    const p = pointAt(e);
    setLines((ls) =>
      ls.map((l, i) =>
        i !== d.index ? l : d.handle === 1 ? { ...l, x1: p.x, y1: p.y } : { ...l, x2: p.x, y2: p.y },
      ),
    );
  }

  function onUp() {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    // A click without a drag leaves a zero-length line: put back what was there.
    setLines((ls) => {
      const l = ls[d.index];
      if (l && lineLength(l) < MIN_LENGTH * 10) {
        return d.before ? ls.map((x, i) => (i === d.index ? d.before! : x)) : ls.filter((_, i) => i !== d.index);
      }
      return ls;
    });
  }

  function onHandleKey(e: KeyboardEvent, index: number, handle: Handle) {
    const step = e.shiftKey ? 0.05 : 0.01;
    const delta: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = delta[e.key];
    if (!move) return;
    e.preventDefault();
    const l = lines[index];
    const [kx, ky] = handle === 1 ? (["x1", "y1"] as const) : (["x2", "y2"] as const);
    update(index, { ...l, [kx]: round4(clamp01(l[kx] + move[0])), [ky]: round4(clamp01(l[ky] + move[1])) });
  }

  function addLine() {
    const base = defaultLine();
    const id = uniqueId(base.line_id, lines, -1);
    const offset = 0.1 * (lines.length % 4);
    setLines((ls) => [...ls, { ...base, line_id: id, name: lines.length ? `Line ${lines.length + 1}` : base.name, y1: base.y1 + offset, y2: base.y2 + offset }]);
    setSelected(lines.length);
    setDirty(true);
  }

  function removeLine(index: number) {
    setLines((ls) => ls.filter((_, i) => i !== index));
    setSelected((s) => Math.max(0, Math.min(s, lines.length - 2)));
    setDirty(true);
  }

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await onSave(lines.map(({ line_id, name, x1, y1, x2, y2 }) => ({ line_id, name: name.trim(), x1, y1, x2, y2 })));
      setDirty(false);
      setSavedAt(new Date());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const problems = lines.flatMap((l) => validateLine(l).map((p) => `${l.name || l.line_id}: ${p}`));
  const ids = lines.map((l) => l.line_id);
  if (new Set(ids).size !== ids.length) problems.push("Two lines have the same id");
  const { w, h } = size;
  const perPx = renderedW ? w / renderedW : 1; // viewBox units per CSS pixel
  const r = Math.max(Math.max(w, h) * 0.014, 11 * perPx); // ≥ 22 px across on screen
  const arrowLen = Math.min(w, h) * 0.14;

  return (
    <div className="flex flex-col gap-4">
      <div
        className="relative w-full overflow-hidden rounded-md border bg-muted select-none"
        style={{ aspectRatio: `${w} / ${h}` }}
      >
        {showSnapshot ? (
          <img
            src={snapshotUrl}
            crossOrigin={crossOrigin}
            alt="Latest snapshot from the camera"
            className="absolute inset-0 size-full object-fill"
            draggable={false}
            onLoad={(e) => {
              const img = e.currentTarget;
              if (img.naturalWidth && img.naturalHeight) setSize({ w: img.naturalWidth, h: img.naturalHeight });
            }}
            onError={() => setSnapshotFailed(true)}
          />
        ) : (
          <div className="absolute inset-0 flex items-start justify-center bg-[repeating-linear-gradient(45deg,oklch(0.88_0_0),oklch(0.88_0_0)_12px,oklch(0.85_0_0)_12px,oklch(0.85_0_0)_24px)] p-3">
            <p className="rounded bg-card/90 px-2 py-1 text-center text-xs text-muted-foreground" data-testid="no-snapshot">
              No snapshot yet: the worker uploads one when it starts. You can draw on this 16:9
              placeholder now and adjust the line later.
            </p>
          </div>
        )}
        <svg
          ref={svgRef}
          data-testid="line-canvas"
          viewBox={`0 0 ${w} ${h}`}
          preserveAspectRatio="none"
          className="absolute inset-0 size-full cursor-crosshair touch-none"
          onPointerDown={onBackgroundDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerCancel={onUp}
          aria-label="Counting line editor: drag to draw a line"
          role="group"
        >
          <defs>
            <marker id="in-arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="oklch(0.75 0.18 145)" />
            </marker>
          </defs>
          {lines.map((l, i) => {
            const active = i === selected;
            const arrow = inArrow(l, w, h, arrowLen);
            const ok = lineLength(l) >= MIN_LENGTH;
            return (
              <g key={i} opacity={active ? 1 : 0.6} data-testid={`line-${l.line_id}`}>
                <line x1={l.x1 * w} y1={l.y1 * h} x2={l.x2 * w} y2={l.y2 * h} stroke="black" strokeOpacity={0.5} strokeWidth={7} vectorEffect="non-scaling-stroke" />
                <line x1={l.x1 * w} y1={l.y1 * h} x2={l.x2 * w} y2={l.y2 * h} stroke={active ? "oklch(0.85 0.17 90)" : "white"} strokeWidth={4} vectorEffect="non-scaling-stroke" />
                {ok && (
                  <>
                    <line
                      x1={arrow.from.x}
                      y1={arrow.from.y}
                      x2={arrow.to.x}
                      y2={arrow.to.y}
                      stroke="oklch(0.75 0.18 145)"
                      strokeWidth={4}
                      vectorEffect="non-scaling-stroke"
                      markerEnd="url(#in-arrow)"
                      data-testid="in-arrow"
                    />
                    <text
                      x={arrow.from.x + (arrow.to.x - arrow.from.x) * 1.45}
                      y={arrow.from.y + (arrow.to.y - arrow.from.y) * 1.45}
                      fill="white"
                      stroke="black"
                      strokeWidth={r * 0.12}
                      paintOrder="stroke"
                      fontSize={r * 1.6}
                      fontWeight={700}
                      textAnchor="middle"
                      dominantBaseline="middle"
                    >
                      IN
                    </text>
                  </>
                )}
                {([1, 2] as const).map((handle) => {
                  const cx = (handle === 1 ? l.x1 : l.x2) * w;
                  const cy = (handle === 1 ? l.y1 : l.y2) * h;
                  return (
                    <g key={handle}>
                      <circle
                        cx={cx}
                        cy={cy}
                        r={r}
                        fill={handle === 1 ? "white" : "oklch(0.85 0.17 90)"}
                        stroke="black"
                        strokeWidth={2}
                        vectorEffect="non-scaling-stroke"
                        className="cursor-grab outline-none focus-visible:stroke-[oklch(0.55_0.15_255)] focus-visible:[stroke-width:5]"
                        tabIndex={0}
                        role="button"
                        aria-label={`${l.name || l.line_id}: point ${handle} at x ${(handle === 1 ? l.x1 : l.x2).toFixed(2)}, y ${(handle === 1 ? l.y1 : l.y2).toFixed(2)}. Arrow keys move it.`}
                        data-testid={`handle-${i}-${handle}`}
                        onPointerDown={(e) => onHandleDown(e, i, handle)}
                        onKeyDown={(e) => onHandleKey(e, i, handle)}
                        onFocus={() => setSelected(i)}
                      />
                      <text x={cx} y={cy} fontSize={r * 1.1} fontWeight={700} textAnchor="middle" dominantBaseline="central" pointerEvents="none">
                        {handle}
                      </text>
                    </g>
                  );
                })}
              </g>
            );
          })}
        </svg>
      </div>

      {lines.length === 0 ? (
        <p className="text-sm text-muted-foreground">No line yet: drag across the doorway on the picture to draw one.</p>
      ) : (
        <div className="flex flex-col gap-3">
          {lines.length > 1 && (
            <div role="radiogroup" aria-label="Line to edit" className="flex flex-wrap gap-1">
              {lines.map((l, i) => (
                <Button
                  key={i}
                  size="sm"
                  role="radio"
                  aria-checked={i === selected}
                  variant={i === selected ? "secondary" : "ghost"}
                  onClick={() => setSelected(i)}
                  {...lineRadio(i)}
                >
                  {l.name || l.line_id}
                </Button>
              ))}
            </div>
          )}
          {current && (
            <div className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end">
              <div className="flex flex-col gap-1.5">
                <Label htmlFor={nameId}>Line name</Label>
                <Input
                  id={nameId}
                  value={current.name}
                  maxLength={200}
                  onChange={(e) => {
                    const name = e.target.value;
                    const isNew = !initial.some((s) => s.line_id === current.line_id);
                    update(selected, {
                      ...current,
                      name,
                      line_id: isNew ? uniqueId(slugId(name), lines, selected) : current.line_id,
                    });
                  }}
                />
              </div>
              <div className="flex flex-wrap gap-2">
                <Button variant="outline" onClick={() => update(selected, flip(current))}>
                  <ArrowLeftRight aria-hidden />
                  Flip IN direction
                </Button>
                <Button variant="ghost" onClick={() => removeLine(selected)} aria-label={`Remove line ${current.name || current.line_id}`}>
                  <Trash2 aria-hidden />
                  Remove
                </Button>
              </div>
              <p className="text-xs text-muted-foreground sm:col-span-2">
                Worker form: <code className="rounded bg-muted px-1 py-0.5" data-testid="line-arg">--line {lineArg(current)}</code>
              </p>
            </div>
          )}
        </div>
      )}

      {problems.length > 0 && (
        <ul className="list-disc pl-5 text-sm text-destructive">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} />
      <div className="flex flex-wrap items-center gap-2">
        <Button onClick={save} disabled={busy || problems.length > 0 || !dirty}>
          <Save aria-hidden />
          {busy ? "Saving…" : "Save lines"}
        </Button>
        <Button variant="outline" onClick={addLine}>
          <Plus aria-hidden />
          Add line
        </Button>
        <span role="status" className={cn("text-sm", savedAt ? "text-success" : "text-muted-foreground")}>
          {savedAt ? "Saved. The worker picks it up on its next config poll." : dirty ? "Unsaved changes" : ""}
        </span>
      </div>
    </div>
  );
}
