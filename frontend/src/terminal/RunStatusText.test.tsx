import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { RunStatusText } from "./RunStatusText";

describe("RunStatusText", () => {
  it("shows the exit with time and memory", () => {
    render(
      <RunStatusText
        state={{ kind: "exited", exit: { type: "exit", run_id: "r", status: "killed", exit_code: null, signal: 9, wall_ms: 2100, cpu_ms: 2000, peak_memory_kb: 4096, output_bytes: 0, message: "" } }}
      />,
    );
    expect(screen.getByTestId("run-status")).toHaveTextContent("killed · signal 9 · 2.10 s · 4.0 MB");
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "killed");
  });

  it("shows a refused run with its countdown", () => {
    render(<RunStatusText state={{ kind: "error", code: "rate_limited", message: "Too many runs.", retryUntil: Date.now() + 9000 }} />);
    expect(screen.getByTestId("run-status")).toHaveTextContent("Too many runs.");
    expect(screen.getByRole("timer")).toHaveTextContent("9 s");
  });

  it("says when to try again once, with the countdown", () => {
    const message = "You can start 10 runs per 60 s; try again in 28 s.";
    render(<RunStatusText state={{ kind: "error", code: "rate_limited", message, retryUntil: Date.now() + 28_000 }} />);
    const status = screen.getByTestId("run-status");
    expect(status).toHaveTextContent(/^You can start 10 runs per 60 s\. Try again in 28 s$/);
    expect(status.textContent!.match(/try again/gi)).toHaveLength(1);
  });

  it("shows the queue position", () => {
    render(<RunStatusText state={{ kind: "queued", position: 3 }} />);
    expect(screen.getByTestId("run-status")).toHaveTextContent("Queued (position 3)");
  });
});
