import type { ReactNode } from "react";
import { errorText } from "@/lib/api";
import { cn } from "@/lib/utils";

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 py-8 text-sm text-muted-foreground">
      <span className="size-4 animate-spin rounded-full border-2 border-muted-foreground/30 border-t-muted-foreground" />
      {label}
    </div>
  );
}

export function ErrorNote({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className={cn("rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive", className)}>
      {errorText(error)}
    </p>
  );
}

export function EmptyState({
  title,
  children,
  icon,
  testId,
}: {
  title: string;
  children?: ReactNode;
  icon?: ReactNode;
  testId?: string;
}) {
  return (
    <div
      data-testid={testId}
      className="flex flex-col items-center rounded-lg border border-dashed px-6 py-10 text-center"
    >
      {icon && <div className="mb-3 text-muted-foreground [&_svg]:size-8">{icon}</div>}
      <h3 className="font-semibold">{title}</h3>
      {children && <div className="mt-1 max-w-md text-sm text-muted-foreground">{children}</div>}
    </div>
  );
}
