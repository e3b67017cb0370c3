import { useQueryClient } from "@tanstack/react-query";
import { Download, Trash2 } from "lucide-react";
import { type FormEvent, useId, useState } from "react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button, buttonVariants } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { number } from "@/lib/format";
import { usePageTitle } from "@/lib/title";
import { type Erasure, erasePlate, exportPlateUrl } from "@/features/plates/api";
import { normalizePlate } from "@/features/plates/audit-params";
import { MAX_PLATE_CHARS } from "@/features/plates/params";
import { useCurrentSite } from "@/features/plates/site";

/**
 * /plates/$storeId/requests: a data subject's requests about one plate: a copy of every
 * read with its crops (zip), or their erasure. Both are written to the access log.
 */
export function PlateRequestsPage() {
  const { storeId, site } = useCurrentSite();
  usePageTitle("Data requests", site?.name, "Plates");
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [erased, setErased] = useState<{ plate: string; result: Erasure } | null>(null);
  const hintId = useId();
  const plate = normalizePlate(typed);
  if (!site) return null;

  const erase = async () => {
    const result = await erasePlate(storeId, plate);
    setErased({ plate, result });
    setConfirming(false);
    await queryClient.invalidateQueries({ queryKey: ["plates"] });
  };
  const noSubmit = (e: FormEvent) => e.preventDefault();

  return (
    <div className="flex flex-col gap-5">
      <Card>
        <CardHeader>
          <CardTitle>Data requests</CardTitle>
          <CardDescription>
            For a person asking what this site holds about their plate, or asking for it to be erased. Both are
            recorded in the access log with your name.
          </CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          <form onSubmit={noSubmit} aria-label="Plate of the request" className="flex flex-col gap-1.5 sm:max-w-sm">
            <Label htmlFor="request-plate">Plate</Label>
            <Input
              id="request-plate"
              value={typed}
              maxLength={MAX_PLATE_CHARS}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. AB123CD"
              aria-describedby={hintId}
              className="font-mono uppercase placeholder:normal-case placeholder:font-sans"
              onChange={(e) => {
                setTyped(e.target.value);
                setErased(null);
              }}
            />
            <p id={hintId} className="text-xs text-muted-foreground">
              {plate ? (
                <>
                  Exact plate: <span className="font-mono font-semibold" data-testid="request-plate">{plate}</span>{" "}
                  (spaces and dashes are ignored; similar plates are not included).
                </>
              ) : (
                "The exact plate: spaces and dashes are ignored."
              )}
            </p>
          </form>
          <div className="grid gap-4 md:grid-cols-2">
            <section aria-labelledby="export-title" className="flex flex-col gap-2 rounded-lg border p-4">
              <h2 id="export-title" className="font-semibold">Access request</h2>
              <p className="text-sm text-muted-foreground">
                A zip with every read of the plate at this site (<span className="font-mono">plates.json</span>) and
                the crop of each.
              </p>
              {plate ? (
                <a
                  href={exportPlateUrl(storeId, plate)}
                  download={`plates-${plate}.zip`}
                  className={buttonVariants({ variant: "outline", className: "self-start" })}
                >
                  <Download aria-hidden />
                  Download export of {plate}
                </a>
              ) : (
                <Button variant="outline" className="self-start" disabled>
                  <Download aria-hidden />
                  Download export
                </Button>
              )}
            </section>
            <section aria-labelledby="erase-title" className="flex flex-col gap-2 rounded-lg border border-destructive/40 p-4">
              <h2 id="erase-title" className="font-semibold">Erasure request</h2>
              <p className="text-sm text-muted-foreground">
                Deletes every read of the plate at this site, their crops, alerts and watchlist entries. It cannot be
                undone. The access log keeps who erased it and when, with the plate replaced by a code.
              </p>
              <Button
                variant="destructive"
                className="self-start"
                disabled={!plate}
                onClick={() => setConfirming(true)}
              >
                <Trash2 aria-hidden />
                {plate ? `Erase ${plate}…` : "Erase…"}
              </Button>
            </section>
          </div>
          <div role="status" aria-live="polite">
            {erased && (
              <p className="rounded-md border bg-muted/50 p-3 text-sm" data-testid="erase-result">
                Erased {number.format(erased.result.deleted_reads)}{" "}
                {erased.result.deleted_reads === 1 ? "read" : "reads"} and {number.format(erased.result.deleted_crops)}{" "}
                {erased.result.deleted_crops === 1 ? "crop" : "crops"} of{" "}
                <span className="font-mono font-semibold">{erased.plate}</span>.
              </p>
            )}
          </div>
        </CardContent>
      </Card>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Erase ${plate}?`}
        summary="Every read of this plate at this site, with its crops, alerts and watchlist entries, is deleted for good."
        confirmLabel="Erase for good"
        busyLabel="Erasing…"
        typeToConfirm={plate}
        onConfirm={erase}
      />
    </div>
  );
}
