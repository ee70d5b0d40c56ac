import { useState } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import { assistApi, type ProviderInfo } from "./api";

/**
 * A teacher's own AI provider (their key, their bill) for their sessions: any
 * OpenAI-compatible endpoint. The key is sent once and never shown again, only masked.
 */
export function ProviderForm({ current, onSaved }: { current: ProviderInfo | null; onSaved: (provider: ProviderInfo) => void }) {
  const [baseUrl, setBaseUrl] = useState(current?.base_url ?? "https://api.openai.com/v1");
  const [model, setModel] = useState(current?.model ?? "");
  const [key, setKey] = useState("");
  const [tested, setTested] = useState<string | null>(null);
  const save = useAction(async () => {
    const saved = await assistApi.setMyProvider({ base_url: baseUrl.trim(), model: model.trim(), ...(key.trim() ? { api_key: key.trim() } : {}) });
    setKey("");
    onSaved(saved);
  });
  const test = useAction(async () => {
    setTested(null);
    const answer = await assistApi.testMyProvider();
    setTested(`Connected: ${answer.model} answered.`);
  });
  return (
    <form
      data-testid="assist-provider-form"
      style={{ fontSize: "0.85rem" }}
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <label style={{ display: "block" }}>
        Base URL <input type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} required />
      </label>
      <label style={{ display: "block" }}>
        Model <input value={model} onChange={(e) => setModel(e.target.value)} required placeholder="gpt-4o-mini" />
      </label>
      <label style={{ display: "block" }}>
        API key{" "}
        <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder={current ? `${current.key_hint} (kept if empty)` : "sk-…"} required={!current} />
      </label>
      <ErrorMessage error={save.error ?? test.error} compact />
      {tested ? <p role="status">{tested}</p> : null}
      <div className="form-actions">
        <button type="submit" className="btn small primary" disabled={save.pending}>
          Save provider
        </button>
        {current ? (
          <button type="button" className="btn small" disabled={test.pending} onClick={() => void test.run()}>
            Test connection
          </button>
        ) : null}
      </div>
    </form>
  );
}
