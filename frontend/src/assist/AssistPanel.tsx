import { useEffect, useState } from "react";
import type { AssistQuestion } from "../api/events.gen";
import { Markdown } from "../components/Markdown";
import { KIND_LABEL, allowanceText, streaming } from "./answers";
import { onExplainRequested, setExplainAvailable } from "./explainBus";
import { useAssist, type Ask } from "./useAssist";

interface Props {
  participantId: string;
  getToken: () => Promise<string | null>;
  disabled?: boolean;
  /** The file (and cursor line) the student is looking at, sent as the question's focus. */
  where?: () => { file?: string; line?: number };
}

/**
 * The student's AI help, under the teacher's policy: explain the last failed run, a hint, or
 * a free question; answers stream in as safe Markdown (no raw HTML) and can be stopped.
 * The questions left are shown like runs left.
 */
export function AssistPanel({ participantId, getToken, disabled, where }: Props) {
  const { view, connection, ask, stop } = useAssist(participantId, getToken);
  const [text, setText] = useState("");
  const allowance = view.allowance;
  const available = !!allowance && allowance.enabled && allowance.left > 0 && allowance.session_left > 0;
  const current = streaming(view);
  const busy = disabled || !available || !!current || connection !== "connected";
  const send = (question: Ask) => {
    if (ask({ ...question, ...(where?.() ?? {}) }) && question.kind === "question") setText("");
  };
  // "Explain this error" beside the terminal asks here.
  useEffect(() => onExplainRequested(() => send({ kind: "explain", text: "" })));
  useEffect(() => {
    setExplainAvailable(!busy);
    return () => setExplainAvailable(false);
  }, [busy]);
  if (allowance && !allowance.configured) return null; // no provider on this server: nothing to offer
  const recent = view.questions.slice(-5);
  return (
    <section aria-labelledby="assist-heading" data-testid="assist-panel" data-streaming={current ? "yes" : "no"}>
      <h2 className="side-title" id="assist-heading">AI help</h2>
      <p className="muted" style={{ fontSize: "0.85rem", margin: "0 0 6px" }} data-testid="assist-allowance">
        {allowanceText(allowance)}
        {allowance && allowance.enabled && allowance.mode !== "full" ? ` · ${allowance.mode === "hints" ? "hints only" : "explanations, no solutions"}` : ""}
      </p>
      {allowance?.enabled ? (
        <>
          <div className="form-actions" style={{ marginBottom: 6 }}>
            <button type="button" className="btn small" disabled={busy} onClick={() => send({ kind: "explain", text: "" })} data-testid="assist-explain">
              Explain my last error
            </button>
            <button type="button" className="btn small" disabled={busy} onClick={() => send({ kind: "hint", text: text.trim() })}>
              Give me a hint
            </button>
          </div>
          <textarea aria-label="Ask the AI a question" placeholder="Ask the AI about your code" value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} rows={2} disabled={disabled} />
          <div className="form-actions" style={{ marginTop: 6 }}>
            <button type="button" className="btn small primary" disabled={busy || !text.trim()} onClick={() => send({ kind: "question", text: text.trim() })}>
              Ask the AI
            </button>
          </div>
        </>
      ) : null}
      {view.error ? (
        <p className="error-text" role="alert" data-testid="assist-error" style={{ fontSize: "0.85rem" }}>
          {view.error.message}
        </p>
      ) : null}
      <div data-testid="assist-answers">
        {recent.map((question) => (
          <AnswerCard key={question.id} question={question} onStop={() => stop(question.id)} />
        ))}
      </div>
    </section>
  );
}

function AnswerCard({ question, onStop }: { question: AssistQuestion; onStop: () => void }) {
  const live = question.status === "streaming";
  return (
    <article className="assist-answer card" data-testid="assist-answer" data-status={question.status} aria-busy={live} style={{ padding: 8, marginTop: 8 }}>
      <div className="muted" style={{ fontSize: "0.8rem" }}>
        {KIND_LABEL[question.kind]}
        {question.text ? `: “${question.text}”` : ""}
      </div>
      {/* Polite, not assertive: a screen reader reads the answer once it settles. */}
      <div aria-live="polite">
        {question.answer ? <Markdown text={question.answer} /> : live ? <p className="muted">Thinking…</p> : null}
      </div>
      {question.status === "failed" ? <p className="error-text">{question.error || "The AI could not answer."} It did not count against your questions.</p> : null}
      {question.status === "stopped" ? <p className="muted">Stopped.</p> : null}
      {live ? (
        <button type="button" className="btn small" onClick={onStop} data-testid="assist-stop">
          ■ Stop
        </button>
      ) : null}
    </article>
  );
}
