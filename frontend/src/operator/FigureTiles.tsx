import { formatMs, formatPercent, formatRate, HEALTH_COLORS } from "./format";
import type { Figures } from "./types";

interface Tile {
  id: string;
  label: string;
  value: string;
  hint?: string;
}

function tiles(f: Figures): Tile[] {
  const window = f.window_seconds === 3600 ? "last hour" : `last ${Math.round(f.window_seconds / 60)} min`;
  const kinds = Object.entries(f.connections.by_kind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(" · ");
  return [
    { id: "active-runs", label: "Running now", value: String(f.active_runs), hint: `${f.queued_runs} queued` },
    { id: "runs", label: `Runs (${window})`, value: String(f.runs), hint: `${f.runs_ok} ok · ${f.runs_failed} failed` },
    { id: "success-rate", label: "Success rate", value: formatRate(f.success_rate), hint: window },
    { id: "avg-time", label: "Average run time", value: formatMs(f.avg_wall_ms), hint: `p95 ${formatMs(f.p95_wall_ms)}` },
    { id: "peak", label: "Peak concurrency", value: String(f.peak_concurrency), hint: window },
    { id: "connections", label: "Live connections", value: String(f.connections.total), hint: kinds || "none" },
    {
      id: "sessions",
      label: "Live sessions",
      value: String(f.live_sessions),
      hint: `${f.participants.online} of ${f.participants.joined} students online`,
    },
    { id: "errors", label: `Errors (${window})`, value: String(f.errors) },
  ];
}

/** The headline figures, as pushed over the dashboard socket. */
export function FigureTiles({ figures }: { figures: Figures }) {
  const s = figures.system;
  return (
    <div className="op-tiles" data-testid="figures" data-at={figures.at}>
      {tiles(figures).map((tile) => (
        <div key={tile.id} className="op-tile" data-testid={`figure-${tile.id}`}>
          <div className="op-tile-label">{tile.label}</div>
          <div className="op-tile-value" data-testid={`figure-${tile.id}-value`}>
            {tile.value}
          </div>
          {tile.hint ? <div className="op-tile-hint">{tile.hint}</div> : null}
        </div>
      ))}
      <div className="op-tile" data-testid="figure-system">
        <div className="op-tile-label">This machine</div>
        <div className="op-tile-value" style={{ color: HEALTH_COLORS[s.status] }}>
          {s.status}
        </div>
        <div className="op-tile-hint">
          CPU {formatPercent(s.cpu_percent)} · memory {formatPercent(s.memory_percent)} · disk {formatPercent(s.disk_percent)} · load {s.load_1m}
        </div>
      </div>
    </div>
  );
}
