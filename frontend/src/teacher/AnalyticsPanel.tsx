import { sessions } from "../api/endpoints";
import type { StudentAnalytics } from "../api/types";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { stripAnsi } from "../components/ansi";
import { formatMinutes } from "../components/time";
import { useResource } from "../hooks/useResource";

interface Props {
  sessionId: string;
  onOpenStudent: (participantId: string) => void;
}

function errors(s: StudentAnalytics): number {
  return Object.entries(s.runs_by_status).reduce((sum, [status, n]) => (status === "ok" || status === "killed" ? sum : sum + (n ?? 0)), 0);
}

/** Per-student figures: active time, runs (ok vs failed), typing volume, help requests, last error. */
export function AnalyticsPanel({ sessionId, onOpenStudent }: Props) {
  const data = useResource((signal) => sessions.analytics(sessionId, signal), [sessionId]);
  if (data.loading && !data.data) return <LoadingState label="Computing analytics…" />;
  if (data.error) return <ErrorState error={data.error} onRetry={data.reload} />;
  const students = data.data?.students ?? [];
  if (students.length === 0) return <EmptyState title="No activity yet">Analytics fill in as students type and run code.</EmptyState>;
  const maxActive = Math.max(1, ...students.map((s) => s.active_seconds));
  const totals = data.data?.session ?? {};
  return (
    <section aria-label="Analytics" className="card" data-testid="analytics">
      <div className="row" style={{ marginBottom: 8 }}>
        <h2 className="grow" style={{ margin: 0 }}>Analytics</h2>
        <button type="button" className="btn small" onClick={data.reload}>
          Refresh
        </button>
      </div>
      <Totals totals={totals} />
      <div style={{ overflowX: "auto" }}>
        <table className="analytics-table">
          <thead>
            <tr>
              <th>Student</th>
              <th>Active</th>
              <th className="num">Runs</th>
              <th className="num">Failed</th>
              <th className="num">Chars typed</th>
              <th className="num">Help</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {students.map((s) => (
              <tr key={s.participant_id}>
                <td>
                  <button type="button" className="link-btn" onClick={() => onOpenStudent(s.participant_id)}>
                    {s.display_name}
                  </button>
                </td>
                <td>
                  <span className="bar" style={{ width: `${Math.round((s.active_seconds / maxActive) * 80)}px` }} /> {formatMinutes(s.active_seconds)}
                </td>
                <td className="num">{s.runs}</td>
                <td className="num">{errors(s)}</td>
                <td className="num">{s.chars_typed}</td>
                <td className="num">{s.help_requests}</td>
                <td className="muted" style={{ maxWidth: 260, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={stripAnsi(s.last_error ?? "")}>
                  {s.last_error ? stripAnsi(s.last_error) : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const FIGURES: Array<{ key: string; label: string; seconds?: boolean }> = [
  { key: "participants", label: "Students" },
  { key: "online", label: "Online now" },
  { key: "runs", label: "Runs" },
  { key: "failed_runs", label: "Failed runs" },
  { key: "help_requests", label: "Raised hands" },
  { key: "open_help_requests", label: "Open hands" },
  { key: "chars_typed", label: "Characters typed" },
  { key: "active_seconds", label: "Active time", seconds: true },
  { key: "duration_seconds", label: "Session length", seconds: true },
];

/** The session's totals as a row of figures (keys the server sends that we know how to name). */
function Totals({ totals }: { totals: Record<string, number | string | null> }) {
  const shown = FIGURES.filter((f) => typeof totals[f.key] === "number");
  if (shown.length === 0) return null;
  return (
    <div className="figures" data-testid="analytics-totals">
      {shown.map((f) => {
        const value = totals[f.key] as number;
        return (
          <div key={f.key} className="figure">
            <div className="figure-value">{f.seconds ? formatMinutes(value) : value.toLocaleString()}</div>
            <div className="figure-label">{f.label}</div>
          </div>
        );
      })}
    </div>
  );
}
