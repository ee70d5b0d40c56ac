import { useState } from "react";
import { sessions } from "../api/endpoints";
import type { ClassSession } from "../api/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { ArchiveButton } from "../github/ArchiveButton";
import { useAction } from "../hooks/useAction";

interface Props {
  session: ClassSession;
  onChange: (session: ClassSession) => void;
}

/** Start / End (with confirmation) / Reopen, and the zip export. */
export function SessionControls({ session, onChange }: Props) {
  const [confirmEnd, setConfirmEnd] = useState(false);
  const start = useAction(async () => onChange(await sessions.start(session.id)));
  const end = useAction(async () => {
    onChange(await sessions.end(session.id));
    setConfirmEnd(false);
  });
  const reopen = useAction(async () => onChange(await sessions.reopen(session.id)));
  const exportZip = useAction(() => sessions.exportZip(session));
  const error = start.error ?? reopen.error ?? exportZip.error;
  return (
    <div className="row wrap">
      {session.state === "draft" ? (
        <button type="button" className="btn primary" onClick={() => void start.run()} disabled={start.pending}>
          {start.pending ? "Starting…" : "▶ Start session"}
        </button>
      ) : null}
      {session.state === "live" ? (
        <button type="button" className="btn danger small" onClick={() => setConfirmEnd(true)}>
          End session
        </button>
      ) : null}
      {session.state === "ended" ? (
        <button type="button" className="btn small" onClick={() => void reopen.run()} disabled={reopen.pending}>
          Reopen
        </button>
      ) : null}
      {session.state !== "draft" ? (
        <button type="button" className="btn small" onClick={() => void exportZip.run()} disabled={exportZip.pending}>
          {exportZip.pending ? "Preparing zip…" : "⬇ Export zip"}
        </button>
      ) : null}
      {session.state !== "draft" ? <ArchiveButton mode="session" targetId={session.id} title={session.title} /> : null}
      {error ? <ErrorMessage error={error} compact /> : null}
      {confirmEnd ? (
        <Dialog title="End this session?" onClose={() => setConfirmEnd(false)}>
          <p>Students' editors become read-only and nobody can run code. Everything is kept: you can export it, and reopen the session later.</p>
          <ErrorMessage error={end.error} />
          <div className="form-actions">
            <button type="button" className="btn danger" onClick={() => void end.run()} disabled={end.pending}>
              {end.pending ? "Ending…" : "End session"}
            </button>
            <button type="button" className="btn" onClick={() => setConfirmEnd(false)}>
              Keep it running
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
