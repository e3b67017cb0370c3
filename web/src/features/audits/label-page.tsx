import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { useCallback, useEffect, useRef, useState } from "react";
import { adminGetCamera, adminGetRecording, adminPutMarks, adminRecordingTruth, adminScoreRecording } from "@/client/sdk.gen";
import type { AuditScoreDetail, ClipLine, RecordingDetail } from "@/client/types.gen";
import { fetchClip } from "@/features/audits/api";
import { addMark, clampFrame, clock, frameTime, keyAction, type Mark, timeFrame } from "@/features/audits/marks";
import { NotFound } from "@/components/not-found";
import { ErrorNote, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { isNotFound, unwrap } from "@/lib/api";
import { cn } from "@/lib/utils";

const COLORS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"];
const percent = (v: number) => `${Math.round(v * 1000) / 10} %`;

export function LabelPage() {
  const { recordingId } = useParams({ from: "/authed/admin/recordings/$recordingId" });
  const recording = useQuery({
    queryKey: ["admin", "recording", recordingId],
    queryFn: () => unwrap(adminGetRecording({ path: { recording_id: recordingId } })),
    refetchInterval: (q) => (q.state.data && ["ready", "failed"].includes(q.state.data.status) ? false : 2000),
  });
  if (recording.isPending) return <Spinner />;
  if (isNotFound(recording.error)) return <NotFound what="recording" />;
  if (recording.isError) return <ErrorNote error={recording.error} />;
  const r = recording.data;
  return (
    <div className="flex flex-col gap-4">
      <Header recording={r} />
      {r.status === "ready" ? (
        <Labeller key={r.id} recording={r} />
      ) : r.status === "failed" ? (
        <ErrorNote error={new Error(`The clip could not be counted: ${r.error}`)} />
      ) : (
        <p role="status" className="text-sm text-muted-foreground">
          {r.status === "requested"
            ? "Waiting for the camera's worker to record and upload the clip…"
            : "Counting the clip with the camera's lines…"}
        </p>
      )}
    </div>
  );
}

function Header({ recording }: { recording: RecordingDetail }) {
  const camera = useQuery({
    queryKey: ["admin", "camera", recording.camera_id],
    queryFn: () => unwrap(adminGetCamera({ path: { camera_id: recording.camera_id } })),
  });
  return (
    <div>
      <p className="text-sm text-muted-foreground">
        <Link to="/admin/cameras/$cameraId" params={{ cameraId: recording.camera_id }} className="hover:underline">
          {camera.data?.name ?? "Camera"}
        </Link>{" "}
        /
      </p>
      <h1 className="text-2xl font-bold" tabIndex={-1}>
        Label the clip
      </h1>
      {recording.counted_with && (
        <p className="text-sm text-muted-foreground" data-testid="counted-with">
          Counted with {recording.counted_with}
        </p>
      )}
    </div>
  );
}

function Labeller({ recording }: { recording: RecordingDetail }) {
  const queryClient = useQueryClient();
  const { fps, frames } = recording;
  const lines = recording.lines;
  const [marks, setMarks] = useState<Mark[]>(recording.marks);
  const [frame, setFrame] = useState(0);
  const [lineIndex, setLineIndex] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [history, setHistory] = useState<Mark[][]>([]);
  const [score, setScore] = useState<AuditScoreDetail | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const clip = useQuery({
    queryKey: ["admin", "recording-clip", recording.id],
    queryFn: () => fetchClip(recording.id),
    staleTime: Infinity,
    gcTime: 0,
  });
  useEffect(() => () => {
    if (clip.data) URL.revokeObjectURL(clip.data);
  }, [clip.data]);

  const save = useMutation({
    mutationFn: (body: Mark[]) =>
      unwrap(adminPutMarks({ path: { recording_id: recording.id }, body: { marks: body } })),
    onSuccess: (saved) => queryClient.setQueryData(["admin", "recording", recording.id], saved),
  });
  const scoring = useMutation({
    mutationFn: async () => {
      await save.mutateAsync(marks);
      return unwrap(adminScoreRecording({ path: { recording_id: recording.id } }));
    },
    onSuccess: (s) => {
      setScore(s);
      void queryClient.invalidateQueries({ queryKey: ["admin", "audits", recording.camera_id] });
    },
  });

  const seek = useCallback(
    (f: number) => {
      const target = clampFrame(f, frames);
      setFrame(target);
      const v = video.current;
      if (v) {
        v.pause();
        v.currentTime = frameTime(target, fps);
      }
    },
    [fps, frames],
  );

  const change = useCallback(
    (next: Mark[]) => {
      setHistory((h) => [...h.slice(-200), marks]);
      setMarks(next);
      save.mutate(next);
    },
    [marks, save],
  );

  const onKey = useCallback(
    (e: React.KeyboardEvent) => {
      const action = keyAction(e.nativeEvent);
      if (!action) return;
      e.preventDefault();
      switch (action.kind) {
        case "step":
          seek(frame + action.frames);
          break;
        case "stepSeconds":
          seek(frame + Math.round(action.seconds * fps));
          break;
        case "mark": {
          const line = lines[lineIndex];
          if (line) change(addMark(marks, { line: line.line_id, direction: action.direction, frame }));
          break;
        }
        case "undo":
          if (history.length) {
            const previous = history[history.length - 1];
            setHistory((h) => h.slice(0, -1));
            setMarks(previous);
            save.mutate(previous);
          }
          break;
        case "line":
          if (action.index < lines.length) setLineIndex(action.index);
          break;
        case "play": {
          const v = video.current;
          if (!v) break;
          if (v.paused) void v.play();
          else {
            v.pause();
            seek(timeFrame(v.currentTime, fps, frames));
          }
          break;
        }
      }
    },
    [change, fps, frame, frames, history, lineIndex, lines, marks, save, seek],
  );

  // While playing, follow the video's frames.
  useEffect(() => {
    const v = video.current;
    if (!v || !playing) return;
    let handle = 0;
    const tick = () => {
      setFrame(timeFrame(v.currentTime, fps, frames));
      handle = requestAnimationFrame(tick);
    };
    handle = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(handle);
  }, [playing, fps, frames]);

  const selected = lines[lineIndex];
  return (
    <div className="grid gap-4 lg:grid-cols-[1fr_22rem]">
      <Card>
        <CardContent className="flex flex-col gap-3 pt-6">
          <div
            className="relative w-full overflow-hidden rounded-md bg-black outline-none focus-visible:ring-2 focus-visible:ring-ring"
            style={{ aspectRatio: `${recording.width} / ${recording.height}` }}
            tabIndex={0}
            role="group"
            aria-label="Clip: ← → one frame, Shift+← → one second, I marks IN, O marks OUT, U undoes, 1–9 pick a line, Space plays"
            onKeyDown={onKey}
            data-testid="clip"
          >
            {clip.data ? (
              <video
                ref={video}
                src={clip.data}
                className="absolute inset-0 size-full"
                muted
                playsInline
                preload="auto"
                onLoadedData={() => seek(frame)}
                onPlay={() => setPlaying(true)}
                onPause={() => setPlaying(false)}
                data-testid="clip-video"
              />
            ) : clip.isError ? (
              <ErrorNote error={clip.error} className="m-4" />
            ) : (
              <Spinner label="Loading the clip…" />
            )}
            <LinesOverlay lines={lines} selected={lineIndex} />
          </div>
          <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm tabular-nums">
            <span data-testid="frame">
              Frame {frame} / {frames - 1}
            </span>
            <span className="text-muted-foreground">{clock(frame, fps)}</span>
            <input
              type="range"
              min={0}
              max={Math.max(frames - 1, 0)}
              value={frame}
              onChange={(e) => seek(Number(e.target.value))}
              aria-label="Position in the clip (frame)"
              className="min-w-40 flex-1"
            />
          </div>
          <p className="text-xs leading-relaxed text-muted-foreground">
            Click the clip, then: <Kbd>←</Kbd> <Kbd>→</Kbd> one frame, <Kbd>Shift</Kbd>+<Kbd>←</Kbd> <Kbd>→</Kbd> one
            second, <Kbd>I</Kbd> IN and <Kbd>O</Kbd> OUT at the frame the feet cross, <Kbd>U</Kbd> undo,{" "}
            <Kbd>1</Kbd>–<Kbd>9</Kbd> line, <Kbd>Space</Kbd> play/pause.
          </p>
          <div className="flex flex-wrap gap-2" role="radiogroup" aria-label="Line to mark">
            {lines.map((line, i) => (
              <Button
                key={line.line_id}
                role="radio"
                aria-checked={i === lineIndex}
                variant={i === lineIndex ? "default" : "outline"}
                size="sm"
                onClick={() => setLineIndex(i)}
              >
                <span aria-hidden className="size-2.5 rounded-full" style={{ background: COLORS[i % COLORS.length] }} />
                {i + 1}. {line.name || line.line_id}
              </Button>
            ))}
            {selected && (
              <>
                <Button size="sm" variant="outline" onClick={() => change(addMark(marks, { line: selected.line_id, direction: "in", frame }))}>
                  Mark IN
                </Button>
                <Button size="sm" variant="outline" onClick={() => change(addMark(marks, { line: selected.line_id, direction: "out", frame }))}>
                  Mark OUT
                </Button>
              </>
            )}
          </div>
        </CardContent>
      </Card>
      <div className="flex flex-col gap-4">
        <Card>
          <CardHeader>
            <CardTitle>Marks ({marks.length})</CardTitle>
            <CardDescription>{save.isPending ? "Saving…" : save.isError ? "Not saved" : "Saved"}</CardDescription>
          </CardHeader>
          <CardContent>
            {marks.length === 0 ? (
              <p className="text-sm text-muted-foreground">No marks yet.</p>
            ) : (
              <ol className="flex max-h-64 flex-col gap-1 overflow-y-auto text-sm" data-testid="marks">
                {marks.map((m, i) => (
                  <li key={`${m.line}-${m.direction}-${m.frame}-${i}`} className="flex items-center gap-2">
                    <button
                      type="button"
                      className={cn("flex-1 rounded px-1 text-left tabular-nums hover:bg-muted", m.frame === frame && "bg-muted")}
                      onClick={() => seek(m.frame)}
                    >
                      {clock(m.frame, fps)} · {m.line} · {m.direction.toUpperCase()}
                    </button>
                    <button
                      type="button"
                      className="rounded px-1 text-muted-foreground hover:bg-muted"
                      aria-label={`Remove the mark at ${clock(m.frame, fps)} (${m.line} ${m.direction.toUpperCase()})`}
                      onClick={() => change(marks.filter((_, j) => j !== i))}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ol>
            )}
            <div className="mt-3 flex flex-wrap gap-2">
              <Button onClick={() => scoring.mutate()} disabled={marks.length === 0 || scoring.isPending}>
                Score the count
              </Button>
              <Button variant="outline" onClick={() => void exportTruth(recording.id)}>
                Export truth
              </Button>
            </div>
            {scoring.isError && <ErrorNote error={scoring.error} className="mt-2" />}
          </CardContent>
        </Card>
        {score && <ScoreCard score={score} lines={lines} fps={fps} onJump={seek} />}
      </div>
    </div>
  );
}

function Kbd({ children }: { children: React.ReactNode }) {
  return <kbd className="rounded border bg-muted px-1 font-sans text-[0.7rem] text-foreground">{children}</kbd>;
}

async function exportTruth(recordingId: string) {
  const truth = await unwrap(adminRecordingTruth({ path: { recording_id: recordingId } }));
  const url = URL.createObjectURL(new Blob([JSON.stringify(truth, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `recording-${recordingId}.json`;
  a.click();
  URL.revokeObjectURL(url);
}

function ScoreCard({
  score,
  lines,
  fps,
  onJump,
}: {
  score: AuditScoreDetail;
  lines: ClipLine[];
  fps: number;
  onJump: (frame: number) => void;
}) {
  return (
    <Card data-testid="score">
      <CardHeader>
        <CardTitle>Count accuracy {percent(score.count_accuracy)}</CardTitle>
        <CardDescription>
          {score.true_crossings} marked, {score.predicted_crossings} counted, {score.matched} matched within ±0.5 s
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3 text-sm">
        <dl className="grid grid-cols-[auto_1fr] gap-x-4">
          <dt className="text-muted-foreground">Precision</dt>
          <dd data-testid="precision">{percent(score.precision)}</dd>
          <dt className="text-muted-foreground">Recall</dt>
          <dd data-testid="recall">{percent(score.recall)}</dd>
        </dl>
        <PerLineTable perLine={score.per_line} lines={lines} />
        <Moments title="Missed by the counter" items={score.misses} fps={fps} onJump={onJump} />
        <Moments title="Counted but not marked" items={score.extras} fps={fps} onJump={onJump} />
      </CardContent>
    </Card>
  );
}

/** The score line by line: a camera with two doors can be right in total and wrong at each.
 * One column per line and one row per figure, so it fits the narrow score column. */
function PerLineTable({ perLine, lines }: { perLine: AuditScoreDetail["per_line"]; lines: ClipLine[] }) {
  const n = (v: number | undefined) => v ?? 0;
  const shown = lines.filter((l) => perLine[l.line_id]);
  if (shown.length === 0) return null;
  type LineScore = AuditScoreDetail["per_line"][string];
  const figures: [string, (s: LineScore) => string][] = [
    ["True", (s) => String(n(s.true_in) + n(s.true_out))],
    ["Counted", (s) => String(n(s.pred_in) + n(s.pred_out))],
    ["Matched", (s) => String(n(s.tp))],
    ["Precision", (s) => percent(n(s.precision))],
    ["Recall", (s) => percent(n(s.recall))],
    ["Accuracy", (s) => percent(n(s.count_accuracy))],
  ];
  return (
    // Scrolls sideways when a camera has many lines: focusable, so a keyboard can scroll it.
    <div
      className="overflow-x-auto rounded-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
      tabIndex={0}
      role="region"
      aria-label="Score per line"
    >
      <table className="text-left text-xs tabular-nums" data-testid="per-line">
        <caption className="mb-1 text-left text-sm font-medium">Per line</caption>
        <thead className="text-muted-foreground">
          <tr>
            <th scope="col" className="pr-4 font-normal">
              Line
            </th>
            {shown.map((line) => (
              <th key={line.line_id} scope="col" className="whitespace-nowrap pr-4 font-normal">
                {line.name && line.name !== line.line_id ? `${line.name} (${line.line_id})` : line.line_id}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {figures.map(([label, value]) => (
            <tr key={label}>
              <th scope="row" className="pr-4 font-normal text-muted-foreground">
                {label}
              </th>
              {shown.map((line) => (
                <td key={line.line_id} className="whitespace-nowrap pr-4">
                  {value(perLine[line.line_id])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Moments({
  title,
  items,
  fps,
  onJump,
}: {
  title: string;
  items: AuditScoreDetail["misses"];
  fps: number;
  onJump: (frame: number) => void;
}) {
  return (
    <div>
      <h3 className="font-medium">
        {title} ({items.length})
      </h3>
      <ul className="mt-1 flex flex-wrap gap-1">
        {items.map((m) => (
          <li key={`${m.line}-${m.direction}-${m.frame}`}>
            <Button size="sm" variant="outline" onClick={() => onJump(m.frame)}>
              {clock(m.frame, fps)} {m.line} {m.direction.toUpperCase()}
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The camera's lines over the clip, the selected one thicker, an arrow on the IN side. */
function LinesOverlay({ lines, selected }: { lines: ClipLine[]; selected: number }) {
  return (
    <svg className="pointer-events-none absolute inset-0 size-full" viewBox="0 0 1000 1000" preserveAspectRatio="none" aria-hidden>
      {lines.map((line, i) => {
        const [x1, y1, x2, y2] = [line.x1 * 1000, line.y1 * 1000, line.x2 * 1000, line.y2 * 1000];
        const mx = (x1 + x2) / 2;
        const my = (y1 + y2) / 2;
        const len = Math.hypot(x2 - x1, y2 - y1) || 1;
        // IN is the right-hand side of P1→P2 in image coordinates (y down).
        const ux = -(y2 - y1) / len;
        const uy = (x2 - x1) / len;
        const [nx, ny] = [ux * 70, uy * 70];
        // An arrowhead at the tip, pointing into the IN side.
        const tip = `${mx + nx},${my + ny} ${mx + ux * 45 + uy * 18},${my + uy * 45 - ux * 18} ${mx + ux * 45 - uy * 18},${my + uy * 45 + ux * 18}`;
        const color = COLORS[i % COLORS.length];
        return (
          <g key={line.line_id} stroke={color} strokeWidth={i === selected ? 8 : 4} vectorEffect="non-scaling-stroke">
            <line x1={x1} y1={y1} x2={x2} y2={y2} vectorEffect="non-scaling-stroke" />
            <line x1={mx} y1={my} x2={mx + ux * 50} y2={my + uy * 50} vectorEffect="non-scaling-stroke" />
            <polygon points={tip} fill={color} stroke="none" />
          </g>
        );
      })}
    </svg>
  );
}
