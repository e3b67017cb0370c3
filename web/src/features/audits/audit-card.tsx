import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useId, useState } from "react";
import {
  adminCameraAudits,
  adminDeleteRecording,
  adminListRecordings,
  adminRecordingLog,
  adminRequestRecording,
} from "@/client/sdk.gen";
import { uploadClip } from "@/features/audits/api";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { unwrap } from "@/lib/api";
import { dateTimeInZone } from "@/lib/format";

const STATUS: Record<string, string> = {
  requested: "waiting for the camera",
  uploaded: "uploaded",
  counting: "counting",
  ready: "ready to label",
  failed: "failed",
};

/** Accuracy audit of a camera: ask for a clip or upload one, label it, and the history. */
export function AuditCard({ cameraId, timezone }: { cameraId: string; timezone: string }) {
  const queryClient = useQueryClient();
  const [seconds, setSeconds] = useState(60);
  const secondsId = useId();
  const fileId = useId();
  const recordings = useQuery({
    queryKey: ["admin", "recordings", cameraId],
    queryFn: () => unwrap(adminListRecordings({ path: { camera_id: cameraId } })),
    refetchInterval: (q) =>
      q.state.data?.data.some((r) => !["ready", "failed"].includes(r.status)) ? 3000 : false,
  });
  const audits = useQuery({
    queryKey: ["admin", "audits", cameraId],
    queryFn: () => unwrap(adminCameraAudits({ path: { camera_id: cameraId } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["admin", "recordings", cameraId] });
  const ask = useMutation({
    mutationFn: () => unwrap(adminRequestRecording({ path: { camera_id: cameraId }, body: { seconds } })),
    onSuccess: refresh,
  });
  const upload = useMutation({ mutationFn: (file: File) => uploadClip(cameraId, file), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: (recordingId: string) => unwrap(adminDeleteRecording({ path: { recording_id: recordingId } })),
    onSuccess: refresh,
  });
  const [showLog, setShowLog] = useState(false);
  const log = useQuery({
    queryKey: ["admin", "recording-log", cameraId],
    queryFn: () => unwrap(adminRecordingLog({ path: { camera_id: cameraId } })),
    enabled: showLog,
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle>Accuracy audit</CardTitle>
        <CardDescription>
          Record a clip, mark every crossing by hand, and see how close the count is. Clips are deleted after 14 days.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4 text-sm">
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            ask.mutate();
          }}
        >
          <div className="flex flex-col gap-1">
            <Label htmlFor={secondsId}>Seconds to record</Label>
            <Input
              id={secondsId}
              type="number"
              min={60}
              max={600}
              step={10}
              value={seconds}
              onChange={(e) => setSeconds(Number(e.target.value))}
              className="w-28"
            />
          </div>
          <Button type="submit" disabled={ask.isPending || !(seconds >= 60 && seconds <= 600)}>
            Record a clip
          </Button>
        </form>
        {ask.isError && <ErrorNote error={ask.error} />}
        <div className="flex flex-col gap-1">
          <Label htmlFor={fileId}>Or upload a clip (WebM or MP4)</Label>
          <Input
            id={fileId}
            type="file"
            accept="video/webm,video/mp4"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload.mutate(file);
              e.target.value = "";
            }}
          />
          {upload.isPending && <p role="status">Uploading…</p>}
          {upload.isError && <ErrorNote error={upload.error} />}
        </div>
        <div>
          <h3 className="font-medium">Clips</h3>
          {recordings.data?.data.length ? (
            <ul className="mt-1 flex flex-col gap-1" data-testid="recordings">
              {recordings.data.data.map((r) => (
                <li key={r.id} className="flex flex-wrap items-center justify-between gap-2">
                  <span>
                    {dateTimeInZone(r.created_at, timezone)} · {r.source === "worker" ? `${r.seconds} s asked` : "uploaded"} ·{" "}
                    <span data-testid="recording-status">{STATUS[r.status] ?? r.status}</span>
                  </span>
                  <span className="flex items-center gap-3">
                    {r.status === "ready" && (
                      <Link
                        to="/admin/recordings/$recordingId"
                        params={{ recordingId: r.id }}
                        className="font-medium text-primary underline-offset-4 hover:underline"
                      >
                        Label{r.marks_count ? ` (${r.marks_count} marks)` : ""}
                      </Link>
                    )}
                    <Button
                      variant="ghost"
                      size="sm"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate(r.id)}
                      aria-label={`Delete the clip of ${dateTimeInZone(r.created_at, timezone)}${r.status === "requested" ? " (withdraws the request)" : ""}`}
                    >
                      Delete
                    </Button>
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-muted-foreground">No clips yet.</p>
          )}
        </div>
        <div>
          <h3 className="font-medium">Checks</h3>
          {audits.data?.data.length ? (
            <table className="mt-1 w-full text-left tabular-nums" data-testid="audit-history">
              <thead className="text-muted-foreground">
                <tr>
                  <th scope="col" className="font-normal">When</th>
                  <th scope="col" className="font-normal">Accuracy</th>
                  <th scope="col" className="font-normal">Crossings</th>
                </tr>
              </thead>
              <tbody>
                {audits.data.data.map((a) => (
                  <tr key={a.id}>
                    <td>{dateTimeInZone(a.created_at, timezone)}</td>
                    <td>{Math.round(a.count_accuracy * 100)} %</td>
                    <td>{a.true_crossings}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="text-muted-foreground">No checks yet.</p>
          )}
        </div>
        <details onToggle={(e) => setShowLog((e.target as HTMLDetailsElement).open)}>
          <summary className="cursor-pointer font-medium">Who asked for and watched the clips</summary>
          {log.data?.data.length ? (
            <ul className="mt-1 flex flex-col gap-0.5" data-testid="clip-log">
              {log.data.data.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  {dateTimeInZone(e.at, timezone)} · {e.actor} · {e.action}
                </li>
              ))}
            </ul>
          ) : (
            <p className="mt-1 text-muted-foreground">{log.isPending && showLog ? "Loading…" : "Nothing yet."}</p>
          )}
        </details>
      </CardContent>
    </Card>
  );
}
