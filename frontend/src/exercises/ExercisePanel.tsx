/** The student's exercises, beside the editor: the statement (HTML the server sanitised),
 * the sample tests, Check (sample tests) and Submit (every test) with results as they come. */
import "./exercises.css";
import { useCallback, useEffect, useState } from "react";
import type { Auth } from "../api/client";
import { errorMessage } from "../api/errors";
import type { ExerciseProgress, StudentSubmission, StudentTest } from "../api/events.gen";
import { useAction } from "../hooks/useAction";
import { studentExercises, type Feedback, type StudentExercise } from "./api";
import { onExerciseEvent } from "./bus";

interface Props {
  sessionId: string;
  participantId: string;
  auth: Auth;
  disabled: boolean;
  /** Sends the editor's unsaved edits first, so the server tests what is on screen. */
  flush: () => Promise<unknown>;
  /** The teacher's line comments (the workspace keeps them live): those on a submission show with it. */
  comments?: Feedback[];
}

export function ExercisePanel({ sessionId, participantId, auth, disabled, flush, comments = [] }: Props) {
  const [exercises, setExercises] = useState<StudentExercise[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [progress, setProgress] = useState<Record<string, ExerciseProgress>>({});
  const [results, setResults] = useState<Record<string, StudentSubmission>>({});

  const load = useCallback(async () => {
    try {
      setExercises(await studentExercises.list(sessionId, auth));
      setLoadError(null);
    } catch (error) {
      setLoadError(error);
    }
  }, [sessionId, auth]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(
    () =>
      onExerciseEvent((event) => {
        if (event.type === "exercises.changed") void load();
        if (event.type === "exercise.progress") setProgress((p) => ({ ...p, [event.session_exercise_id]: event }));
        if (event.type === "exercise.result") {
          const sub = event.submission;
          setResults((r) => ({ ...r, [sub.session_exercise_id]: sub }));
          setProgress((p) => {
            const { [sub.session_exercise_id]: _done, ...rest } = p;
            return rest;
          });
        }
      }),
    [load],
  );

  if (loadError) return <p className="notice warn" role="alert">Exercises could not be loaded: {errorMessage(loadError)}</p>;
  return exercises.length > 0 ? <ExerciseList {...{ exercises, participantId, auth, disabled, flush, progress, results, setResults, comments }} /> : null;
}

function ExerciseList(props: {
  exercises: StudentExercise[];
  participantId: string;
  auth: Auth;
  disabled: boolean;
  flush: () => Promise<unknown>;
  progress: Record<string, ExerciseProgress>;
  results: Record<string, StudentSubmission>;
  setResults: (update: (r: Record<string, StudentSubmission>) => Record<string, StudentSubmission>) => void;
  comments: Feedback[];
}) {
  const { exercises, participantId, auth, disabled, flush, progress, results, setResults, comments } = props;
  return (
    <section aria-labelledby="exercises-heading" data-testid="exercise-panel">
      <h2 className="side-title" id="exercises-heading">Exercises</h2>
      {exercises.map((exercise) => (
        <ExerciseCard
          key={exercise.id}
          exercise={exercise}
          participantId={participantId}
          auth={auth}
          disabled={disabled}
          flush={flush}
          progress={progress[exercise.id] ?? null}
          result={results[exercise.id] ?? exercise.latest_submission}
          onResult={(sub) => setResults((r) => ({ ...r, [exercise.id]: sub }))}
          comments={comments}
        />
      ))}
    </section>
  );
}

function ExerciseCard(props: {
  exercise: StudentExercise;
  participantId: string;
  auth: Auth;
  disabled: boolean;
  flush: () => Promise<unknown>;
  progress: ExerciseProgress | null;
  result: StudentSubmission | null;
  onResult: (submission: StudentSubmission) => void;
  comments: Feedback[];
}) {
  const { exercise, participantId, auth, disabled, flush, progress, result, onResult, comments } = props;
  const grade = useAction(async (kind: "check" | "submit") => {
    await flush();
    const submission = await studentExercises.grade(participantId, exercise.id, kind, auth);
    // Under the server the answer is the queued submission; the result comes as an event.
    if (submission.status !== "queued") onResult(submission);
    return submission;
  });
  const busy = grade.pending || progress !== null;
  const headingId = `exercise-${exercise.id}`;
  return (
    <article className="card exercise" aria-labelledby={headingId} data-testid="exercise-card">
      <h3 id={headingId}>{exercise.title}</h3>
      <div className="exercise-statement" dangerouslySetInnerHTML={{ __html: exercise.statement_html }} />
      {exercise.sample_tests.length > 0 ? (
        <details>
          <summary>Sample tests ({exercise.sample_tests.length})</summary>
          {exercise.sample_tests.map((test, i) => (
            <div key={test.id} className="exercise-sample">
              <strong>{test.name || `Sample ${i + 1}`}</strong>
              {test.kind === "io" ? (
                <>
                  <div className="label">Input</div>
                  <pre>{test.stdin || "(none)"}</pre>
                  <div className="label">Expected output</div>
                  <pre>{test.expected_stdout}</pre>
                </>
              ) : null}
            </div>
          ))}
        </details>
      ) : null}
      <p className="muted">
        {exercise.hidden_tests > 0 ? `${exercise.hidden_tests} hidden test${exercise.hidden_tests === 1 ? "" : "s"} run on Submit. ` : ""}
        Worth {exercise.max_score} point{exercise.max_score === 1 ? "" : "s"}; the {exercise.policy === "best" ? "best" : "last"} submission counts.
      </p>
      <div className="row">
        <button type="button" className="btn" disabled={disabled || busy} onClick={() => void grade.run("check")}>
          Check
        </button>
        <button type="button" className="btn primary" disabled={disabled || busy} onClick={() => void grade.run("submit")}>
          Submit
        </button>
      </div>
      <div role="status" aria-live="polite" data-testid="exercise-progress">
        {progress ? progressText(progress) : grade.pending ? "Sending…" : ""}
      </div>
      {grade.error ? <p className="field-error" role="alert">{errorMessage(grade.error)}</p> : null}
      {result ? <ResultView submission={result} comments={comments.filter((c) => c.submission_id === result.id)} /> : null}
    </article>
  );
}

function progressText(progress: ExerciseProgress): string {
  if (progress.phase === "queued") return progress.position ? `Waiting for a free runner: number ${progress.position} in the queue.` : "Waiting for a free runner…";
  return `Running test ${Math.min(progress.done + 1, progress.total)} of ${progress.total}…`;
}

function ResultView({ submission, comments }: { submission: StudentSubmission; comments: Feedback[] }) {
  const title = submission.kind === "check" ? "Check" : "Submission";
  if (submission.status === "refused" || submission.status === "error") {
    return (
      <p className="notice warn" data-testid="exercise-result">
        {title} did not run: {submission.message}
      </p>
    );
  }
  const samples = submission.tests.filter((t) => t.visibility === "sample");
  return (
    <div data-testid="exercise-result" className="exercise-result">
      <p>
        <span className={`badge ${submission.passed ? "ok" : "error"}`}>{submission.passed ? "All passed" : "Not yet"}</span>{" "}
        <strong>
          {title}: {submission.score} / {submission.max_score}
        </strong>
        {submission.late ? " (late)" : ""}
      </p>
      {submission.status === "compile-error" ? <pre className="exercise-diff">{submission.message}</pre> : null}
      <ul className="exercise-tests">
        {samples.map((test, i) => (
          <SampleResult key={test.id} test={test} index={i} />
        ))}
      </ul>
      {submission.hidden_total > 0 ? (
        <p data-testid="hidden-summary">
          Hidden tests: {submission.hidden_passed} of {submission.hidden_total} passed.
        </p>
      ) : null}
      <SubmissionComments comments={comments} />
    </div>
  );
}

function SampleResult({ test, index }: { test: StudentTest; index: number }) {
  const name = test.name || `Sample ${index + 1}`;
  return (
    <li>
      <span className={`badge ${test.passed ? "ok" : "error"}`}>{test.passed ? "passed" : test.status}</span> {name}
      {!test.passed && test.difference ? (
        <pre className="exercise-diff" aria-label={`Difference for ${name}`}>
          {`Line ${test.difference.line}\n  expected: ${test.difference.expected ?? "(nothing)"}\n  got:      ${test.difference.got ?? "(nothing)"}`}
        </pre>
      ) : null}
      {!test.passed && !test.difference && (test.message || test.stderr) ? <pre className="exercise-diff">{test.stderr || test.message}</pre> : null}
    </li>
  );
}

/** The teacher's comments on this submission's lines (also beside the lines in the editor). */
function SubmissionComments({ comments }: { comments: Feedback[] }) {
  if (comments.length === 0) return null;
  return (
    <div data-testid="submission-comments">
      <h4 className="exercise-comments-title">Your teacher's comments on this submission</h4>
      <ul className="exercises-plain">
        {comments.map((c) => (
          <li key={c.id}>
            <code>
              {c.file_name}, line {c.line}
            </code>
            : {c.text}
          </li>
        ))}
      </ul>
    </div>
  );
}
