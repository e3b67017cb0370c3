import { useEffect } from "react";

/** "Search · Plates · Metrica": the page's title, so tabs and screen readers can tell pages apart. */
export function pageTitle(...parts: (string | undefined | null)[]): string {
  return [...parts.filter((p): p is string => !!p), "Metrica"].join(" · ");
}

export function usePageTitle(...parts: (string | undefined | null)[]): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
