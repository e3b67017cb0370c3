import { useQuery } from "@tanstack/react-query";
import { getCountCheck } from "@/client/sdk.gen";
import { unwrap } from "@/lib/api";
import { LOCALE } from "@/lib/format";

/** "Count checked on 20 Nov: 97 % (132 crossings)": the latest accuracy audit of the store. */
export function CountCheckNote({ storeId, timezone }: { storeId: string; timezone: string }) {
  const check = useQuery({
    queryKey: ["count-check", storeId],
    queryFn: () => unwrap(getCountCheck({ path: { store_id: storeId } })),
    staleTime: 5 * 60_000,
  });
  const c = check.data?.check;
  if (!c) return null;
  const day = new Intl.DateTimeFormat(LOCALE, { timeZone: timezone, day: "numeric", month: "short" }).format(
    new Date(c.checked_at),
  );
  const crossings = new Intl.NumberFormat(LOCALE).format(c.true_crossings);
  return (
    <p className="px-4 pb-4 text-xs text-muted-foreground sm:px-5" data-testid="count-check">
      Count checked on {day}: {Math.round(c.count_accuracy * 100)} % ({crossings} crossings)
    </p>
  );
}
