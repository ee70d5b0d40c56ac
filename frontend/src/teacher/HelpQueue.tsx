import { useEffect, useRef, useState } from "react";
import { help as helpApi } from "../api/endpoints";
import type { HelpRequest } from "../api/types";
import { stripAnsi } from "../components/ansi";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState } from "../components/States";
import { timeAgo } from "../components/time";
import { useAction } from "../hooks/useAction";
import { focusIsLost } from "../components/a11y";
import { useNow } from "../hooks/useNow";
import { errorLocation } from "./errorLocation";
import { HelpCardAnswer } from "../assist/HelpCardAnswer";

interface Props {
  help: HelpRequest[];
  onUpdated: (request: HelpRequest) => void;
  onOpenStudent: (participantId: string) => void;
  /** Show only this student's request (focus view). */
  compact?: boolean;
}

/** Raised hands, oldest first: claim ("I'm on my way"), open the student, resolve. */
export function HelpQueue({ help, onUpdated, onOpenStudent, compact }: Props) {
  const now = useNow(10_000);
  // A resolved request leaves with the button that had the focus: the queue's heading takes it.
  const heading = useRef<HTMLHeadingElement>(null);
  const count = useRef(help.length);
  useEffect(() => {
    if (help.length < count.current) {
      window.setTimeout(() => {
        if (focusIsLost()) heading.current?.focus();
      }, 0);
    }
    count.current = help.length;
  }, [help.length]);
  return (
    <section aria-labelledby="help-queue-heading" data-testid="help-queue">
      <h2 className="side-title" id="help-queue-heading" tabIndex={-1} ref={heading}>Help queue {help.length ? <span className="badge help">{help.length}</span> : null}</h2>
      {help.length === 0 ? (
        compact ? <p className="muted">No open request.</p> : <EmptyState title="No raised hands">Requests appear here the moment a student raises a hand.</EmptyState>
      ) : (
        help.map((request) => <HelpItem key={request.id} request={request} now={now} onUpdated={onUpdated} onOpenStudent={onOpenStudent} />)
      )}
    </section>
  );
}

function claimerName(request: HelpRequest): string | null {
  const by = request.claimed_by;
  if (!by) return null;
  return typeof by === "string" ? by : by.display_name;
}

function HelpItem({ request, now, onUpdated, onOpenStudent }: { request: HelpRequest; now: number; onUpdated: (r: HelpRequest) => void; onOpenStudent: (pid: string) => void }) {
  const claim = useAction(async () => {
    const claimed = await helpApi.claim(request.id);
    setClaimedHere(true);
    onUpdated(claimed);
  });
  const resolve = useAction(async () => onUpdated(await helpApi.resolve(request.id)));
  const claimer = claimerName(request);
  // Claiming removes the Claim button that had the focus: Resolve, beside it, takes it.
  const resolveButton = useRef<HTMLButtonElement>(null);
  // State, not a ref: the live event may mark the request claimed before the answer returns.
  const [claimedHere, setClaimedHere] = useState(false);
  useEffect(() => {
    if (request.state === "claimed" && claimedHere) {
      setClaimedHere(false);
      resolveButton.current?.focus();
    }
  }, [request.state, claimedHere]);
  const failed = request.last_output ? errorLocation(request.last_output) : null;
  return (
    <div role="group" aria-label={`${request.display_name}'s request`} className={`help-item ${request.state}`} data-testid="help-item" data-participant={request.participant_id}>
      <div className="row">
        <strong className="grow">{request.display_name}</strong>
        <span className="muted" style={{ fontSize: "0.8rem" }}>{timeAgo(request.created_at, now)}</span>
      </div>
      {request.message ? <p className="msg">{request.message}</p> : <p className="msg muted">No message.</p>}
      {request.file_name ? (
        <div className="muted" style={{ fontSize: "0.8rem" }} data-testid="help-cursor">
          {request.file_name}
          {request.line ? `, line ${request.line} (cursor)` : ""}
        </div>
      ) : null}
      {failed ? (
        <div className="help-error-line" style={{ fontSize: "0.8rem" }} data-testid="help-error-line">
          Error at {failed.file}, line {failed.line}
        </div>
      ) : null}
      {/* Focusable: it scrolls, and a keyboard user must be able to scroll it (WCAG 2.1.1). */}
      {request.last_output ? <pre tabIndex={0} aria-label={`${request.display_name}'s last output`}>{stripAnsi(request.last_output).slice(-600)}</pre> : null}
      {request.state === "claimed" ? <div className="muted" style={{ fontSize: "0.8rem" }}>Claimed{claimer ? ` by ${claimer}` : ""}</div> : null}
      <HelpCardAnswer participantId={request.participant_id} />
      <ErrorMessage error={claim.error ?? resolve.error} compact />
      <div className="form-actions" style={{ marginTop: 6 }}>
        <button type="button" className="btn small primary" onClick={() => onOpenStudent(request.participant_id)}>
          Open
        </button>
        {request.state === "open" ? (
          <button type="button" className="btn small" disabled={claim.pending} onClick={() => void claim.run()}>
            Claim
          </button>
        ) : null}
        <button type="button" ref={resolveButton} className="btn small" disabled={resolve.pending} onClick={() => void resolve.run()}>
          Resolve
        </button>
      </div>
    </div>
  );
}
