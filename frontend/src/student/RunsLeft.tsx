import { limits } from "../api/endpoints";
import type { Auth } from "../api/client";
import { errorMessage } from "../api/errors";
import { useResource } from "../hooks/useResource";

interface Props {
  credential: Auth;
  /** Changes after every run, to refresh the figure. */
  refreshKey: unknown;
}

/** "18 of 20 runs left this minute": students see the limit before they hit it. */
export function RunsLeft({ credential, refreshKey }: Props) {
  const usage = useResource((signal) => limits.mine(credential, signal), [refreshKey]);
  const data = usage.data;
  if (usage.error && !usage.loading) {
    return (
      <span className="runs-left low" role="alert" data-testid="runs-left-error" title={errorMessage(usage.error)}>
        Runs left: unknown ({errorMessage(usage.error).replace(/\.$/, "")}){" "}
        <button type="button" className="link-btn" onClick={usage.reload}>
          Retry
        </button>
      </span>
    );
  }
  if (!data || data.runs_per_window <= 0) return null;
  const window = data.window_seconds === 60 ? "this minute" : data.window_seconds === 3600 ? "this hour" : `per ${data.window_seconds} s`;
  const low = data.remaining <= Math.max(1, Math.floor(data.runs_per_window / 5));
  return (
    <span className={low ? "runs-left low" : "runs-left"} data-testid="runs-left" title="Your run limit">
      {data.remaining} of {data.runs_per_window} runs left {window}
    </span>
  );
}
