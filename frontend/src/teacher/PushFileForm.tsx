import { useState, type FormEvent } from "react";
import { sessions } from "../api/endpoints";
import { ErrorMessage } from "../components/ErrorMessage";
import { fileNameProblem } from "../components/NameDialog";
import { useAction } from "../hooks/useAction";

interface Props {
  sessionId: string;
  /** Push to one student instead of the whole class. */
  participant?: { id: string; display_name: string };
  defaultName: string;
  disabled?: boolean;
}

/** Sends a file to every student (or one): it appears as a new tab in their workspace. */
export function PushFileForm({ sessionId, participant, defaultName, disabled }: Props) {
  const [name, setName] = useState(defaultName);
  const [content, setContent] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const push = useAction(async () => {
    const answer = await sessions.push(sessionId, { name: name.trim(), content, ...(participant ? { participant_id: participant.id } : {}) });
    const count = answer.delivered.length;
    const copies = answer.delivered.filter((d) => d.name !== name.trim()).length;
    setResult(`Sent to ${count} student${count === 1 ? "" : "s"}${copies ? ` (${copies} already had edits, so they got a copy)` : ""}.`);
  });
  const problem = name.trim() ? fileNameProblem(name.trim()) : "Give the file a name.";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    if (!problem) void push.run();
  };
  return (
    <section aria-label="Push a file">
      <h2 className="side-title">{participant ? `Send a file to ${participant.display_name}` : "Push a file to the class"}</h2>
      <form onSubmit={submit}>
        <div className="field">
          <input aria-label="File name" value={name} onChange={(e) => setName(e.target.value)} placeholder="hint.py" disabled={disabled} />
          {name.trim() && problem ? <span className="field-error">{problem}</span> : null}
        </div>
        <div className="field">
          <textarea aria-label="File content" value={content} onChange={(e) => setContent(e.target.value)} rows={5} placeholder={participant ? "# what to send" : "# code every student gets"} style={{ fontFamily: "var(--mono)", fontSize: 13 }} disabled={disabled} />
        </div>
        <ErrorMessage error={push.error} blockedUntil={push.blockedUntil} onCountdownDone={push.reset} compact />
        {result ? <div className="notice" role="status">{result}</div> : null}
        <button type="submit" className="btn" disabled={disabled || push.pending || !!problem}>
          {push.pending ? "Sending…" : participant ? "Send" : "Push to everyone"}
        </button>
      </form>
    </section>
  );
}
