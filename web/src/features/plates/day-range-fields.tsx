import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

/** The From / To day fields of a search form: each bounds the other, and To is marked
 * invalid when it comes before From (the form refuses to submit then). */
export function DayRangeFields({
  idPrefix,
  from,
  to,
  onFrom,
  onTo,
}: {
  idPrefix: string;
  from: string;
  to: string;
  onFrom: (day: string) => void;
  onTo: (day: string) => void;
}) {
  const rangeBad = !!from && !!to && from > to;
  return (
    <>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${idPrefix}-from`}>From</Label>
        <Input id={`${idPrefix}-from`} type="date" value={from} max={to || undefined} onChange={(e) => onFrom(e.target.value)} />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={`${idPrefix}-to`}>To</Label>
        <Input
          id={`${idPrefix}-to`}
          type="date"
          value={to}
          min={from || undefined}
          aria-invalid={rangeBad || undefined}
          onChange={(e) => onTo(e.target.value)}
        />
      </div>
    </>
  );
}
