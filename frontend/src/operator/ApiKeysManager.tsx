import { useState } from "react";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { useResource } from "../hooks/useResource";
import { ApiKeyForm } from "./ApiKeyForm";
import { apiKeys } from "./api";
import type { IssuedApiKey, ManagedApiKey } from "./types";

/**
 * The keys themselves (an admin sees every key): made and changed here, with their
 * webhook URL and rates. A new key's secret and webhook secret are shown once, right
 * after it is made: the server keeps only a hash of the one and never sends either again.
 */
export function ApiKeysManager() {
  const keys = useResource((signal) => apiKeys.list(signal), []);
  const [editing, setEditing] = useState<string | null>(null); // a key's id, or "new"
  const [issued, setIssued] = useState<IssuedApiKey | null>(null);
  const replace = (saved: ManagedApiKey) => keys.mutate((current) => (current ?? []).map((key) => (key.id === saved.id ? saved : key)));
  const editingKey = keys.data?.find((key) => key.id === editing);
  return (
    <div className="op-keys-manage" data-testid="api-keys-manage">
      <div className="op-card-head">
        <h3 id="op-api-keys-manage">Keys</h3>
        {editing === null ? (
          <button
            type="button"
            className="btn small"
            onClick={() => {
              setIssued(null);
              setEditing("new");
            }}
          >
            New key
          </button>
        ) : null}
      </div>
      {issued ? (
        <div className="op-key-issued" role="status" data-testid="issued-key">
          <p>
            <strong>{issued.name}</strong> is made. Copy its secrets now: they are not shown again.
          </p>
          <p>
            Key: <code data-testid="issued-secret">{issued.secret}</code>
          </p>
          <p>
            Webhook secret (checks the X-Observer-Signature of its webhooks): <code data-testid="issued-webhook-secret">{issued.webhook_secret}</code>
          </p>
          <button type="button" className="btn small" onClick={() => setIssued(null)}>
            I have copied them
          </button>
        </div>
      ) : null}
      {editing === "new" ? (
        <ApiKeyForm
          submitLabel="Make key"
          onCancel={() => setEditing(null)}
          onSubmit={async (input) => {
            const made = await apiKeys.create(input);
            const { secret: _secret, webhook_secret: _webhookSecret, ...key } = made;
            keys.mutate((current) => [key, ...(current ?? [])]);
            setIssued(made);
            setEditing(null);
          }}
        />
      ) : null}
      {editingKey ? (
        <ApiKeyForm
          key={editingKey.id}
          initial={editingKey}
          submitLabel="Save changes"
          onCancel={() => setEditing(null)}
          onSubmit={async (input) => {
            replace(await apiKeys.update(editingKey.id, input));
            setEditing(null);
          }}
        />
      ) : null}
      {keys.error ? <ErrorState error={keys.error} onRetry={keys.reload} /> : null}
      {!keys.data && !keys.error ? <LoadingState /> : null}
      {keys.data && !keys.data.length ? <EmptyState title="No API key yet" /> : null}
      {keys.data?.length ? (
        <div className="op-table-wrap">
          <table className="op-table" aria-labelledby="op-api-keys-manage">
            <thead>
              <tr>
                <th>Key</th>
                <th>Scopes</th>
                <th>Webhook URL</th>
                <th>Test sessions rate</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid="managed-key-row" data-prefix={key.prefix}>
                  <td>
                    {key.name} <code className="muted">{key.prefix}…</code> <span className="muted">{key.owner}</span>
                    {key.is_active ? null : <span className="badge"> revoked or expired</span>}
                  </td>
                  <td>{key.scopes.join(", ")}</td>
                  <td className="op-key-url">{key.webhook_url || <span className="muted">none</span>}</td>
                  <td>{key.test_sessions_rate || <span className="muted">default</span>}</td>
                  <td>
                    {key.revoked_at === null ? (
                      <button
                        type="button"
                        className="btn small"
                        aria-label={`Change ${key.name}`}
                        disabled={editing !== null}
                        onClick={() => {
                          setIssued(null);
                          setEditing(key.id);
                        }}
                      >
                        Change
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
