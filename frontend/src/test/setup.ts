import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

// uPlot reads the device pixel ratio through matchMedia when it loads; jsdom has none.
if (typeof window !== "undefined" && !window.matchMedia) {
  window.matchMedia = ((query: string) => ({
    matches: false, media: query, onchange: null, addListener() {}, removeListener() {},
    addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia;  // prettier-ignore
}

afterEach(() => {
  // Pure-logic suites run in the node environment (faster): no DOM to clean there.
  if (typeof window === "undefined") return;
  cleanup();
  window.localStorage.clear();
});
