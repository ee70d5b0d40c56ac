import { useEffect, useState } from "react";
import type { RunState } from "./runState";
import { exitSummary, formatDuration } from "./runState";
import { RetryCountdown, withoutRetryHint } from "../components/RetryCountdown";

/** The run's state in words: queued, compiling, running for 3.2 s, killed · exit 137 · 1.2 s · 9 MB. */
export function RunStatusText({ state }: { state: RunState }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (state.kind !== "running") return undefined;
    const id = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(id);
  }, [state.kind]);

  switch (state.kind) {
    case "idle":
      return <span className="run-status" data-testid="run-status" data-kind="idle">Not run yet</span>;
    case "requested":
      return <span className="run-status running" data-testid="run-status" data-kind="requested">Starting…</span>;
    case "queued":
      return <span className="run-status running" data-testid="run-status" data-kind="queued">Queued (position {state.position})</span>;
    case "running":
      return (
        <span className="run-status running" data-testid="run-status" data-kind="running">
          {state.phase === "compiling" ? "Compiling…" : "Running"} {formatDuration(Math.max(0, now - state.startedAt))}
        </span>
      );
    case "exited":
      return (
        <span className={`run-status ${state.exit.status === "ok" ? "ok" : "bad"}`} data-testid="run-status" data-kind="exited" data-status={state.exit.status} data-run-id={state.exit.run_id}>
          {exitSummary(state.exit)}
        </span>
      );
    case "error":
      return (
        <span className="run-status bad" data-testid="run-status" data-kind="error" data-code={state.code}>
          {state.retryUntil ? withoutRetryHint(state.message) : state.message} {state.retryUntil ? <RetryCountdown until={state.retryUntil} /> : null}
        </span>
      );
    default:
      return null;
  }
}
