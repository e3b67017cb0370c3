import { useEffect } from "react";

/** "Search · Plates · Metrica": the page's title, so tabs and screen readers can tell pages apart. */
export function pageTitle(...parts: (string | undefined | null)[]): string {
  return [...parts.filter((p): p is string => !!p), "Metrica"].join(" · ");
}

/** Marks that the page names itself, so the layout's heading-based title leaves it alone. */
export const OWN_TITLE = "ownTitle";

export function usePageTitle(...parts: (string | undefined | null)[]): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
    document.documentElement.dataset[OWN_TITLE] = "1";
    return () => {
      delete document.documentElement.dataset[OWN_TITLE];
    };
  }, [title]);
}
