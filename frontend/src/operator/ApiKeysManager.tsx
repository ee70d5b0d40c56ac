import { useEffect, useId, useRef, useState } from "react";
import { LiveRegion, useAnnouncer } from "../components/a11y";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { timeAgo } from "../components/time";
import { useAction } from "../hooks/useAction";
import { useResource } from "../hooks/useResource";
import { ApiKeyForm } from "./ApiKeyForm";
import { apiKeys } from "./api";
import type { IssuedApiKey, ManagedApiKey } from "./types";
import "./operator.css";

interface Props {
  /** The list's heading: "Keys" (an h3) in the operator's panel, an h2 on a teacher's own page. */
  title: string;
  headingLevel: 2 | 3;
  /** Name each key's owner: an admin sees everyone's keys; a teacher sees only their own. */
  showOwner: boolean;
}

/** A secret to show once: a new key's (with its webhook secret), or a rotated key's new one. */
interface Issued {
  key: IssuedApiKey;
  rotated: boolean;
}

type Confirming = { action: "revoke" | "rotate"; key: ManagedApiKey } | null;

/**
 * API keys, made and managed (/api/integrations/keys/ answers a teacher with their own keys,
 * an admin with every key): the operator page's panel and a teacher's own keys page both
 * show this. A key's webhook URL and rates are changed in place; revoking it or giving it a
 * new secret asks first. A new key's secret and webhook secret, and a rotated key's new
 * secret, are shown once: the server keeps only a hash of the secret and never sends it again.
 */
export function ApiKeysManager({ title, headingLevel, showOwner }: Props) {
  const headingId = useId();
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const keys = useResource((signal) => apiKeys.list(signal), []);
  const [editing, setEditing] = useState<string | null>(null); // a key's id, or "new"
  const [issued, setIssued] = useState<Issued | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const { message, announce } = useAnnouncer();
  const issuedBox = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const replace = (saved: ManagedApiKey) => keys.mutate((current) => (current ?? []).map((key) => (key.id === saved.id ? saved : key)));
  const editingKey = keys.data?.find((key) => key.id === editing);

  // The secrets take the focus (and so the screen: on a phone the row's button may be far
  // below). After the dialog's own return of focus to its opener, which it does on a timer.
  useEffect(() => {
    if (!issued) return undefined;
    const timer = window.setTimeout(() => issuedBox.current?.focus(), 0);
    return () => window.clearTimeout(timer);
  }, [issued]);

  const confirm = useAction(async () => {
    if (!confirming) return;
    const { action, key } = confirming;
    if (action === "revoke") {
      replace(await apiKeys.revoke(key.id));
      setIssued(null);
      announce(`${key.name} is revoked: it no longer works.`);
      // Its buttons are gone with it: the focus goes to the list's heading, not the page's top.
      window.setTimeout(() => heading.current?.focus(), 0);
    } else {
      const rotated = await apiKeys.rotate(key.id);
      const { secret: _secret, webhook_secret: _webhookSecret, ...kept } = rotated;
      replace(kept);
      setIssued({ key: rotated, rotated: true });
    }
    setConfirming(null);
  });
  const ask = (action: "revoke" | "rotate", key: ManagedApiKey) => {
    confirm.reset();
    setConfirming({ action, key });
  };

  return (
    <div className="op-keys-manage" data-testid="api-keys-manage">
      <div className="op-card-head">
        <Heading id={headingId} ref={heading} tabIndex={-1}>
          {title}
        </Heading>
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
      <LiveRegion message={message} />
      {issued ? (
        <div className="op-key-issued" role="status" data-testid="issued-key" ref={issuedBox} tabIndex={-1}>
          {issued.rotated ? (
            <p>
              <strong>{issued.key.name}</strong> has a new secret; the old one no longer works. Copy it now: it is not shown again.
            </p>
          ) : (
            <p>
              <strong>{issued.key.name}</strong> is made. Copy its secrets now: they are not shown again.
            </p>
          )}
          <p>
            Key: <code data-testid="issued-secret">{issued.key.secret}</code>
          </p>
          {issued.rotated ? (
            <p className="muted">Its webhook secret stays as it was.</p>
          ) : (
            <p>
              Webhook secret (checks the X-Observer-Signature of its webhooks): <code data-testid="issued-webhook-secret">{issued.key.webhook_secret}</code>
            </p>
          )}
          <button type="button" className="btn small" onClick={() => setIssued(null)}>
            {issued.rotated ? "I have copied it" : "I have copied them"}
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
            setIssued({ key: made, rotated: false });
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
        // Focusable: between a phone (where each key is a block) and a wide screen the table may scroll sideways here.
        <div className="op-table-wrap" tabIndex={0} role="region" aria-labelledby={headingId}>
          <table className="op-table op-keys-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th>Key</th>
                <th>Scopes</th>
                <th>Webhook URL</th>
                <th>Test sessions rate</th>
                <th>Last used</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid="managed-key-row" data-prefix={key.prefix}>
                  <td>
                    {key.name} <code className="muted">{key.prefix}…</code>
                    {showOwner ? <span className="muted"> {key.owner}</span> : null}
                    {key.is_active ? null : <span className="badge"> {key.revoked_at === null ? "expired" : "revoked"}</span>}
                  </td>
                  <td data-label="Scopes">{key.scopes.join(", ")}</td>
                  <td data-label="Webhook URL" className="op-key-url">
                    {key.webhook_url || <span className="muted">none</span>}
                  </td>
                  <td data-label="Test sessions rate">{key.test_sessions_rate || <span className="muted">default</span>}</td>
                  <td data-label="Last used" data-testid="key-last-used">
                    <span title={key.last_used_at ?? undefined}>{timeAgo(key.last_used_at)}</span>
                    <span className="muted"> · {key.use_count === 1 ? "1 use" : `${key.use_count} uses`}</span>
                  </td>
                  <td>
                    {key.revoked_at === null ? (
                      <div className="op-key-actions">
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
                        <button type="button" className="btn small" aria-label={`New secret for ${key.name}`} onClick={() => ask("rotate", key)}>
                          New secret
                        </button>
                        <button type="button" className="btn small danger" aria-label={`Revoke ${key.name}`} onClick={() => ask("revoke", key)}>
                          Revoke
                        </button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {confirming ? (
        <Dialog
          title={confirming.action === "revoke" ? `Revoke ${confirming.key.name}?` : `A new secret for ${confirming.key.name}?`}
          onClose={() => setConfirming(null)}
        >
          {confirming.action === "revoke" ? (
            <p>Whatever uses this key is refused from now on. This cannot be undone: the key stays in the list, marked revoked.</p>
          ) : (
            <p>
              The current secret stops working at once: whatever uses it needs the new one, shown once. The key's name, scopes, rates, webhook URL and webhook
              secret stay.
            </p>
          )}
          <ErrorMessage error={confirm.error} blockedUntil={confirm.blockedUntil} onCountdownDone={confirm.reset} />
          <div className="form-actions">
            <button type="button" className="btn danger" onClick={() => void confirm.run()} disabled={confirm.pending}>
              {confirming.action === "revoke" ? (confirm.pending ? "Revoking…" : "Revoke key") : confirm.pending ? "Making a new secret…" : "Make a new secret"}
            </button>
            <button type="button" className="btn" onClick={() => setConfirming(null)}>
              {confirming.action === "revoke" ? "Keep it" : "Keep the current secret"}
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
