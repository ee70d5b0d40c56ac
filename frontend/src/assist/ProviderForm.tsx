import { useId, useState } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { formatDateTime } from "../components/time";
import { useAction } from "../hooks/useAction";
import { assistApi, type ProviderInfo, type ProviderInput } from "./api";

type Scope = "deployment" | "teacher";

const CALLS: Record<Scope, { save: (body: ProviderInput) => Promise<ProviderInfo>; test: () => Promise<{ model: string }>; remove?: () => Promise<unknown> }> = {
  teacher: { save: assistApi.setMyProvider, test: assistApi.testMyProvider },
  deployment: { save: assistApi.setDeploymentProvider, test: assistApi.testDeploymentProvider, remove: assistApi.removeDeploymentProvider },
};

/**
 * An OpenAI-compatible AI provider: the deployment's (admins, on the operations page) or a
 * teacher's own (their key, their bill). The key is write-only: sent once, never shown
 * back, not even masked; the form only says whether one is set.
 */
export function ProviderForm({ current, onSaved, scope = "teacher", onRemoved }: { current: ProviderInfo | null; onSaved: (provider: ProviderInfo) => void; scope?: Scope; onRemoved?: () => void }) {
  const id = useId();
  const calls = CALLS[scope];
  const [baseUrl, setBaseUrl] = useState(current?.base_url ?? "https://api.openai.com/v1");
  const [model, setModel] = useState(current?.model ?? "");
  const [organization, setOrganization] = useState(current?.organization ?? "");
  const [key, setKey] = useState("");
  const [said, setSaid] = useState<string | null>(null);
  const save = useAction(async () => {
    setSaid(null);
    const saved = await calls.save({ base_url: baseUrl.trim(), model: model.trim(), organization: organization.trim(), ...(key.trim() ? { api_key: key.trim() } : {}) });
    setKey("");
    // As the server keeps them (a base URL loses its trailing slash): then nothing is unsaved.
    setBaseUrl(saved.base_url);
    setModel(saved.model);
    setOrganization(saved.organization);
    onSaved(saved);
    setSaid("Saved. The key is stored encrypted.");
  });
  const test = useAction(async () => {
    setSaid(null);
    const answer = await calls.test();
    setSaid(`Connected: ${answer.model} answered.`);
  });
  const remove = useAction(async () => {
    setSaid(null);
    await calls.remove?.();
    setKey("");
    onRemoved?.();
  });
  const dirty = !!current && (baseUrl.trim() !== current.base_url || model.trim() !== current.model || organization.trim() !== current.organization || !!key.trim());
  return (
    <form
      data-testid={scope === "deployment" ? "deployment-provider-form" : "assist-provider-form"}
      className="provider-form"
      style={{ fontSize: "0.85rem" }}
      onSubmit={(e) => {
        e.preventDefault();
        test.reset(); // an earlier test's failure is about the settings being replaced
        void save.run();
      }}
    >
      <div className="field">
        <label htmlFor={`${id}-url`}>Base URL</label>
        <input id={`${id}-url`} type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} required aria-describedby={`${id}-url-hint`} />
        <span className="hint" id={`${id}-url-hint`}>
          Any OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-model`}>Model</label>
        <input id={`${id}-model`} value={model} onChange={(e) => setModel(e.target.value)} required placeholder="gpt-4o-mini" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-org`}>Organisation (optional)</label>
        <input id={`${id}-org`} value={organization} onChange={(e) => setOrganization(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-key`}>API key</label>
        <input
          id={`${id}-key`}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder={current ? "Leave empty to keep the key that is set" : "sk-…"}
          required={!current}
          aria-describedby={`${id}-key-state`}
        />
        <span className="hint" id={`${id}-key-state`} data-testid="provider-key-state">
          {current ? `Key: set${current.set_by ? ` by ${current.set_by}` : ""}${current.set_at ? `, ${formatDateTime(current.set_at)}` : ""}. It is never shown again.` : "Key: not set."}
        </span>
      </div>
      <ErrorMessage error={save.error ?? test.error ?? remove.error} compact />
      <p role="status" className="provider-said">
        {save.pending ? "Saving…" : test.pending ? "Asking the provider for one token…" : said}
      </p>
      <div className="form-actions">
        <button type="submit" className="btn small primary" disabled={save.pending}>
          Save provider
        </button>
        {current ? (
          <button type="button" className="btn small" disabled={test.pending || dirty} onClick={() => void test.run()} title={dirty ? "Save first: the test uses the saved settings" : undefined}>
            Test connection
          </button>
        ) : null}
        {current && calls.remove ? (
          <button type="button" className="btn small danger" disabled={remove.pending} onClick={() => void remove.run()}>
            Remove provider
          </button>
        ) : null}
      </div>
      {current && dirty ? <p className="muted">Save first: Test connection uses the saved settings.</p> : null}
    </form>
  );
}
