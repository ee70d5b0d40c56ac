/**
 * Accessibility helpers shared by the pages: the document title, focus after a route
 * change, live announcements, the ARIA tabs keyboard pattern and skip links
 * (README, "Accessibility").
 */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useLocation } from "react-router-dom";

/** Sets the tab's title, "<what> · Observer", while the page (or state) is shown. */
export function usePageTitle(what: string | null | undefined) {
  useEffect(() => {
    document.title = what ? `${what} · Observer` : "Observer";
  }, [what]);
}

/** True when nothing useful has the focus (the body, or an element that was removed). */
export function focusIsLost(): boolean {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

/**
 * After an in-app navigation, focus moves to the new page's h1 (a screen reader reads it,
 * Tab continues from there) instead of staying on the body. The first load is left alone.
 */
export function RouteFocus() {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return undefined;
    }
    let tries = 0;
    let frame = 0;
    // The page may still be loading (lazy chunk, data): look again for a few seconds.
    const look = () => {
      const heading = document.querySelector<HTMLElement>("h1");
      if (heading && !heading.closest("[aria-busy=true]")) {
        if (focusIsLost()) {
          if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
        return;
      }
      if (tries++ < 400) frame = window.setTimeout(look, 25);
    };
    frame = window.setTimeout(look, 0);
    return () => window.clearTimeout(frame);
  }, [location.pathname]);
  return null;
}

/**
 * A live region present from the first render (a region inserted already filled may not
 * be read). `announce(text)` replaces its text; the same text twice is read twice.
 */
export function useAnnouncer() {
  const [message, setMessage] = useState({ text: "", n: 0 });
  const announce = useCallback((text: string) => setMessage((m) => ({ text, n: m.n + 1 })), []);
  return { message: message.text, key: message.n, announce };
}

export function LiveRegion({ message, politeness = "polite", testId, label }: { message: string; politeness?: "polite" | "assertive"; testId?: string; label?: string }) {
  return (
    <div className="sr-only" role={politeness === "assertive" ? "alert" : "status"} aria-live={politeness} aria-atomic="true" aria-label={label} data-testid={testId}>
      {message}
    </div>
  );
}

/**
 * The ARIA tabs keyboard pattern for a tablist: arrow keys (and Home/End) move between
 * tabs and select the one reached; only the selected tab is in the Tab order.
 */
export function tabListKeys<T extends string>(ids: readonly T[], selected: T | null, onSelect: (id: T) => void, orientation: "horizontal" | "vertical" = "horizontal") {
  return (event: KeyboardEvent<HTMLElement>) => {
    const back = orientation === "horizontal" ? "ArrowLeft" : "ArrowUp";
    const forward = orientation === "horizontal" ? "ArrowRight" : "ArrowDown";
    const index = selected === null ? -1 : ids.indexOf(selected);
    let next = -1;
    if (event.key === forward) next = (index + 1) % ids.length;
    else if (event.key === back) next = (index - 1 + ids.length) % ids.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = ids.length - 1;
    if (next < 0 || !ids.length) return;
    event.preventDefault();
    const id = ids[next] as T;
    onSelect(id);
    const list = event.currentTarget;
    // Focus follows once React has rendered the new selection.
    window.setTimeout(() => list.querySelector<HTMLElement>(`[role=tab][data-tab-id="${CSS.escape(id)}"]`)?.focus(), 0);
  };
}

/** Links at the top of a page that jump past the header to its main areas. */
export function SkipLinks({ links }: { links: Array<{ href: string; label: string }> }) {
  return (
    <nav className="skip-links" aria-label="Skip links">
      {links.map((link) => (
        <a key={link.href} href={link.href} className="skip-link" onClick={(event) => skipTo(event, link.href)}>
          {link.label}
        </a>
      ))}
    </nav>
  );
}

/** Focuses the target itself (or its first focusable element) rather than only scrolling to it. */
function skipTo(event: React.MouseEvent<HTMLAnchorElement>, href: string) {
  const target = document.getElementById(href.replace(/^#/, ""));
  if (!target) return;
  event.preventDefault();
  const inner = target.matches("[data-skip-inner]")
    ? target.querySelector<HTMLElement>("textarea:not([disabled])") ?? target.querySelector<HTMLElement>("input, button:not([disabled]), [tabindex='0']")
    : null;
  const goal = inner ?? target;
  if (!inner && !goal.hasAttribute("tabindex")) goal.setAttribute("tabindex", "-1");
  goal.focus();
}

/** Text only a screen reader reads. */
export function SrOnly({ children }: { children: ReactNode }) {
  return <span className="sr-only">{children}</span>;
}
