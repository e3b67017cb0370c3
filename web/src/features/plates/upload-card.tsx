import { useQueryClient } from "@tanstack/react-query";
import { Upload, X } from "lucide-react";
import { type DragEvent, useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { errorText } from "@/lib/api";
import { cn } from "@/lib/utils";
import { type Job, plateKeys, uploadFile } from "@/features/plates/api";
import { formatBytes, UPLOAD_ACCEPT } from "@/features/plates/format";
import { ProgressBar } from "@/features/plates/progress-bar";

interface UploadItem {
  key: number;
  name: string;
  size: number;
  loaded: number;
  state: "waiting" | "uploading" | "queued" | "failed";
  error?: string;
  abort?: () => void;
}

/** Files to upload: picked or dropped, sent one after another with their progress shown. */
export function UploadCard({ storeId }: { storeId: string }) {
  const queryClient = useQueryClient();
  const inputId = useId();
  const hintId = useId();
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const nextKey = useRef(0);
  const queue = useRef<{ key: number; file: File }[]>([]);
  const busy = useRef(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const patch = (key: number, change: Partial<UploadItem>) =>
    setItems((all) => all.map((it) => (it.key === key ? { ...it, ...change } : it)));

  async function drain() {
    if (busy.current) return;
    busy.current = true;
    try {
      for (let next = queue.current.shift(); next && mounted.current; next = queue.current.shift()) {
        const { key, file } = next;
        const upload = uploadFile(storeId, file, (loaded) => patch(key, { loaded }));
        patch(key, { state: "uploading", abort: upload.abort });
        try {
          const job = await upload.done;
          patch(key, { state: "queued", loaded: file.size, abort: undefined });
          // A list fetch still in flight may predate this job: drop it, show the job at
          // once, and fetch the list again (which then polls while the job runs).
          const jobsKey = plateKeys.jobs(storeId);
          await queryClient.cancelQueries({ queryKey: jobsKey });
          queryClient.setQueryData<Job[]>(jobsKey, (all) => (all ? [job, ...all.filter((j) => j.id !== job.id)] : all));
          await queryClient.invalidateQueries({ queryKey: jobsKey });
        } catch (err) {
          patch(key, { state: "failed", error: errorText(err), abort: undefined });
        }
      }
    } finally {
      busy.current = false;
    }
  }

  function add(files: FileList | File[]) {
    const list = Array.from(files);
    if (list.length === 0) return;
    const added = list.map((file) => ({ key: nextKey.current++, file }));
    queue.current.push(...added);
    setItems((all) => [
      ...added.map(({ key, file }) => ({ key, name: file.name, size: file.size, loaded: 0, state: "waiting" as const })),
      ...all,
    ]);
    void drain();
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    add(e.dataTransfer.files);
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>Upload footage</CardTitle>
        <CardDescription>Videos or photos; each upload becomes a job below that reads every plate in it.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        <div
          data-testid="drop-zone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          className={cn(
            "flex flex-col items-center gap-3 rounded-lg border-2 border-dashed px-4 py-8 text-center transition-colors",
            dragging ? "border-primary bg-accent" : "border-input",
          )}
        >
          <Upload className="size-8 text-muted-foreground" aria-hidden />
          <input
            id={inputId}
            type="file"
            multiple
            accept={UPLOAD_ACCEPT}
            aria-describedby={hintId}
            className="peer sr-only"
            onChange={(e) => {
              if (e.target.files) add(e.target.files);
              e.target.value = "";
            }}
          />
          <label
            htmlFor={inputId}
            className="inline-flex h-9 cursor-pointer items-center justify-center gap-2 rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground shadow-sm hover:bg-primary/90 peer-focus-visible:ring-2 peer-focus-visible:ring-ring peer-focus-visible:ring-offset-2"
          >
            Choose video or photo files
          </label>
          <p id={hintId} className="text-sm text-muted-foreground">
            or drop them here. Videos (MP4, MOV…) and photos (JPEG, PNG).
          </p>
        </div>
        {items.length > 0 && (
          <ul className="flex flex-col gap-3" aria-label="Uploads">
            {items.map((it) => (
              <li key={it.key} className="flex flex-col gap-1.5 rounded-md border px-3 py-2" data-testid="upload-item">
                <div className="flex items-center justify-between gap-2">
                  <span className="min-w-0 truncate text-sm font-medium">{it.name}</span>
                  {it.abort ? (
                    <Button variant="ghost" size="sm" onClick={it.abort} aria-label={`Stop uploading ${it.name}`}>
                      <X aria-hidden />
                      Stop
                    </Button>
                  ) : (
                    <span className="shrink-0 text-xs text-muted-foreground">{formatBytes(it.size)}</span>
                  )}
                </div>
                <ProgressBar
                  label={`Upload of ${it.name}`}
                  fraction={it.size > 0 ? it.loaded / it.size : it.state === "queued" ? 1 : 0}
                  tone={it.state === "failed" ? "destructive" : it.state === "queued" ? "success" : "primary"}
                />
                <p
                  className={cn("text-xs", it.state === "failed" ? "text-destructive" : "text-muted-foreground")}
                  role={it.state === "failed" ? "alert" : undefined}
                  data-testid="upload-state"
                >
                  {it.state === "waiting" && "Waiting…"}
                  {it.state === "uploading" &&
                    `Uploading: ${formatBytes(it.loaded)} of ${formatBytes(it.size)} (${it.size > 0 ? Math.round((100 * it.loaded) / it.size) : 0} %)`}
                  {it.state === "queued" && "Uploaded: follow its reading in Jobs below."}
                  {it.state === "failed" && it.error}
                </p>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
