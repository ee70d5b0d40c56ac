import { useMemo } from "react";
import { ApiError, errorMessage } from "../api/errors";
import { RetryCountdown, withoutRetryHint } from "./RetryCountdown";

interface Props {
  error: unknown;
  /** When a rate limit ends; derived from the error's retry_after when not given. */
  blockedUntil?: number | null;
  onRetry?: () => void;
  onCountdownDone?: () => void;
  compact?: boolean;
}

/** Any failed request, said plainly: the server's message, a countdown when rate limited, Retry. */
export function ErrorMessage({ error, blockedUntil, onRetry, onCountdownDone, compact }: Props) {
  const derived = useMemo(
    () => (error instanceof ApiError && error.retryAfter ? Date.now() + error.retryAfter * 1000 : null),
    [error],
  );
  if (!error) return null;
  const until = blockedUntil ?? derived;
  return (
    <div className={compact ? "error-message compact" : "error-message"} role="alert">
      <span className="error-text">{until ? withoutRetryHint(errorMessage(error)) : errorMessage(error)}</span>
      {until ? <RetryCountdown until={until} onDone={onCountdownDone} /> : null}
      {onRetry && !until ? (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
