import { useEffect, useState } from "react";
import type { AssistQuestion } from "../api/events.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { Markdown } from "../components/Markdown";
import { timeAgo } from "../components/time";
import { useAction } from "../hooks/useAction";
import { KIND_LABEL, MODE_LABEL } from "./answers";
import { assistApi, type AssistAnalytics, type Mode, type Policy } from "./api";
import { loadFeed, useFeed } from "./feedStore";
import { ProviderForm } from "./ProviderForm";

interface Props {
  sessionId: string;
  sessionTitle: string;
  /** The class, for turning help off for a student who has not asked yet. */
  students?: { id: string; name: string }[];
}

const MODES: Mode[] = ["off", "hints", "explain", "full"];

/**
 * The teacher's AI help: the policy (mode, questions per student per hour, the session's
 * budget), a live feed of every question and answer (per student, with what was withheld),
 * turning help off for one student, analytics and the log's export.
 */
export function AssistFeed({ sessionId, sessionTitle, students: roster = [] }: Props) {
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [filter, setFilter] = useState<string>("");
  const feed = useFeed();
  const load = useAction(async (signal?: AbortSignal) => {
    const [loaded, log] = await Promise.all([assistApi.policy(sessionId, signal), assistApi.questions(sessionId, signal)]);
    setPolicy(loaded);
    loadFeed(sessionId, log.results);
  });
  useEffect(() => {
    const controller = new AbortController();
    void load.run(controller.signal);
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessionId]);
  const disabled = feed.disabled ?? policy?.disabled_participants ?? [];
  const questions = feed.sessionId === sessionId ? feed.questions : [];
  const students = [...new Map(questions.map((q) => [q.participant_id, q.participant_name])).entries()];
  const shown = questions.filter((q) => !filter || q.participant_id === filter).slice(-20).reverse();
  return (
    <section aria-labelledby="assist-feed-heading" data-testid="assist-feed">
      <h2 className="side-title" id="assist-feed-heading">
        AI help {questions.length ? <span className="badge">{questions.length}</span> : null}
      </h2>
      <ErrorMessage error={load.error} compact />
      {policy ? <PolicyForm sessionId={sessionId} policy={policy} onSaved={setPolicy} /> : null}
      {students.length > 1 ? (
        <label style={{ display: "block", fontSize: "0.85rem", margin: "6px 0" }}>
          Show{" "}
          <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Show the questions of">
            <option value="">every student</option>
            {students.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {shown.length === 0 && policy && policy.mode !== "off" ? <p className="muted" style={{ fontSize: "0.85rem" }}>Students' questions to the AI appear here as they ask.</p> : null}
      <div data-testid="assist-feed-items">
        {shown.map((question) => (
          <FeedItem key={question.id} question={question} helpOff={disabled.includes(question.participant_id)} onPolicy={setPolicy} />
        ))}
      </div>
      {policy?.provider && policy.mode !== "off" && roster.length ? (
        <details style={{ marginTop: 8 }} data-testid="assist-students">
          <summary>Who may ask the AI ({roster.length - roster.filter((s) => disabled.includes(s.id)).length} of {roster.length})</summary>
          {roster.map((student) => (
            <StudentSwitch key={student.id} id={student.id} name={student.name} off={disabled.includes(student.id)} onPolicy={setPolicy} />
          ))}
        </details>
      ) : null}
      {questions.length ? (
        <details style={{ marginTop: 8 }}>
          <summary>AI analytics and export</summary>
          <AnalyticsBox sessionId={sessionId} sessionTitle={sessionTitle} count={questions.length} />
        </details>
      ) : null}
    </section>
  );
}

function PolicyForm({ sessionId, policy, onSaved }: { sessionId: string; policy: Policy; onSaved: (p: Policy) => void }) {
  const [mode, setMode] = useState<Mode>(policy.mode);
  const [perHour, setPerHour] = useState(policy.per_student_per_hour);
  const [budget, setBudget] = useState(policy.session_budget);
  const save = useAction(async () => onSaved(await assistApi.setPolicy(sessionId, { mode, per_student_per_hour: perHour, session_budget: budget })));
  if (!policy.provider) {
    return (
      <details data-testid="assist-no-provider">
        <summary style={{ fontSize: "0.85rem" }}>No AI provider is set up: set your own (or ask an admin for the server's)</summary>
        <ProviderForm current={null} onSaved={(provider) => onSaved({ ...policy, provider })} />
      </details>
    );
  }
  const changed = mode !== policy.mode || perHour !== policy.per_student_per_hour || budget !== policy.session_budget;
  return (
    <>
      <form
        data-testid="assist-policy"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
        style={{ fontSize: "0.85rem" }}
      >
        <label style={{ display: "block" }}>
          Help{" "}
          <select value={mode} onChange={(e) => setMode(e.target.value as Mode)} aria-label="AI help for the class">
            {MODES.map((m) => (
              <option key={m} value={m}>
                {MODE_LABEL[m]}
              </option>
            ))}
          </select>
        </label>
        <div className="row" style={{ gap: 8, margin: "4px 0" }}>
          <label className="grow">
            Per student per hour
            <input type="number" min={1} max={1000} value={perHour} onChange={(e) => setPerHour(Number(e.target.value))} />
          </label>
          <label className="grow">
            For the session
            <input type="number" min={1} max={100000} value={budget} onChange={(e) => setBudget(Number(e.target.value))} />
          </label>
        </div>
        <div className="muted">
          {policy.provider.model} · key {policy.provider.key_hint} ({policy.provider.scope === "teacher" ? "yours" : "the server's"})
        </div>
        <ErrorMessage error={save.error} compact />
        <button type="submit" className="btn small" disabled={!changed || save.pending}>
          Save AI help
        </button>
      </form>
      {policy.provider.scope === "teacher" ? (
        <details>
          <summary style={{ fontSize: "0.85rem" }}>Your AI provider</summary>
          <ProviderForm current={policy.provider} onSaved={(provider) => onSaved({ ...policy, provider })} />
        </details>
      ) : null}
    </>
  );
}

function StudentSwitch({ id, name, off, onPolicy }: { id: string; name: string; off: boolean; onPolicy: (p: Policy) => void }) {
  const toggle = useAction(async (enabled: boolean) => onPolicy(await assistApi.setStudent(id, enabled)));
  return (
    <label style={{ display: "block", fontSize: "0.85rem" }}>
      <input type="checkbox" checked={!off} disabled={toggle.pending} onChange={(e) => void toggle.run(e.target.checked)} /> {name}
      <ErrorMessage error={toggle.error} compact />
    </label>
  );
}

const STATUS_NOTE: Record<AssistQuestion["status"], string> = {
  streaming: "answering…",
  answered: "",
  stopped: "stopped by the student",
  withheld: "withheld: it showed code under hints only",
  failed: "failed",
};

/** One question and its answer in a teacher's feed; `onPolicy` adds the per-student on/off button. */
export function FeedItem({ question, helpOff, onPolicy }: { question: AssistQuestion; helpOff: boolean; onPolicy?: (p: Policy) => void }) {
  const toggle = useAction(async () => onPolicy?.(await assistApi.setStudent(question.participant_id, helpOff)));
  const run = question.context?.run;
  return (
    <article className="help-item" data-testid="assist-feed-item" data-participant={question.participant_id} data-status={question.status}>
      <div className="row">
        <strong className="grow">{question.participant_name}</strong>
        <span className="muted" style={{ fontSize: "0.8rem" }}>{timeAgo(question.created_at)}</span>
      </div>
      <div className="muted" style={{ fontSize: "0.8rem" }}>
        {KIND_LABEL[question.kind]}
        {question.text ? `: “${question.text}”` : ""} · {MODE_LABEL[question.mode]}
        {STATUS_NOTE[question.status] ? ` · ${STATUS_NOTE[question.status]}` : ""}
      </div>
      {question.error_summary ? <div className="help-error-line" style={{ fontSize: "0.8rem" }}>{question.error_summary}{run?.file ? ` (${run.file}, line ${run.line ?? "?"})` : ""}</div> : null}
      {question.status === "withheld" && question.withheld_answer ? (
        <details>
          <summary>What was withheld</summary>
          <Markdown text={question.withheld_answer} />
        </details>
      ) : question.answer ? (
        <div className="assist-feed-answer" data-testid="assist-feed-answer">
          <Markdown text={question.answer} />
        </div>
      ) : null}
      {question.error ? <p className="error-text" style={{ fontSize: "0.8rem" }}>{question.error}</p> : null}
      <div className="muted" style={{ fontSize: "0.75rem" }}>
        {question.model}
        {question.completion_tokens !== null ? ` · ${(question.prompt_tokens ?? 0) + question.completion_tokens} tokens` : ""}
        {question.duration_ms !== null ? ` · ${(question.duration_ms / 1000).toFixed(1)} s` : ""}
      </div>
      {onPolicy ? (
        <>
          <ErrorMessage error={toggle.error} compact />
          <button type="button" className="btn small" disabled={toggle.pending} onClick={() => void toggle.run()}>
            {helpOff ? `Turn AI help back on for ${question.participant_name}` : `Turn AI help off for ${question.participant_name}`}
          </button>
        </>
      ) : null}
    </article>
  );
}

function AnalyticsBox({ sessionId, sessionTitle, count }: { sessionId: string; sessionTitle: string; count: number }) {
  const [stats, setStats] = useState<AssistAnalytics | null>(null);
  const load = useAction(async () => setStats(await assistApi.analytics(sessionId)));
  const download = useAction(() => assistApi.exportLog(sessionId, sessionTitle));
  useEffect(() => {
    void load.run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sessionId, count]);
  return (
    <div style={{ fontSize: "0.85rem" }} data-testid="assist-analytics">
      <ErrorMessage error={load.error ?? download.error} compact />
      {stats ? (
        <>
          <h3 style={{ fontSize: "0.9rem" }}>Questions per student</h3>
          <ul>
            {stats.students.map((s) => (
              <li key={s.participant_id}>
                {s.name}: {s.questions}
              </li>
            ))}
          </ul>
          {stats.common_errors.length ? (
            <>
              <h3 style={{ fontSize: "0.9rem" }}>Errors asked about most</h3>
              <ul>
                {stats.common_errors.map((e) => (
                  <li key={e.error}>
                    <code>{e.error}</code> × {e.count}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
      <button type="button" className="btn small" onClick={() => void download.run()} disabled={download.pending}>
        ⬇ Export the AI log
      </button>
    </div>
  );
}
