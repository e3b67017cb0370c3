import type { WorkerKey } from "@/client/types.gen";
import { CopyField } from "@/components/copy-field";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { apiOrigin } from "@/lib/api";

export function workerCommand(origin: string, cameraId: string, key: string): string {
  return `METRICA_WORKER_KEY=${key} metrica worker --api-url ${origin} --camera-id ${cameraId} SOURCE --model PATH`;
}

/** Shows a freshly issued worker key: the only time it is ever visible. */
export function KeyDialog({ issued, onClose }: { issued: WorkerKey | null; onClose: () => void }) {
  return (
    <Dialog open={issued !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent onInteractOutside={(e) => e.preventDefault()}>
        <DialogHeader>
          <DialogTitle>Worker key issued</DialogTitle>
          <DialogDescription>
            Copy it now: it is shown only once. Replace SOURCE with the camera's stream (e.g. an
            rtsp:// URL) and PATH with the detector model file.
          </DialogDescription>
        </DialogHeader>
        {issued && (
          <div className="flex flex-col gap-4">
            <CopyField label="Key" value={issued.key} testId="worker-key" />
            <CopyField
              label="Command line"
              value={workerCommand(apiOrigin(), issued.camera_id, issued.key)}
              testId="worker-command"
            />
          </div>
        )}
        <DialogFooter>
          <Button onClick={onClose}>I have copied it</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
