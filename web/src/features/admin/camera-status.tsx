import type { CameraPublic } from "@/client/types.gen";
import { Badge } from "@/components/ui/badge";

export function StatusBadge({ status }: { status: CameraPublic["status"] }) {
  return (
    <Badge variant={status} data-testid="camera-status">
      <span className="size-1.5 rounded-full bg-current" aria-hidden />
      {status}
    </Badge>
  );
}

/** An instant in the viewer's own clock, with the date when not today. */
export function localStamp(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}
