import type { ReactNode } from "react";
import { ErrorMessage } from "./ErrorMessage";

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="spinner-label">{label}</span>
    </span>
  );
}

export function LoadingState({ label }: { label?: string }) {
  return (
    <div className="state-box">
      <Spinner label={label} />
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state-box empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-body">{children}</div> : null}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state-box">
      <ErrorMessage error={error} onRetry={onRetry} />
    </div>
  );
}
