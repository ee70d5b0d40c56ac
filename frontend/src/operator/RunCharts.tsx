import { useMemo } from "react";
import uPlot from "uplot";
import { EmptyState } from "../components/States";
import { useTheme } from "../theme/useTheme";
import { durationLabel, stackTimeline, statusColor } from "./format";
import type { Statistics } from "./types";
import { UPlotChart } from "./UPlotChart";

const integerTicks = (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? String(v) : ""));

const LIGHT_AXIS = { stroke: "#5d6878", grid: { stroke: "rgba(0, 0, 0, 0.07)" } };
const DARK_AXIS = { stroke: "#a3adbd", grid: { stroke: "rgba(255, 255, 255, 0.08)" } };

/** Axis labels and grid lines that read on the page's background (uPlot draws them on a canvas, out of CSS's reach). */
function useAxisColours(): { stroke: string; grid: { stroke: string } } {
  const { theme } = useTheme();
  return theme === "dark" ? DARK_AXIS : LIGHT_AXIS;
}

/** Runs per minute over the last hour, one stacked bar per minute, coloured by status. */
export function RunsPerMinuteChart({ stats }: { stats: Statistics }) {
  const { xs, series } = useMemo(() => stackTimeline(stats.timeline), [stats.timeline]);
  const statuses = series.map((s) => s.status).join(",");
  // The tallest stack first: each shorter one is drawn over it, so every colour shows.
  const drawn = useMemo(() => [...series].reverse(), [series]);
  const axis = useAxisColours();

  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => {
    const bars = uPlot.paths.bars!({ size: [0.9, 30], gap: 1 });
    return {
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // Half a bucket of room each side, so the first and last bars show whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - 30, max + 30] }, y: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil(max * 1.1))] } },
      axes: [{ ...axis }, { ...axis, values: integerTicks, size: 40 }],
      series: [
        {},
        ...statuses
          .split(",")
          .filter(Boolean)
          .reverse()
          .map((status) => ({ label: status, fill: statusColor(status), stroke: statusColor(status), width: 0, paths: bars, points: { show: false } })),
      ],
    };
  }, [statuses, axis]);

  const data = useMemo<uPlot.AlignedData>(() => [xs, ...drawn.map((s) => s.top)], [xs, drawn]);
  const totals = series.map((s) => ({ status: s.status, total: s.counts.reduce((a, b) => a + b, 0) }));

  if (!series.length) return <EmptyState title="No runs in the last hour" />;
  return (
    <div>
      <UPlotChart options={options} data={data} label="Runs per minute by status" />
      <ul className="op-legend" aria-label="Run statuses">
        {totals.map(({ status, total }) => (
          <li key={status}>
            <span className="op-swatch" style={{ background: statusColor(status) }} aria-hidden="true" />
            {status} <strong>{total}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** How long finished runs took: a histogram over fixed buckets. */
export function DurationChart({ stats }: { stats: Statistics }) {
  const labels = useMemo(
    () => stats.durations.map((bucket, i) => durationLabel(bucket.le_ms, stats.durations[i - 1]?.le_ms ?? null)),
    [stats.durations],
  );
  const count = labels.length;
  const axis = useAxisColours();
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: [-0.5, count - 0.5] },
        y: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil(max * 1.1))] },
      },
      axes: [
        { ...axis, splits: () => labels.map((_, i) => i), values: () => labels, size: 36 },
        { ...axis, values: integerTicks, size: 40 },
      ],
      series: [{}, { label: "runs", fill: "#1769aa", stroke: "#1769aa", width: 0, paths: uPlot.paths.bars!({ size: [0.8, 60] }), points: { show: false } }],
    }),
    [labels, count, axis],
  );
  const data = useMemo<uPlot.AlignedData>(
    () => [stats.durations.map((_, i) => i), stats.durations.map((bucket) => bucket.count)],
    [stats.durations],
  );
  if (!stats.durations.some((bucket) => bucket.count > 0)) return <EmptyState title="No finished runs in the last hour" />;
  return <UPlotChart options={options} data={data} label="Run time distribution" />;
}
