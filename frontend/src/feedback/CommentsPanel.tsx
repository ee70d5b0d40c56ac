import "./feedback.css";
import { useEffect } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { LiveRegion, useAnnouncer } from "../components/a11y";
import { formatDateTime } from "../components/time";
import { announcement, type Feedback } from "./comments";

interface Props {
  comments: Feedback[];
  /** The comment that just arrived: read out politely. */
  arrived?: Feedback | null;
  error?: unknown;
  heading: string;
  /** Moves the editor to the comment's line (its file first, when another is open). */
  onGoTo?: (comment: Feedback) => void;
  /** When each submission was made, to name the one a comment is on (without: "your submission", as the student reads it). */
  submissionTimes?: Record<string, string>;
  testId?: string;
  /** Shown when there is none (nothing is rendered without it). */
  empty?: string;
  /** Who reads the panel: the announcement's words follow. */
  reader?: "student" | "teacher";
}

/**
 * The line comments as a list (what a screen reader and a keyboard reach; the editor's
 * decorations are for the eyes): file and line (a button that goes there), the text, who
 * and when, and whether it is about a submission.
 */
export function CommentsPanel({ comments, arrived, error, heading, onGoTo, submissionTimes = {}, testId = "teacher-comments", empty, reader = "student" }: Props) {
  const { message, announce } = useAnnouncer();
  useEffect(() => {
    if (arrived) announce(announcement(arrived, reader));
  }, [arrived, announce, reader]);
  const headingId = `${testId}-heading`;
  return (
    <>
    {/* Outside the section: a region that is hidden (no comments yet) is not read when it fills. */}
    <LiveRegion message={message} testId={`${testId}-announcer`} />
    <section aria-labelledby={headingId} data-testid={comments.length ? testId : `${testId}-none`} hidden={!comments.length && !empty && !error}>
      <h2 className="side-title" id={headingId}>
        {heading} {comments.length ? <span className="badge">{comments.length}</span> : null}
      </h2>
      <ErrorMessage error={error} compact />
      {comments.length === 0 && empty ? <p className="muted line-comment-empty">{empty}</p> : null}
      <ul className="line-comments">
        {comments.map((c) => (
          <li key={c.id} data-testid="line-comment" data-line={c.line} data-file={c.file_name}>
            {onGoTo ? (
              <button type="button" className="link-btn" aria-label={`Go to ${c.file_name}, line ${c.line}`} onClick={() => onGoTo(c)}>
                {c.file_name}, line {c.line}
              </button>
            ) : (
              <code>
                {c.file_name}, line {c.line}
              </code>
            )}
            : {c.text}
            <div className="muted line-comment-meta">
              {c.author ? `${c.author} · ` : ""}
              {formatDateTime(c.created_at)}
              {c.submission_id ? ` · on ${submissionTimes[c.submission_id] ? `the submission of ${formatDateTime(submissionTimes[c.submission_id])}` : "your submission"}` : ""}
            </div>
          </li>
        ))}
      </ul>
    </section>
    </>
  );
}
