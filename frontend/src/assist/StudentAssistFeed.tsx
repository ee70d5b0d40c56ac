import { useEffect, useMemo, useState } from "react";
import type { AssistAllowance, AssistQuestion } from "../api/events.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import { MODE_LABEL } from "./answers";
import { assistApi } from "./api";
import { FeedItem } from "./AssistFeed";
import { useFeed } from "./feedStore";

/** The loaded questions with the live feed's newer records of the same student on top, newest first. */
export function studentQuestions(loaded: AssistQuestion[], live: AssistQuestion[], participantId: string): AssistQuestion[] {
  const byId = new Map<string, AssistQuestion>();
  for (const q of loaded) byId.set(q.id, q);
  for (const q of live) if (q.participant_id === participantId) byId.set(q.id, q);
  return [...byId.values()].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}

/**
 * One student's AI help in the teacher's view of them: what they may still ask, turning
 * help off or on for them, and their questions and answers, live (the session socket's
 * `assist.*` events reach the feed store; StudentFocus hands them over).
 */
export function StudentAssistFeed({ participantId, name }: { participantId: string; name: string }) {
  const [allowance, setAllowance] = useState<AssistAllowance | null>(null);
  const [loaded, setLoaded] = useState<AssistQuestion[]>([]);
  const feed = useFeed();
  const load = useAction(async (signal?: AbortSignal) => {
    const answer = await assistApi.own(participantId, "user", signal);
    setAllowance(answer.allowance);
    setLoaded(answer.questions);
  });
  const liveCount = feed.questions.filter((q) => q.participant_id === participantId).length;
  useEffect(() => {
    const controller = new AbortController();
    void load.run(controller.signal);
    return () => controller.abort();
    // A new question of theirs also changes what they have left: read it again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [participantId, liveCount]);
  const questions = useMemo(() => studentQuestions(loaded, feed.questions, participantId), [loaded, feed.questions, participantId]);
  const enabled = feed.disabled ? !feed.disabled.includes(participantId) : allowance?.enabled ?? true;
  const toggle = useAction(async () => {
    const policy = await assistApi.setStudent(participantId, !enabled);
    setAllowance((a) => (a ? { ...a, enabled: !policy.disabled_participants.includes(participantId) } : a));
  });
  return (
    <section aria-labelledby="student-assist-heading" data-testid="student-assist-feed">
      <h2 className="side-title" id="student-assist-heading">
        {name}'s AI help {questions.length ? <span className="badge">{questions.length}</span> : null}
      </h2>
      <ErrorMessage error={load.error ?? toggle.error} compact />
      {allowance ? (
        <p className="muted" style={{ fontSize: "0.85rem", margin: "0 0 6px" }} data-testid="student-assist-allowance">
          {!allowance.configured
            ? "No AI provider is set up for this session."
            : allowance.mode === "off"
              ? "AI help is off for the class."
              : !enabled
                ? `AI help is off for ${name}.`
                : `${MODE_LABEL[allowance.mode]} · ${allowance.left} of ${allowance.limit} questions left this hour.`}
        </p>
      ) : null}
      {allowance?.configured && allowance.mode !== "off" ? (
        <button type="button" className="btn small" disabled={toggle.pending} onClick={() => void toggle.run()} aria-pressed={!enabled}>
          {enabled ? `Turn AI help off for ${name}` : `Turn AI help back on for ${name}`}
        </button>
      ) : null}
      {questions.length === 0 && allowance ? <p className="muted" style={{ fontSize: "0.85rem" }}>{name} has not asked the AI anything yet.</p> : null}
      <div data-testid="student-assist-items">
        {questions.map((question) => (
          <FeedItem key={question.id} question={question} helpOff={!enabled} />
        ))}
      </div>
    </section>
  );
}
