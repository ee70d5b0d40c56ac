import { useSyncExternalStore } from "react";
import { THEME_KEY, parsePreference, resolveTheme, type Theme, type ThemePreference } from "./theme";

const DARK_QUERY = "(prefers-color-scheme: dark)";
const listeners = new Set<() => void>();

function systemDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

// The choice of this page, for when storage refuses it (private mode).
let chosen: ThemePreference = "system";

function readPreference(): ThemePreference {
  try {
    return parsePreference(window.localStorage.getItem(THEME_KEY));
  } catch {
    return chosen;
  }
}

interface ThemeState {
  preference: ThemePreference;
  theme: Theme;
}

let current: ThemeState = { preference: "system", theme: "light" };

function refresh(): void {
  const preference = readPreference();
  const theme = resolveTheme(preference, systemDark());
  if (preference !== current.preference || theme !== current.theme) current = { preference, theme };
  const root = document.documentElement;
  root.dataset["theme"] = current.theme;
  root.style.colorScheme = current.theme;
  listeners.forEach((listener) => listener());
}

let watching = false;

/** Applies the theme to <html> now (before the first render: no flash of the wrong one) and follows the system. */
export function startTheme(): void {
  refresh();
  if (watching || typeof window.matchMedia !== "function") return;
  watching = true;
  window.matchMedia(DARK_QUERY).addEventListener?.("change", refresh);
  window.addEventListener("storage", (event) => {
    if (event.key === THEME_KEY) refresh();
  });
}

export function setThemePreference(preference: ThemePreference): void {
  chosen = preference;
  try {
    if (preference === "system") window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, preference);
  } catch {
    // Storage refused: the choice lasts for this page.
  }
  refresh();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The theme in force and the user's preference, re-rendering when either changes. */
export function useTheme(): ThemeState {
  return useSyncExternalStore(subscribe, () => current);
}
