import { useState } from "react";
import { assistApi } from "../assist/api";
import { ProviderForm } from "../assist/ProviderForm";
import { ErrorState, LoadingState } from "../components/States";
import { useResource } from "../hooks/useResource";

/**
 * The deployment's AI provider, for every teacher who has not set their own: base URL,
 * model, organisation and the key (write-only: the page says only whether one is set),
 * with a connection test. The API is /api/assist/provider (docs/API.md, "AI help").
 */
export function AiProviderPanel() {
  const provider = useResource((signal) => assistApi.deploymentProvider(signal), []);
  // After a removal the form starts again, empty.
  const [version, setVersion] = useState(0);
  return (
    <section className="card op-card" aria-labelledby="op-ai-provider" data-testid="op-ai-provider">
      <h2 id="op-ai-provider">AI provider</h2>
      <p className="muted op-small">
        {provider.data ? `${provider.data.model} at ${provider.data.base_url}: used by every session whose teacher has not set their own.` : provider.data === null ? "None is set: students get AI help only from teachers who set their own provider." : ""}
      </p>
      {provider.error ? <ErrorState error={provider.error} onRetry={provider.reload} /> : null}
      {provider.loading && provider.data === undefined ? <LoadingState /> : null}
      {provider.data !== undefined ? (
        <ProviderForm
          key={version}
          scope="deployment"
          current={provider.data}
          onSaved={(saved) => provider.mutate(() => saved)}
          onRemoved={() => {
            provider.mutate(() => null);
            setVersion((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
