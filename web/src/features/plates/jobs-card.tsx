import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FileVideo, RotateCcw, Square } from "lucide-react";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { dateTimeInZone, number } from "@/lib/format";
import { cancelJob, type Job, listJobs, plateKeys, retryJob } from "@/features/plates/api";
import {
  canCancel,
  canRetry,
  isActive,
  progressFraction,
  progressText,
  statusLabel,
} from "@/features/plates/format";
import { ProgressBar } from "@/features/plates/progress-bar";

/** How often the job list is fetched again while any job is queued or running. */
export const JOBS_REFRESH_MS = 2_000;

const statusVariant = {
  queued: "secondary",
  running: "default",
  done: "live",
  failed: "offline",
  cancelled: "outline",
} as const;

function StatusBadge({ status }: { status: Job["status"] }) {
  return (
    <Badge variant={statusVariant[status] ?? "outline"} data-testid="job-status">
      {statusLabel(status)}
    </Badge>
  );
}

function JobProgress({ job }: { job: Job }) {
  const fraction = job.status === "done" ? 1 : progressFraction(job.progress_done, job.progress_total);
  const text = progressText(job.kind, job.progress_done, job.progress_total);
  return (
    <div className="flex min-w-32 flex-col gap-1">
      <ProgressBar
        label={`Progress of ${job.filename}`}
        valueText={text}
        fraction={isActive(job.status) || job.status === "done" ? fraction : (fraction ?? 0)}
        tone={job.status === "done" ? "success" : job.status === "failed" ? "destructive" : isActive(job.status) ? "primary" : "muted"}
      />
      <span className="text-xs tabular-nums text-muted-foreground">{text}</span>
    </div>
  );
}

function JobActions({ job, onCancel, onRetry, busy }: { job: Job; onCancel: () => void; onRetry: () => void; busy: boolean }) {
  if (canCancel(job.status)) {
    return (
      <Button variant="outline" size="sm" onClick={onCancel} disabled={busy} aria-label={`Cancel ${job.filename}`}>
        <Square aria-hidden />
        Cancel
      </Button>
    );
  }
  if (canRetry(job.status)) {
    return (
      <Button variant="outline" size="sm" onClick={onRetry} disabled={busy} aria-label={`Retry ${job.filename}`}>
        <RotateCcw aria-hidden />
        Retry
      </Button>
    );
  }
  return null;
}

export function JobsCard({ storeId, timezone }: { storeId: string; timezone: string }) {
  const queryClient = useQueryClient();
  const key = plateKeys.jobs(storeId);
  const jobs = useQuery({
    queryKey: key,
    queryFn: () => listJobs(storeId),
    // Live progress while anything is moving; quiet otherwise.
    refetchInterval: (query) => (query.state.data?.some((j) => isActive(j.status)) ? JOBS_REFRESH_MS : false),
  });
  const replace = (job: Job) => {
    queryClient.setQueryData<Job[]>(key, (all) => all?.map((j) => (j.id === job.id ? job : j)));
    return queryClient.invalidateQueries({ queryKey: key });
  };
  const cancel = useMutation({ mutationFn: cancelJob, onSuccess: replace });
  const retry = useMutation({ mutationFn: retryJob, onSuccess: replace });
  const busy = cancel.isPending || retry.isPending;
  const when = (iso: string) => dateTimeInZone(iso, timezone);

  return (
    <Card>
      <CardHeader>
        <CardTitle>Jobs</CardTitle>
        <CardDescription>
          Newest first; progress updates by itself while a job is queued or running.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        <ErrorNote error={cancel.error ?? retry.error} />
        {jobs.isPending ? (
          <Spinner />
        ) : jobs.isError ? (
          <ErrorNote error={jobs.error} />
        ) : jobs.data.length === 0 ? (
          <EmptyState title="No uploads yet" icon={<FileVideo />} testId="no-jobs">
            Upload a video or a photo above; its plates appear in Search once read.
          </EmptyState>
        ) : (
          <>
            <ul className="flex flex-col gap-2 sm:hidden" aria-label="Jobs">
              {jobs.data.map((job) => (
                <li key={job.id} className="flex flex-col gap-2 rounded-lg border p-3" data-testid="job">
                  <div className="flex items-start justify-between gap-2">
                    <span className="min-w-0 break-all text-sm font-medium">{job.filename}</span>
                    <StatusBadge status={job.status} />
                  </div>
                  <JobProgress job={job} />
                  <div className="flex items-center justify-between gap-2 text-xs text-muted-foreground">
                    <span>
                      {number.format(job.plates_found)} {job.plates_found === 1 ? "plate" : "plates"} · {when(job.created_at)}
                    </span>
                    <JobActions job={job} busy={busy} onCancel={() => cancel.mutate(job.id)} onRetry={() => retry.mutate(job.id)} />
                  </div>
                  {job.error && <p className="text-xs text-destructive">{job.error}</p>}
                </li>
              ))}
            </ul>
            <div className="hidden overflow-x-auto rounded-lg border sm:block">
              <table className="w-full min-w-[640px] text-sm">
                <caption className="sr-only">Upload jobs of this site, newest first</caption>
                <thead className="bg-muted/60 text-left text-xs text-muted-foreground">
                  <tr>
                    <th scope="col" className="px-3 py-2 font-medium">File</th>
                    <th scope="col" className="px-3 py-2 font-medium">Status</th>
                    <th scope="col" className="px-3 py-2 font-medium">Progress</th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">Plates</th>
                    <th scope="col" className="px-3 py-2 font-medium">Uploaded</th>
                    <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody className="divide-y">
                  {jobs.data.map((job) => (
                    <tr key={job.id} data-testid="job-row">
                      <td className="max-w-64 px-3 py-2">
                        <span className="block truncate font-medium" title={job.filename}>{job.filename}</span>
                        {job.error && <span className="block text-xs text-destructive">{job.error}</span>}
                      </td>
                      <td className="px-3 py-2"><StatusBadge status={job.status} /></td>
                      <td className="px-3 py-2"><JobProgress job={job} /></td>
                      <td className="px-3 py-2 text-right tabular-nums" data-testid="job-plates">{number.format(job.plates_found)}</td>
                      <td className="px-3 py-2 whitespace-nowrap tabular-nums">{when(job.created_at)}</td>
                      <td className="px-3 py-2 text-right">
                        <JobActions job={job} busy={busy} onCancel={() => cancel.mutate(job.id)} onRetry={() => retry.mutate(job.id)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </CardContent>
    </Card>
  );
}
