import { useState } from "react";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { useResource } from "../hooks/useResource";
import { monitoring } from "./api";
import { ExecutionFilterBar, NO_FILTERS, queryFor, type FilterState, type Person } from "./ExecutionFilterBar";
import { formatBytes, formatMs, statusColor, statusTextColor } from "./format";
import type { Execution } from "./types";

const PAGE_SIZE = 25;

interface Props {
  /** Changes whenever the live figures say runs happened: the table reloads. */
  refreshKey: number;
  sessions: { session_id: string; title: string }[];
}

function personOf(run: Execution): Person | null {
  if (run.user) return { kind: "user", id: run.user.id, label: run.participant?.display_name ?? run.user.username };
  if (run.participant) return { kind: "participant", id: run.participant.id, label: run.participant.display_name };
  return null;
}

/** The most recent executions, newest first, filtered by language, status, session, person and time. */
export function ExecutionsTable({ refreshKey, sessions }: Props) {
  const [state, setState] = useState<FilterState>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const query = queryFor(state);
  const problem = "problem" in query ? query.problem : null;
  const queryKey = JSON.stringify(state);

  const runs = useResource(
    (signal) =>
      "filters" in query
        ? monitoring.executions({ ...query.filters, page, page_size: PAGE_SIZE }, signal)
        : Promise.resolve(undefined),
    [queryKey, page, refreshKey],
  );
  const change = (next: FilterState) => {
    setState(next);
    setPage(1);
  };

  const data = problem ? undefined : runs.data;
  const pages = data ? Math.max(1, Math.ceil(data.count / PAGE_SIZE)) : 1;
  return (
    <div>
      <ExecutionFilterBar state={state} onChange={change} sessions={sessions}>
        {data ? (
          <span className="muted op-small" data-testid="executions-count" data-count={data.count}>
            {data.count === 1 ? "1 run" : `${data.count} runs`}
          </span>
        ) : null}
      </ExecutionFilterBar>
      {problem ? (
        <div className="error-message compact" role="alert">
          {problem}
        </div>
      ) : null}
      {runs.error ? <ErrorState error={runs.error} onRetry={runs.reload} /> : null}
      {!data && !runs.error && !problem ? <LoadingState /> : null}
      {data && !data.results.length ? <EmptyState title="No runs match these filters" /> : null}
      {data && data.results.length ? (
        // Focusable: on a narrow screen the table scrolls sideways inside this frame, by keyboard too.
        <div className="op-table-wrap" tabIndex={0} role="region" aria-label="Recent executions">
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
                <tr key={run.id} data-testid="execution-row" data-run-id={run.id} data-status={run.status}>
                  <td title={run.created_at}>{timeAgo(run.created_at)}</td>
                  <td>
                    <PersonCell run={run} onPick={(person) => change({ ...state, person })} />
                  </td>
                  <td>{run.session?.title ?? "–"}</td>
                  <td>
                    {run.language}
                    {run.entry ? <span className="muted"> · {run.entry}</span> : null}
                  </td>
                  <td>
                    <span className="op-status-pill" style={{ background: statusColor(run.status), color: statusTextColor(run.status) }} title={run.message}>
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

function PersonCell({ run, onPick }: { run: Execution; onPick: (person: Person) => void }) {
  const person = personOf(run);
  if (!person) return <>–</>;
  return (
    <button type="button" className="link-btn op-person" title={`Only ${person.label}'s runs`} onClick={() => onPick(person)}>
      {person.label}
    </button>
  );
}
