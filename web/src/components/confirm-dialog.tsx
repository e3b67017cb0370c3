import { type FormEvent, type ReactNode, useId, useState } from "react";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

/**
 * Asks before something destructive (an alert dialog). `children` says exactly what is
 * lost; with `typeToConfirm` the button stays disabled until that text is typed. The
 * dialog stays open and shows the error if `onConfirm` fails.
 */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  summary,
  children,
  confirmLabel,
  busyLabel = "Please wait…",
  typeToConfirm,
  onConfirm,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  summary: string;
  children?: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  typeToConfirm?: string;
  onConfirm: () => Promise<unknown>;
}) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputId = useId();
  const ready = !typeToConfirm || typed.trim() === typeToConfirm.trim();

  function change(next: boolean) {
    if (busy) return;
    if (!next) {
      setTyped("");
      setError(null);
    }
    onOpenChange(next);
  }

  async function confirm(e: FormEvent) {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setTyped("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onOpenChange={change}>
      <DialogContent role="alertdialog">
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{summary}</DialogDescription>
        </DialogHeader>
        <form onSubmit={confirm} className="flex flex-col gap-4">
          {children && <div className="text-sm">{children}</div>}
          {typeToConfirm && (
            <div className="flex flex-col gap-1.5">
              <Label htmlFor={inputId}>
                Type <span className="font-semibold">{typeToConfirm}</span> to confirm
              </Label>
              <Input
                id={inputId}
                autoComplete="off"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
              />
            </div>
          )}
          <ErrorNote error={error} />
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="outline" disabled={busy}>
                Cancel
              </Button>
            </DialogClose>
            <Button type="submit" variant="destructive" disabled={!ready || busy}>
              {busy ? busyLabel : confirmLabel}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
