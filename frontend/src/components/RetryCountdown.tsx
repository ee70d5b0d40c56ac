import { useEffect } from "react";
import { useCountdown } from "../hooks/useCountdown";

interface Props {
  /** When retrying is allowed again (ms since epoch). */
  until: number;
  onDone?: () => void;
}

/** "Try again in 12 s", counting down from a 429's retry_after. */
export function RetryCountdown({ until, onDone }: Props) {
  const seconds = useCountdown(until);
  useEffect(() => {
    if (seconds === 0) onDone?.();
  }, [seconds, onDone]);
  if (seconds === 0) return <span className="countdown done">You can try again now.</span>;
  return (
    <span className="countdown" role="timer" aria-live="polite">
      Try again in <strong>{formatSeconds(seconds)}</strong>
    </span>
  );
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/**
 * A server message without its own "try again in N s" (the countdown beside it says that,
 * and keeps counting): "You can start 10 runs per 60 s; try again in 28 s." becomes
 * "You can start 10 runs per 60 s."
 */
export function withoutRetryHint(message: string): string {
  const trimmed = message.replace(/[\s;,.:-]*(?:please\s+)?try again in\s+[\d.]+\s*(?:s|sec|secs|seconds?|min|minutes?)\b\.?\s*$/i, "").trim();
  if (!trimmed) return "";
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
