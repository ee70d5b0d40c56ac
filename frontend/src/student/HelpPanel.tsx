import { useEffect, useRef, useState } from "react";
import { help as helpApi } from "../api/endpoints";
import type { Auth } from "../api/client";
import type { HelpSummary } from "../api/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { Icon } from "../components/Icon";
import { useAction } from "../hooks/useAction";
import { timeAgo } from "../components/time";

interface Props {
  participantId: string;
  credential: Auth;
  request: HelpSummary | null;
  onChange: (request: HelpSummary | null) => void;
  context: () => { file_id?: string; line?: number };
  disabled?: boolean;
}

/**
 * "Raise hand" with an optional message; shows the request's state and lets the student
 * lower it. The status region is on the page in both states (one inserted already filled
 * may not be read), and focus stays in the panel when its buttons swap.
 */
export function HelpPanel({ participantId, credential, request, onChange, context, disabled }: Props) {
  const [message, setMessage] = useState("");
  // Which button gets the focus once the panel has switched (the live event may switch it first).
  const [focusNext, setFocusNext] = useState<"lower" | "raise" | null>(null);
  const lowerButton = useRef<HTMLButtonElement>(null);
  const raiseButton = useRef<HTMLButtonElement>(null);
  const raise = useAction(async () => {
    const created = await helpApi.raise(participantId, { message: message.trim(), ...context() }, credential);
    setFocusNext("lower");
    onChange({ id: created.id, state: created.state, message: created.message, created_at: created.created_at });
    setMessage("");
  });
  const cancel = useAction(async () => {
    if (!request) return;
    await helpApi.cancel(request.id, credential);
    setFocusNext("raise");
    onChange(null);
  });
  const open = !!request && (request.state === "open" || request.state === "claimed");
  useEffect(() => {
    const target = focusNext === "lower" ? lowerButton.current : focusNext === "raise" ? raiseButton.current : null;
    if (target) {
      setFocusNext(null);
      target.focus();
    }
  }, [open, focusNext]);

  return (
    <section aria-labelledby="help-heading" id="help" data-skip-inner data-testid="help-panel" data-state={open ? request.state : "none"}>
      <h2 className="side-title" id="help-heading">{open ? "Help" : "Need help?"}</h2>
      <div role="status" data-testid="help-status">
        {open ? (
          <div className="notice">
            {request.state === "claimed" ? <strong>Your teacher is on the way.</strong> : <strong><Icon name="hand" /> Hand raised</strong>}{" "}
            <span className="muted">{timeAgo(request.created_at)}</span>
            {request.message ? <p className="msg" style={{ margin: "6px 0 0" }}>“{request.message}”</p> : null}
          </div>
        ) : null}
      </div>
      {open ? (
        <>
          <ErrorMessage error={cancel.error} compact />
          <button type="button" ref={lowerButton} className="btn small" disabled={cancel.pending} onClick={() => void cancel.run()}>
            Lower hand
          </button>
        </>
      ) : (
        <>
          <textarea
            aria-label="What do you need help with?"
            placeholder="What are you stuck on? (optional)"
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            maxLength={2000}
            rows={3}
            disabled={disabled}
          />
          <ErrorMessage error={raise.error} blockedUntil={raise.blockedUntil} onCountdownDone={raise.reset} compact />
          <div className="form-actions" style={{ marginTop: 8 }}>
            <button type="button" ref={raiseButton} className="btn primary" disabled={disabled || raise.pending || raise.blockedUntil !== null} onClick={() => void raise.run()}>
              <Icon name="hand" /> Raise hand
            </button>
          </div>
        </>
      )}
    </section>
  );
}
