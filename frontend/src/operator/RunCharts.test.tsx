import { render, screen } from "@testing-library/react";
import type uPlot from "uplot";
import { describe, expect, it, vi } from "vitest";
import { statistics } from "../test/operator";
import { DurationChart, RunsPerMinuteChart } from "./RunCharts";

interface Drawn {
  label: string;
  data: uPlot.AlignedData;
  options: Omit<uPlot.Options, "width" | "height">;
}
const charts = vi.hoisted(() => ({ drawn: [] as Drawn[] }));
// uPlot needs a real canvas; the charts' job is the data and options they hand it.
vi.mock("./UPlotChart", () => ({
  UPlotChart: (props: Drawn) => {
    charts.drawn.push(props);
    return <div role="img" aria-label={props.label} />;
  },
}));
const last = () => charts.drawn.at(-1)!;

describe("RunsPerMinuteChart", () => {
  it("stacks each minute's runs by status, successes at the bottom, with a legend of totals", () => {
    const stats = statistics({
      timeline: [
        { start: "2030-01-01T11:58:00Z", counts: { ok: 2, timeout: 1 } },
        { start: "2030-01-01T11:59:00Z", counts: { ok: 1, "runtime-error": 2 } },
      ],
    });
    render(<RunsPerMinuteChart stats={stats} />);
    expect(screen.getByRole("img", { name: "Runs per minute by status" })).toBeInTheDocument();
    const [xs, ...stacks] = last().data;
    expect(xs).toEqual([Date.parse("2030-01-01T11:58:00Z") / 1000, Date.parse("2030-01-01T11:59:00Z") / 1000]);
    // Drawn tallest first: timeout on top of runtime-error on top of ok.
    expect(last().options.series.slice(1).map((s) => s.label)).toEqual(["timeout", "runtime-error", "ok"]);
    expect(stacks).toEqual([[3, 3], [2, 3], [2, 1]]);
    const legend = screen.getByRole("list", { name: "Run statuses" });
    expect(legend).toHaveTextContent("ok 3");
    expect(legend).toHaveTextContent("runtime-error 2");
    expect(legend).toHaveTextContent("timeout 1");
  });

  it("has an empty state", () => {
    render(<RunsPerMinuteChart stats={statistics({ timeline: [{ start: "2030-01-01T11:58:00Z", counts: {} }] })} />);
    expect(screen.getByText("No runs in the last hour")).toBeInTheDocument();
  });
});

describe("DurationChart", () => {
  it("draws one bar per run-time bucket, labelled by its bound", () => {
    const stats = statistics({ durations: [{ le_ms: 100, count: 4 }, { le_ms: 1000, count: 1 }, { le_ms: null, count: 2 }] });
    render(<DurationChart stats={stats} />);
    expect(last().data).toEqual([[0, 1, 2], [4, 1, 2]]);
    const axis = last().options.axes![0]!;
    const values = axis.values as (u: uPlot, splits: number[]) => string[];
    expect(values({} as uPlot, [0, 1, 2])).toEqual(["≤ 100 ms", "≤ 1.00 s", "> 1.00 s"]);
  });

  it("has an empty state when no run finished", () => {
    render(<DurationChart stats={statistics({ durations: [{ le_ms: 100, count: 0 }] })} />);
    expect(screen.getByText("No finished runs in the last hour")).toBeInTheDocument();
  });
});
