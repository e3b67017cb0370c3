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
