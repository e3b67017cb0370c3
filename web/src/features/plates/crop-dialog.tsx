import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { API_URL } from "@/lib/api";
import { dateTimeInZone } from "@/lib/format";
import type { PlateRead } from "@/features/plates/api";
import { formatConfidence } from "@/features/plates/format";
import { resolveApiUrl } from "@/features/plates/params";

/**
 * The full crop of one plate read, with what was read. Radix traps focus inside; on close
 * focus goes back to `returnFocus` (the thumbnail that opened it: the dialog has no trigger).
 */
export function CropDialog({
  read,
  timezone,
  onClose,
  returnFocus,
}: {
  read: PlateRead | null;
  timezone: string;
  onClose: () => void;
  returnFocus?: () => HTMLElement | null;
}) {
  return (
    <Dialog open={read !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        className="max-w-3xl"
        onCloseAutoFocus={(e) => {
          const target = returnFocus?.();
          if (target) {
            e.preventDefault();
            target.focus();
          }
        }}
      >
        {read && (
          <>
            <DialogHeader>
              <DialogTitle>
                Plate <span className="font-mono">{read.normalized}</span>
              </DialogTitle>
              <DialogDescription>
                Seen {dateTimeInZone(read.occurred_at, timezone)}
                {read.vehicle_class ? ` · ${read.vehicle_class}` : ""} · confidence {formatConfidence(read.confidence)}
              </DialogDescription>
            </DialogHeader>
            {read.crop_url ? (
              <img
                src={resolveApiUrl(API_URL, read.crop_url)}
                alt={`Full crop of the vehicle with plate ${read.normalized}`}
                className="max-h-[65vh] w-full rounded-md border bg-muted object-contain"
                data-testid="crop-full"
              />
            ) : (
              <p className="text-sm text-muted-foreground">No crop was kept for this read.</p>
            )}
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
              <dt className="text-muted-foreground">Read as</dt>
              <dd className="font-mono">{read.text}</dd>
              <dt className="text-muted-foreground">Source</dt>
              <dd>{read.job_id ? "Upload" : read.camera_id ? "Camera" : "—"}</dd>
              {read.last_seen_s > 0 && (
                <>
                  <dt className="text-muted-foreground">In the footage</dt>
                  <dd className="tabular-nums">
                    {read.first_seen_s.toFixed(1)} s
                    {read.last_seen_s !== read.first_seen_s
                      ? ` – ${read.last_seen_s.toFixed(1)} s`
                      : ""}
                  </dd>
                </>
              )}
            </dl>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
