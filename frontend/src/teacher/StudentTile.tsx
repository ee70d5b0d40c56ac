import { memo } from "react";
import { Icon } from "../components/Icon";
import { timeAgo } from "../components/time";
import { attentionReason, tileStatus, type StudentLive, type TileStatus } from "./classroom";

const LABEL: Record<TileStatus, string> = { help: "Needs help", running: "Running", typing: "Typing", error: "Error", idle: "Idle" };

export function StatusBadge({ status }: { status: TileStatus }) {
  return <span className={`badge ${status}`} data-testid="tile-status">{LABEL[status]}</span>;
}

interface Props {
  student: StudentLive;
  now: number;
  onOpen: (participantId: string) => void;
}

/** One student in the live grid: name, status, live code preview, time since last activity. */
export const StudentTile = memo(function StudentTile({ student, now, onOpen }: Props) {
  const { participant, preview } = student;
  const status = tileStatus(student, now);
  const reason = attentionReason(student, now);
  const lastActivity = student.lastActivityAt ? new Date(student.lastActivityAt).toISOString() : participant.last_activity_at;
  const classes = ["tile", status === "help" ? "needs-help" : "", status === "error" ? "has-error" : "", participant.online ? "" : "offline"].join(" ");
  return (
    <button
      type="button"
      className={classes}
      onClick={() => onOpen(participant.id)}
      data-testid="student-tile"
      data-participant={participant.id}
      data-name={participant.display_name}
      data-status={status}
    >
      <div className="tile-head">
        <span className="tile-name">{participant.display_name}</span>
        {!participant.online ? <span className="badge offline">Offline</span> : null}
        <StatusBadge status={status} />
      </div>
      <pre className="tile-code" data-testid="tile-code">
        {preview?.text ? preview.text : <span className="muted">No code yet</span>}
      </pre>
      {participant.open_help_request?.message ? <div className="tile-help-msg"><Icon name="hand" size={14} /> {participant.open_help_request.message}</div> : null}
      <div className="tile-foot">
        <span data-testid="tile-file" data-document={preview?.documentId ?? ""}>{preview?.name ?? ""}</span>
        <span title={reason ?? undefined}>{reason && status !== "help" ? `${reason} · ` : ""}active {timeAgo(lastActivity, now)}</span>
      </div>
      {/* The name is all the tile shows (WCAG 2.5.3), then what pressing it does. */}
      <span className="sr-only">. Open their editor.</span>
    </button>
  );
});
