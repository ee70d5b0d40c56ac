import type { SocketState } from "../live/socket";
import { useCountdown } from "../hooks/useCountdown";

interface Props {
  state: SocketState;
  onRetryNow?: () => void;
  /** The session has ended: a working connection is no longer news ("Live" beside "Ended" contradicts it). */
  ended?: boolean;
}

/** The header's live-connection badge: green when live, amber and counting while reconnecting. */
export function ConnectionIndicator({ state, onRetryNow, ended = false }: Props) {
  const seconds = useCountdown(state.status === "reconnecting" ? state.retryAt : null);
  let label: string;
  switch (state.status) {
    case "connected":
      label = ended ? "Connected" : "Live";
      break;
    case "connecting":
      label = "Connecting…";
      break;
    case "reconnecting":
      label = seconds > 0 ? `Reconnecting in ${seconds} s…` : "Reconnecting…";
      break;
    case "failed":
      label = state.reason ?? "Disconnected";
      break;
    default:
      label = "Offline";
  }
  return (
    <span className={`conn conn-${state.status}${ended ? " conn-ended" : ""}`} role="status" aria-live="polite" data-testid="connection" data-status={state.status}>
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{label}</span>
      {state.status === "reconnecting" && onRetryNow ? (
        <button type="button" className="link-btn" onClick={onRetryNow}>
          Retry now
        </button>
      ) : null}
    </span>
  );
}
