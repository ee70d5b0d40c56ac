import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => {
  // Pure-logic suites run in the node environment (faster): no DOM to clean there.
  if (typeof window === "undefined") return;
  cleanup();
  window.localStorage.clear();
});
