import { useEffect, useState } from "react";
import { ConnectionIndicator } from "../components/ConnectionIndicator";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { TopBar } from "../components/TopBar";
import { useResource } from "../hooks/useResource";
import { monitoring } from "./api";
import { AiProviderPanel } from "./AiProviderPanel";
import { ApiKeysPanel } from "./ApiKeysPanel";
import { ExecutionsTable } from "./ExecutionsTable";
import { FigureTiles } from "./FigureTiles";
import { historyChanged } from "./format";
import { HealthPanel } from "./HealthPanel";
import { LanguageBars } from "./LanguageBars";
import { ResourcesPanel } from "./ResourcesPanel";
import { DurationChart, RunsPerMinuteChart } from "./RunCharts";
import type { Period } from "./types";
import { useLiveFigures } from "./useLiveFigures";
import "./operator.css";
import { usePageTitle } from "../components/a11y";

const HEALTH_EVERY_MS = 60_000;
/** Several pushes in a burst make one reload of the history. */
const HISTORY_SETTLE_MS = 400;

/**
 * The operator's view of the server: figures pushed live over /ws/monitoring/, run charts
 * and the executions table reloaded whenever those figures say runs happened, dependency
 * health and system resources.
 */
export default function OperatorDashboard() {
  usePageTitle("Operations");
  const live = useLiveFigures();
  const [historyKey, setHistoryKey] = useState(0);
  // How many pushes said the history changed. The reload waits on this, not on every push:
  // a push that changes nothing (a tick, right after a run's end) must not cancel it.
  const [historyChanges, setHistoryChanges] = useState(0);
  const [languagePeriod, setLanguagePeriod] = useState<Period>("hour");

  useEffect(() => {
    if (live.figures && historyChanged(live.previous, live.figures)) setHistoryChanges((count) => count + 1);
  }, [live.figures, live.previous]);

  useEffect(() => {
    if (historyChanges === 0) return undefined;
    const timer = setTimeout(() => setHistoryKey((key) => key + 1), HISTORY_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [historyChanges]);

  const hour = useResource((signal) => monitoring.statistics("hour", signal), [historyKey]);
  const byLanguage = useResource(
    (signal) => (languagePeriod === "hour" ? monitoring.statistics("hour", signal) : monitoring.statistics(languagePeriod, signal)),
    [languagePeriod, historyKey],
  );
  const week = useResource((signal) => monitoring.statistics("week", signal), []);
  const errors = useResource((signal) => monitoring.errors(signal), [live.figures?.errors]);
  const health = useResource((signal) => monitoring.health(signal), []);
  const resources = useResource((signal) => monitoring.resources(signal), []);

  useEffect(() => {
    const timer = setInterval(() => {
      health.reload();
      resources.reload();
    }, HEALTH_EVERY_MS);
    return () => clearInterval(timer);
  }, [health.reload, resources.reload]);

  return (
    <div className="app">
      <TopBar title="Operations" heading>
        <ConnectionIndicator state={live.state} onRetryNow={live.socket.retryNow} />
      </TopBar>
      <main className="page op-page">
        {live.problem ? <div className="notice" role="alert">{live.problem}</div> : null}
        {live.figures ? <FigureTiles figures={live.figures} /> : <LoadingState label="Waiting for live figures…" />}

        <div className="op-grid">
          <section className="card op-card op-wide" aria-labelledby="op-rpm">
            <h2 id="op-rpm">Runs per minute, last hour</h2>
            {hour.error ? <ErrorState error={hour.error} onRetry={hour.reload} /> : null}
            {hour.data ? <RunsPerMinuteChart stats={hour.data} /> : hour.error ? null : <LoadingState />}
          </section>

          <section className="card op-card" aria-labelledby="op-durations">
            <h2 id="op-durations">Run time, last hour</h2>
            {hour.error ? <ErrorState error={hour.error} onRetry={hour.reload} /> : null}
            {hour.data ? <DurationChart stats={hour.data} /> : hour.error ? null : <LoadingState />}
          </section>

          <section className="card op-card" aria-labelledby="op-languages">
            <div className="op-card-head">
              <h2 id="op-languages">Runs by language</h2>
              <span className="grow" />
              <div className="segmented" role="group" aria-label="Period">
                {(["hour", "day", "week"] as Period[]).map((p) => (
                  <button key={p} type="button" className={p === languagePeriod ? "btn small primary" : "btn small"}
                    aria-pressed={p === languagePeriod} onClick={() => setLanguagePeriod(p)}>
                    {p}
                  </button>
                ))}
              </div>
            </div>
            {byLanguage.error ? <ErrorState error={byLanguage.error} onRetry={byLanguage.reload} /> : null}
            {byLanguage.data ? <LanguageBars stats={byLanguage.data} /> : byLanguage.error ? null : <LoadingState />}
          </section>

          <HealthPanel report={health.data} error={health.error} loading={health.loading} onCheck={health.reload} />

          <section className="card op-card" aria-labelledby="op-resources">
            <h2 id="op-resources">System resources</h2>
            <ResourcesPanel resources={resources.data} live={live.figures?.system} error={resources.error} onReload={resources.reload} />
          </section>

          <section className="card op-card" aria-labelledby="op-errors">
            <h2 id="op-errors">Recent errors</h2>
            {errors.error ? <ErrorState error={errors.error} onRetry={errors.reload} /> : null}
            {errors.data && !errors.data.results.length ? <EmptyState title="No errors recorded" /> : null}
            {errors.data?.results.length ? (
              <ul className="op-errors">
                {errors.data.results.map((event) => (
                  <li key={event.id}>
                    <span className="badge error">{event.source}</span> <strong>{event.kind}</strong>{" "}
                    <span className="muted op-small">{timeAgo(event.created_at)}</span>
                    <div className="op-error-message">{event.message}</div>
                  </li>
                ))}
              </ul>
            ) : null}
          </section>

          <AiProviderPanel />

          <ApiKeysPanel refreshKey={historyKey} />

          <section className="card op-card op-wide" aria-labelledby="op-executions">
            <h2 id="op-executions">Recent executions</h2>
            {week.error ? (
              <div data-testid="sessions-error">
                <p className="muted op-small">The session filter could not load this week's sessions:</p>
                <ErrorMessage error={week.error} onRetry={week.reload} compact />
              </div>
            ) : null}
            <ExecutionsTable refreshKey={historyKey} sessions={week.data?.by_session ?? []} />
          </section>
        </div>
      </main>
    </div>
  );
}
