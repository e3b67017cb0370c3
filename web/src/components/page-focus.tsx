import { useLocation } from "@tanstack/react-router";
import { useEffect } from "react";

import { OWN_TITLE } from "@/lib/title";

const APP = "Metrica";
const HEADING_WAIT_MS = 5_000; // lazy pages and their data: a spinner comes first

/** "Store name · Metrica": each page's own title, for tabs, history and screen readers. */
export function useDocumentTitle(title: string | null | undefined) {
  useEffect(() => {
    firstPage = false; // a page outside the layout (sign-in) counts as shown
    if (title) document.title = `${title} · ${APP}`;
  }, [title]);
}

let firstPage = true;
// The previous page's heading: while a lazy page loads, the old one may still be shown.
let lastHeading: { element: HTMLElement; text: string } | null = null;

/**
 * After each navigation inside the app, focus moves to the new page's heading (a
 * screen-reader user hears where they are; Tab goes on from the page's start) and the
 * document title follows that heading. Not on the first page load: the skip link comes
 * first there. Search-parameter changes (period, date) are not navigations.
 */
export function usePageFocus(containerId: string) {
  const { pathname } = useLocation();
  useEffect(() => {
    const focus = !firstPage;
    firstPage = false;
    const deadline = Date.now() + HEADING_WAIT_MS;
    let timer = 0;
    const attempt = () => {
      const heading = document.querySelector<HTMLElement>(`#${containerId} h1`);
      const text = heading?.textContent?.trim();
      const stale = heading === lastHeading?.element && text === lastHeading?.text;
      if (heading && text && !stale) {
        lastHeading = { element: heading, text };
        if (!document.documentElement.dataset[OWN_TITLE]) document.title = `${text} · ${APP}`;
        if (focus) {
          if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
        return;
      }
      if (Date.now() < deadline) timer = window.setTimeout(attempt, 50);
    };
    attempt();
    return () => window.clearTimeout(timer);
  }, [pathname, containerId]);
}
