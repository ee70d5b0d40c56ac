import { useId, useState, type FormEvent } from "react";
import { ApiError } from "../api/errors";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import type { ApiKeyInput, ApiKeyScope, ManagedApiKey } from "./types";

const SCOPES: Array<{ id: ApiKeyScope; label: string }> = [
  { id: "execute", label: "Run code" },
  { id: "test-sessions", label: "Test sessions" },
  { id: "read", label: "Read results" },
];

type TextField = "name" | "webhook_url" | "test_sessions_rate" | "executions_rate" | "requests_rate";

const TEXT_FIELDS: Array<{ field: TextField; label: string; hint: string; placeholder?: string }> = [
  { field: "name", label: "Name", hint: "Who uses it, e.g. the LMS grader." },
  {
    field: "webhook_url",
    label: "Webhook URL (optional)",
    hint: "Gets a signed POST when a run of this key finishes and when a test session completes. A public http(s) address.",
    placeholder: "https://lms.example.org/observer-hook",
  },
  { field: "test_sessions_rate", label: "Test sessions rate (optional)", hint: "Count per period, e.g. 50/15m. Empty: the server's default.", placeholder: "50/15m" },
  { field: "executions_rate", label: "Executions rate (optional)", hint: "e.g. 10/m. Empty: the server's default.", placeholder: "10/m" },
  { field: "requests_rate", label: "Requests rate (optional)", hint: "e.g. 200/15m. Empty: the server's default.", placeholder: "200/15m" },
];

interface Props {
  /** The key being changed; none: a new key. */
  initial?: ManagedApiKey;
  submitLabel: string;
  onSubmit: (input: ApiKeyInput) => Promise<unknown>;
  onCancel: () => void;
}

/**
 * A key's settings: name, scopes, webhook URL and rates. The server checks them (a rate's
 * format, a webhook URL inside the server's network); its messages are shown next to the
 * field they are about.
 */
export function ApiKeyForm({ initial, submitLabel, onSubmit, onCancel }: Props) {
  const id = useId();
  const [values, setValues] = useState<Record<TextField, string>>({
    name: initial?.name ?? "",
    webhook_url: initial?.webhook_url ?? "",
    test_sessions_rate: initial?.test_sessions_rate ?? "",
    executions_rate: initial?.executions_rate ?? "",
    requests_rate: initial?.requests_rate ?? "",
  });
  const [scopes, setScopes] = useState<ApiKeyScope[]>(initial?.scopes ?? ["execute", "read"]);
  const save = useAction(() =>
    onSubmit({
      name: values.name.trim(),
      scopes,
      webhook_url: values.webhook_url.trim(),
      test_sessions_rate: values.test_sessions_rate.trim(),
      executions_rate: values.executions_rate.trim(),
      requests_rate: values.requests_rate.trim(),
    }),
  );
  const fieldErrors = save.error instanceof ApiError && save.error.code === "invalid" ? save.error.fieldErrors() : {};
  const shown = ["scopes", ...TEXT_FIELDS.map((f) => f.field)];
  const elsewhere = Object.keys(fieldErrors).some((field) => !shown.includes(field));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  const toggle = (scope: ApiKeyScope, on: boolean) => setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  return (
    <form onSubmit={submit} aria-label={initial ? `Change ${initial.name}` : "New API key"} className="op-key-form" data-testid="api-key-form">
      {TEXT_FIELDS.map(({ field, label, hint, placeholder }) => {
        const error = fieldErrors[field];
        return (
          <div className="field" key={field}>
            <label htmlFor={`${id}-${field}`}>{label}</label>
            <input
              id={`${id}-${field}`}
              value={values[field]}
              onChange={(e) => setValues((v) => ({ ...v, [field]: e.target.value }))}
              required={field === "name"}
              maxLength={field === "webhook_url" ? 2000 : field === "name" ? 100 : 20}
              inputMode={field === "webhook_url" ? "url" : undefined}
              spellCheck={false}
              placeholder={placeholder}
              aria-invalid={error ? true : undefined}
              aria-describedby={`${id}-${field}-note`}
            />
            {error ? (
              <span className="field-error" id={`${id}-${field}-note`} data-testid={`error-${field}`}>
                {error}
              </span>
            ) : (
              <span className="hint" id={`${id}-${field}-note`}>
                {hint}
              </span>
            )}
          </div>
        );
      })}
      <fieldset className="field op-key-scopes" aria-describedby={fieldErrors["scopes"] ? `${id}-scopes-error` : undefined}>
        <legend className="label">Scopes</legend>
        {SCOPES.map((scope) => (
          <label className="checkbox" key={scope.id}>
            <input type="checkbox" checked={scopes.includes(scope.id)} onChange={(e) => toggle(scope.id, e.target.checked)} /> {scope.label}
          </label>
        ))}
        {fieldErrors["scopes"] ? (
          <span className="field-error" id={`${id}-scopes-error`} data-testid="error-scopes">
            {fieldErrors["scopes"]}
          </span>
        ) : null}
      </fieldset>
      {Object.keys(fieldErrors).length === 0 || elsewhere ? <ErrorMessage error={save.error} blockedUntil={save.blockedUntil} onCountdownDone={save.reset} compact /> : null}
      <div className="form-actions">
        <button type="submit" className="btn small primary" disabled={save.pending || !values.name.trim()}>
          {save.pending ? "Saving…" : submitLabel}
        </button>
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
