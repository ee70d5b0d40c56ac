import { useEffect, useId } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState, LoadingState } from "../components/States";
import { formatDateTime } from "../components/time";
import type { EditorHandle } from "../editor/CodeEditor";
import { monacoLanguageFor } from "../editor/languages";
import { onExerciseEvent } from "../exercises/bus";
import { feedback as feedbackApi, teacherExercises, type TeacherSubmission } from "../exercises/api";
import { useResource } from "../hooks/useResource";
import { commentsForFile, type Feedback } from "./comments";
import { StaticCodeView } from "./StaticCodeView";

/** The student's submissions (newest first) and the session's exercise titles, fetched again as grades land. */
export function useSubmissions(sessionId: string, participantId: string, enabled: boolean) {
  // Fetched once the teacher opens the submissions (the live view needs neither).
  const list = useResource((signal) => (enabled ? feedbackApi.submissions(participantId, signal) : Promise.resolve([])), [participantId, enabled]);
  const exercises = useResource(() => (enabled ? teacherExercises.list(sessionId) : Promise.resolve([])), [sessionId, enabled]);
  const reload = list.reload;
  useEffect(
    () =>
      onExerciseEvent((event) => {
        if (event.type === "exercise.graded" && event.participant_id === participantId) reload();
      }),
    [participantId, reload],
  );
  const titles = Object.fromEntries((exercises.data ?? []).map((e) => [e.id, e.title]));
  return { submissions: list.data ?? [], loading: list.loading && !list.data, error: list.error, reload, titles };
}

export function submissionLabel(submission: TeacherSubmission, titles: Record<string, string>): string {
  const title = titles[submission.session_exercise_id] ?? "Exercise";
  const kind = submission.kind === "check" ? "Check" : "Submit";
  const score = submission.status === "queued" ? "waiting" : `${submission.score} / ${submission.max_score}`;
  return `${title} · ${kind} · ${formatDateTime(submission.created_at)} · ${score}${submission.late ? " (late)" : ""}`;
}

interface Props {
  submissions: TeacherSubmission[];
  titles: Record<string, string>;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  selectedId: string | null;
  onSelect: (id: string) => void;
  fileName: string | null;
  onFile: (name: string) => void;
  comments: Feedback[];
  sessionLanguage: string;
  studentName: string;
  onCommentLine: (line: number) => void;
  onCursorLine: (line: number) => void;
  onEscape: () => void;
  handle: React.MutableRefObject<EditorHandle | null>;
}

/** One submission's files as they were sent, read-only, with the comments on them; the teacher comments from a line. */
export function SubmissionReview(props: Props) {
  const { submissions, titles, selectedId, fileName, comments } = props;
  const id = useId();
  if (props.loading) return <LoadingState label="Loading submissions…" />;
  if (props.error) return <ErrorMessage error={props.error} onRetry={props.onRetry} />;
  if (submissions.length === 0) return <EmptyState title={`${props.studentName} has not checked or submitted an exercise yet`} />;
  const submission = submissions.find((s) => s.id === selectedId) ?? submissions[0];
  if (!submission) return null;
  const file = submission.files.find((f) => f.name === fileName) ?? submission.files[0];
  const shown = file ? commentsForFile(comments, file.name, submission.id) : [];
  return (
    <div className="submission-view" data-testid="submission-review" data-submission={submission.id}>
      <div className="submission-bar">
        <label htmlFor={`${id}-sub`}>Submission</label>
        <select id={`${id}-sub`} value={submission.id} onChange={(e) => props.onSelect(e.target.value)}>
          {submissions.map((s) => (
            <option key={s.id} value={s.id}>
              {submissionLabel(s, titles)}
            </option>
          ))}
        </select>
        {submission.files.length > 1 ? (
          <>
            <label htmlFor={`${id}-file`}>File</label>
            <select id={`${id}-file`} value={file?.name ?? ""} onChange={(e) => props.onFile(e.target.value)}>
              {submission.files.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
          </>
        ) : file ? (
          <code>{file.name}</code>
        ) : null}
        <span className={`badge ${submission.passed ? "ok" : "error"}`}>{submission.status === "graded" ? (submission.passed ? "All passed" : "Not all passed") : submission.status}</span>
      </div>
      {file ? (
        <StaticCodeView
          key={`${submission.id}/${file.name}`}
          path={`inmemory://observer/submission/${submission.id}/${file.name}`}
          text={file.content}
          language={monacoLanguageFor(file.name, props.sessionLanguage)}
          label={`${file.name} as ${props.studentName} submitted it (read-only)`}
          comments={shown}
          onCommentLine={props.onCommentLine}
          onCursorLine={props.onCursorLine}
          onEscape={props.onEscape}
          handle={props.handle}
        />
      ) : (
        <EmptyState title="This submission has no files" />
      )}
    </div>
  );
}
