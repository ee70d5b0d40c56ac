import { useState, type ChangeEvent } from "react";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { useResource } from "../hooks/useResource";
import { monitoring } from "./api";
import { formatBytes, formatMs, LANGUAGES, sinceFor, STATUS_ORDER, statusColor } from "./format";
import type { ExecutionFilters, Period } from "./types";

const PAGE_SIZE = 25;

interface Props {
  /** Changes whenever the live figures say runs happened: the table reloads. */
  refreshKey: number;
  sessions: { session_id: string; title: string }[];
}

/** The most recent executions, newest first, filtered by language, status, session and period. */
export function ExecutionsTable({ refreshKey, sessions }: Props) {
  const [language, setLanguage] = useState("");
  const [status, setStatus] = useState("");
  const [session, setSession] = useState("");
  const [period, setPeriod] = useState<Period | "">("");
  const [page, setPage] = useState(1);

  const filters: ExecutionFilters = {
    language: language || undefined,
    status: status || undefined,
    session: session || undefined,
    since: period ? sinceFor(period) : undefined,
    page,
    page_size: PAGE_SIZE,
  };
  const runs = useResource((signal) => monitoring.executions(filters, signal), [language, status, session, period, page, refreshKey]);

  function choose(set: (value: string) => void) {
    return (event: ChangeEvent<HTMLSelectElement>) => {
      set(event.target.value);
      setPage(1);
    };
  }

  const data = runs.data;
  const pages = data ? Math.max(1, Math.ceil(data.count / PAGE_SIZE)) : 1;
  return (
    <div>
      <div className="row wrap op-filters" role="group" aria-label="Filters">
        <label>
          Language{" "}
          <select value={language} onChange={choose(setLanguage)} aria-label="Language">
            <option value="">all</option>
            {LANGUAGES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select value={status} onChange={choose(setStatus)} aria-label="Status">
            <option value="">all</option>
            {STATUS_ORDER.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Session{" "}
          <select value={session} onChange={choose(setSession)} aria-label="Session">
            <option value="">all</option>
            {sessions.map((s) => (
              <option key={s.session_id} value={s.session_id}>
                {s.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Period{" "}
          <select value={period} onChange={choose((v) => setPeriod(v as Period | ""))} aria-label="Period">
            <option value="">any time</option>
            <option value="hour">last hour</option>
            <option value="day">last day</option>
            <option value="week">last week</option>
          </select>
        </label>
        <span className="grow" />
        {data ? <span className="muted op-small">{data.count === 1 ? "1 run" : `${data.count} runs`}</span> : null}
      </div>
      {runs.error ? <ErrorState error={runs.error} onRetry={runs.reload} /> : null}
      {!data && !runs.error ? <LoadingState /> : null}
      {data && !data.results.length ? <EmptyState title="No runs match these filters" /> : null}
      {data && data.results.length ? (
        <div className="op-table-wrap">
          <table className="op-table" data-testid="executions">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Session</th>
                <th>Language</th>
                <th>Status</th>
                <th className="op-num">Time</th>
                <th className="op-num">CPU</th>
                <th className="op-num">Memory</th>
                <th className="op-num">Queued</th>
              </tr>
            </thead>
            <tbody>
              {data.results.map((run) => (
                <tr key={run.id} data-testid="execution-row" data-status={run.status}>
                  <td title={run.created_at}>{timeAgo(run.created_at)}</td>
                  <td>{run.participant?.display_name ?? run.user?.username ?? "–"}</td>
                  <td>{run.session?.title ?? "–"}</td>
                  <td>
                    {run.language}
                    {run.entry ? <span className="muted"> · {run.entry}</span> : null}
                  </td>
                  <td>
                    <span className="op-status-pill" style={{ background: statusColor(run.status) }} title={run.message}>
                      {run.status}
                    </span>
                  </td>
                  <td className="op-num">{formatMs(run.wall_ms)}</td>
                  <td className="op-num">{formatMs(run.cpu_ms)}</td>
                  <td className="op-num">{run.peak_memory_kb !== null ? formatBytes(run.peak_memory_kb * 1024) : "–"}</td>
                  <td className="op-num">{formatMs(run.queue_wait_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && pages > 1 ? (
        <div className="row op-pager">
          <button type="button" className="btn small" disabled={!data.previous} onClick={() => setPage((p) => p - 1)}>
            Newer
          </button>
          <span className="muted op-small">
            Page {page} of {pages}
          </span>
          <button type="button" className="btn small" disabled={!data.next} onClick={() => setPage((p) => p + 1)}>
            Older
          </button>
        </div>
      ) : null}
    </div>
  );
}
