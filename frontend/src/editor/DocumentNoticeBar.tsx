import { useCallback, useState } from "react";
import type { DocumentNotice } from "../live/yjsProvider";

export interface ShownNotice {
  code: string;
  message: string;
  /** How many times in a row the server said the same thing. */
  count: number;
}

/** What each error code means for the person typing, before the server's own words. */
const LEADS: Record<string, string> = {
  readonly: "Not saved.",
  throttled: "Too fast.",
  too_large: "Not saved: too large.",
  invalid: "Not understood.",
  invalid_update: "Not saved.",
  unsupported: "Not understood.",
  server_error: "Server error.",
};

/**
 * Keeps the server's error frames on a document socket for a notice bar, so a change
 * the server refused ("read-only: change not kept", throttled, too large, invalid) is
 * never dropped silently. Read-only state changes are not errors: the editor shows those.
 */
export function useDocumentNotice() {
  const [notice, setNotice] = useState<ShownNotice | null>(null);
  const onNotice = useCallback((incoming: DocumentNotice) => {
    if (incoming.type !== "error") return;
    setNotice((current) =>
      current && current.code === incoming.code && current.message === incoming.message
        ? { ...current, count: current.count + 1 }
        : { code: incoming.code, message: incoming.message, count: 1 },
    );
  }, []);
  const dismiss = useCallback(() => setNotice(null), []);
  return { notice, onNotice, dismiss };
}

export function DocumentNoticeBar({ notice, onDismiss }: { notice: ShownNotice | null; onDismiss: () => void }) {
  if (!notice) return null;
  const lead = LEADS[notice.code] ?? "The server refused a change.";
  return (
    <div className="notice warn doc-notice" role="alert" data-testid="document-notice" data-code={notice.code}>
      <strong>{lead}</strong> {notice.message}
      {notice.count > 1 ? <span className="muted"> (×{notice.count})</span> : null}{" "}
      <button type="button" className="link-btn" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
