import { requestExplain, useExplainAvailable } from "./explainBus";

/** Beside a failed run in the terminal's header: asks the AI help panel to explain it. */
export function ExplainErrorButton({ failed }: { failed: boolean }) {
  const available = useExplainAvailable();
  if (!failed || !available) return null;
  return (
    <button type="button" className="btn small" onClick={requestExplain} data-testid="explain-error">
      Explain this error
    </button>
  );
}
