import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { useResource } from "../hooks/useResource";
import { ApiKeysManager } from "./ApiKeysManager";
import { monitoring } from "./api";

/**
 * The API keys other systems used in the last day: runs in the last hour and day, runs
 * that did not end ok, webhooks that gave up, last use. Keys are named by their visible
 * prefix; the secret is never shown (the server never sends it). Below, the keys
 * themselves, every user's: made, changed (webhook URL, rates), revoked and rotated in
 * ApiKeysManager (which a teacher's own keys page shows too).
 */
export function ApiKeysPanel({ refreshKey }: { refreshKey: number }) {
  const keys = useResource((signal) => monitoring.apiKeys(signal), [refreshKey]);
  return (
    <section className="card op-card op-wide" aria-labelledby="op-api-keys">
      <h2 id="op-api-keys">API keys, last day</h2>
      {keys.error ? <ErrorState error={keys.error} onRetry={keys.reload} /> : null}
      {!keys.data && !keys.error ? <LoadingState /> : null}
      {keys.data && !keys.data.length ? <EmptyState title="No API key was used in the last day" /> : null}
      {keys.data?.length ? (
        // Focusable: on a narrow screen the table scrolls sideways inside this frame, by keyboard too.
        <div className="op-table-wrap" tabIndex={0} role="region" aria-labelledby="op-api-keys">
          <table className="op-table" data-testid="api-keys">
            <thead>
              <tr>
                <th>Key</th>
                <th>Owner</th>
                <th className="op-num">Runs, hour</th>
                <th className="op-num">Runs, day</th>
                <th className="op-num">Not ok, day</th>
                <th className="op-num">Webhooks failed</th>
                <th>Last used</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid="api-key-row" data-prefix={key.prefix}>
                  <td>
                    {key.name} <code className="muted">{key.prefix}…</code>
                    {key.active ? null : <span className="badge"> revoked or expired</span>}
                  </td>
                  <td>{key.owner}</td>
                  <td className="op-num">{key.runs_last_hour}</td>
                  <td className="op-num">{key.runs_last_day}</td>
                  <td className="op-num">{key.failed_last_day}</td>
                  <td className="op-num">{key.webhooks_failed_last_day}</td>
                  <td title={key.last_used_at ?? undefined}>{timeAgo(key.last_used_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ApiKeysManager title="Keys" headingLevel={3} showOwner />
    </section>
  );
}
