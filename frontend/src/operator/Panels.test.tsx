import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/errors";
import { HEALTH, RESOURCES, statistics } from "../test/operator";
import { HEALTH_COLORS } from "./format";
import { HealthPanel } from "./HealthPanel";
import { LanguageBars } from "./LanguageBars";
import { ResourcesPanel } from "./ResourcesPanel";

const failure = new ApiError(503, { code: "unavailable", message: "The server is temporarily unavailable.", details: {} });

describe("HealthPanel", () => {
  it("lists each dependency with its status colour, latency and message", () => {
    render(<HealthPanel report={HEALTH} error={null} loading={false} onCheck={() => undefined} />);
    expect(screen.getByTestId("health-overall")).toHaveTextContent("degraded");
    const sandbox = screen.getByTestId("health-sandbox");
    expect(sandbox).toHaveAttribute("data-status", "degraded");
    expect(sandbox).toHaveTextContent("40 ms");
    expect(sandbox).toHaveTextContent("cgroups unavailable: rlimits only");
    expect(within(sandbox).getByText("degraded")).toHaveStyle({ color: HEALTH_COLORS.degraded });
    expect(screen.getByTestId("health-cpu")).not.toHaveTextContent(" ms");
  });

  it("checks again on demand and says so while checking", async () => {
    const onCheck = vi.fn();
    const { rerender } = render(<HealthPanel report={HEALTH} error={null} loading={false} onCheck={onCheck} />);
    await userEvent.click(screen.getByRole("button", { name: "Check now" }));
    expect(onCheck).toHaveBeenCalledTimes(1);
    rerender(<HealthPanel report={HEALTH} error={null} loading onCheck={onCheck} />);
    expect(screen.getByRole("button", { name: "Checking…" })).toBeDisabled();
  });

  it("shows a failed check with Retry, and a loading state before the first report", async () => {
    const onCheck = vi.fn();
    const { rerender } = render(<HealthPanel report={undefined} error={null} loading onCheck={onCheck} />);
    expect(screen.getByText("Checking every dependency…")).toBeInTheDocument();
    rerender(<HealthPanel report={undefined} error={failure} loading={false} onCheck={onCheck} />);
    expect(screen.getByRole("alert")).toHaveTextContent("temporarily unavailable");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onCheck).toHaveBeenCalledTimes(1);
  });
});

describe("ResourcesPanel", () => {
  it("shows CPU, memory and each disk against the thresholds", () => {
    render(<ResourcesPanel resources={RESOURCES} live={undefined} error={null} onReload={() => undefined} />);
    expect(screen.getByRole("meter", { name: "CPU" })).toHaveAttribute("aria-valuenow", "12");
    expect(screen.getByTestId("resource-memory")).toHaveTextContent("80%");
    expect(screen.getByTestId("resource-memory")).toHaveTextContent("2.0 GB free of 8.0 GB");
    expect(within(screen.getByTestId("resource-memory")).getByText("80%")).toHaveStyle({ color: HEALTH_COLORS.degraded });
    expect(within(screen.getByTestId("resource-disk")).getByText("95%")).toHaveStyle({ color: HEALTH_COLORS.unhealthy });
    expect(screen.getByText(/Server process 4242/)).toHaveTextContent("Degraded above 75%, unhealthy above 90%.");
  });

  it("prefers the fresher live readings for CPU and memory", () => {
    const live = { cpu_percent: 93, memory_percent: 50, disk_percent: 95, load_1m: 3, status: "unhealthy" as const };
    render(<ResourcesPanel resources={RESOURCES} live={live} error={null} onReload={() => undefined} />);
    expect(screen.getByRole("meter", { name: "CPU" })).toHaveAttribute("aria-valuenow", "93");
    expect(within(screen.getByTestId("resource-cpu")).getByText("93%")).toHaveStyle({ color: HEALTH_COLORS.unhealthy });
    expect(within(screen.getByTestId("resource-memory")).getByText("50%")).toHaveStyle({ color: HEALTH_COLORS.healthy });
  });

  it("shows a failure with Retry", async () => {
    const onReload = vi.fn();
    render(<ResourcesPanel resources={undefined} live={undefined} error={failure} onReload={onReload} />);
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onReload).toHaveBeenCalledTimes(1);
  });
});

describe("LanguageBars", () => {
  it("draws ok and failed runs per language, scaled to the busiest", () => {
    const stats = statistics({
      by_language: [
        { language: "python", total: 10, ok: 6, failed: 3, avg_wall_ms: 250 },
        { language: "java", total: 5, ok: 1, failed: 4, avg_wall_ms: 1500 },
      ],
    });
    render(<LanguageBars stats={stats} />);
    const python = screen.getByTestId("language-python");
    expect(python).toHaveTextContent("6 ok · 3 failed");
    expect(python).toHaveTextContent("avg 250 ms");
    expect(python.querySelector(".op-bar-ok")).toHaveStyle({ width: "60%" });
    expect(python.querySelector(".op-bar-other")).toHaveStyle({ width: "10%" }); // one run still going
    expect(python.querySelector(".op-bar")).toHaveAttribute("title", "6 ok, 3 failed, 1 unfinished");
    const java = screen.getByTestId("language-java");
    expect(java.querySelector(".op-bar-failed")).toHaveStyle({ width: "40%" });
    expect(java).toHaveTextContent("avg 1.50 s");
  });

  it("has an empty state", () => {
    render(<LanguageBars stats={statistics()} />);
    expect(screen.getByText("No runs in this period")).toBeInTheDocument();
  });
});
