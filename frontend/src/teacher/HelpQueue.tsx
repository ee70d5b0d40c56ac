import { help as helpApi } from "../api/endpoints";
import type { HelpRequest } from "../api/types";
import { stripAnsi } from "../components/ansi";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState } from "../components/States";
import { timeAgo } from "../components/time";
import { useAction } from "../hooks/useAction";
import { useNow } from "../hooks/useNow";
import { errorLocation } from "./errorLocation";

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
  return (
    <section aria-label="Help queue" data-testid="help-queue">
      <h3>Help queue {help.length ? <span className="badge help">{help.length}</span> : null}</h3>
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
  const claim = useAction(async () => onUpdated(await helpApi.claim(request.id)));
  const resolve = useAction(async () => onUpdated(await helpApi.resolve(request.id)));
  const claimer = claimerName(request);
  const failed = request.last_output ? errorLocation(request.last_output) : null;
  return (
    <div className={`help-item ${request.state}`} data-testid="help-item" data-participant={request.participant_id}>
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
      {request.last_output ? <pre>{stripAnsi(request.last_output).slice(-600)}</pre> : null}
      {request.state === "claimed" ? <div className="muted" style={{ fontSize: "0.8rem" }}>Claimed{claimer ? ` by ${claimer}` : ""}</div> : null}
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
        <button type="button" className="btn small" disabled={resolve.pending} onClick={() => void resolve.run()}>
          Resolve
        </button>
      </div>
    </div>
  );
}
