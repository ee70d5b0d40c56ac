/**
 * The student's (or the watching teacher's) questions and answers as pure functions of the
 * assist socket's frames: a delta is placed at its offset, so a repeat after a resume is
 * skipped and nothing is shown twice; the question's full record replaces what the deltas built.
 */
import type { AssistAllowance, AssistFrame, AssistQuestion } from "../api/events.gen";

export interface AssistView {
  allowance: AssistAllowance | null;
  questions: AssistQuestion[];
  /** The last refusal or problem, for the panel to say. */
  error: { code: string; message: string; retryAfter?: number } | null;
}

export const EMPTY: AssistView = { allowance: null, questions: [], error: null };

function upsert(questions: AssistQuestion[], question: AssistQuestion): AssistQuestion[] {
  const index = questions.findIndex((q) => q.id === question.id);
  if (index === -1) return [...questions, question];
  const next = questions.slice();
  const known = next[index];
  // A stale record of a question still streaming must not shorten what the deltas built.
  const keep = known && question.status === "streaming" && known.answer.length > question.answer.length;
  next[index] = keep ? { ...question, answer: known.answer } : question;
  return next;
}

/** The answer with `text` placed at `offset`: a repeat is skipped, a gap (frames lost between
 * the stored text and the socket) waits for the question's final record. */
export function placeDelta(answer: string, offset: number, text: string): string {
  if (offset + text.length <= answer.length) return answer;
  if (offset > answer.length) return answer;
  return answer.slice(0, offset) + text;
}

export function reduce(view: AssistView, frame: AssistFrame): AssistView {
  switch (frame.type) {
    case "assist.state":
      return { allowance: frame.allowance, questions: frame.questions, error: null };
    case "assist.question":
      return { ...view, questions: upsert(view.questions, frame.question), error: null };
    case "assist.delta": {
      const questions = view.questions.map((q) => (q.id === frame.question_id ? { ...q, answer: placeDelta(q.answer, frame.offset, frame.text) } : q));
      return { ...view, questions };
    }
    case "assist.allowance":
      return { ...view, allowance: frame.allowance };
    case "error":
      return { ...view, error: { code: frame.code, message: frame.message, retryAfter: frame.retry_after } };
    default:
      return view;
  }
}

export function streaming(view: AssistView): AssistQuestion | null {
  return view.questions.find((q) => q.status === "streaming") ?? null;
}

/** What the student reads about their allowance, like runs left. */
export function allowanceText(allowance: AssistAllowance | null): string {
  if (!allowance) return "";
  if (!allowance.configured) return "AI help is not set up on this server.";
  if (allowance.mode === "off") return "Your teacher has not turned AI help on.";
  if (!allowance.enabled) return "Your teacher turned AI help off for you.";
  if (allowance.session_left === 0) return "The class has used all its AI questions.";
  const left = Math.min(allowance.left, allowance.session_left);
  return `${left} question${left === 1 ? "" : "s"} left this hour`;
}

export const MODE_LABEL: Record<AssistAllowance["mode"], string> = {
  off: "Off",
  hints: "Hints only (no code)",
  explain: "Explain errors (no solutions)",
  full: "Full help (may show code)",
};

export const KIND_LABEL: Record<AssistQuestion["kind"], string> = {
  explain: "Explain this error",
  hint: "Give me a hint",
  question: "Question",
};
