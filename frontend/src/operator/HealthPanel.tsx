import { ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { HEALTH_COLORS } from "./format";
import type { HealthReport } from "./types";

interface Props {
  report: HealthReport | undefined;
  error: unknown;
  loading: boolean;
  onCheck: () => void;
}

/** Each dependency with its status colour, latency and what it said. */
export function HealthPanel({ report, error, loading, onCheck }: Props) {
  return (
    <section className="card op-card" aria-labelledby="op-health">
      <div className="op-card-head">
        <h2 id="op-health">Health</h2>
        {report ? (
          <span className="op-status" style={{ color: HEALTH_COLORS[report.status] }} data-testid="health-overall">
            ● {report.status}
          </span>
        ) : null}
        <span className="grow" />
        <button type="button" className="btn small" onClick={onCheck} disabled={loading}>
          {loading ? "Checking…" : "Check now"}
        </button>
      </div>
      {error ? <ErrorState error={error} onRetry={onCheck} /> : null}
      {!report && !error ? <LoadingState label="Checking every dependency…" /> : null}
      {report ? (
        <>
          <ul className="op-health">
            {report.checks.map((check) => (
              <li key={check.name} data-testid={`health-${check.name}`} data-status={check.status}>
                <span className="op-dot" style={{ background: HEALTH_COLORS[check.status] }} aria-hidden="true" />
                <span className="op-health-name" title={check.name}>
                  {check.name}
                </span>
                <span className="op-health-status" style={{ color: HEALTH_COLORS[check.status] }}>
                  {check.status}
                </span>
                <span className="op-num muted">{check.latency_ms !== null ? `${check.latency_ms} ms` : ""}</span>
                <span className="op-health-message muted">{check.message}</span>
              </li>
            ))}
          </ul>
          <p className="muted op-small">Checked {timeAgo(report.checked_at)}.</p>
        </>
      ) : null}
    </section>
  );
}
