import { useEffect, useId, useRef, useState } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import { feedback as feedbackApi } from "../exercises/api";
import type { Feedback } from "./comments";

export interface CommentTarget {
  fileName: string;
  line: number;
  /** A submission's id, or null for the live file. */
  submissionId: string | null;
  /** Bumped by "Comment on this line": the form takes the line and the focus. */
  nonce: number;
}

interface Props {
  participantId: string;
  studentName: string;
  target: CommentTarget;
  fileNames: string[];
  /** What the comment is on, in words ("the live file", "the submission of 10:32"). */
  where: string;
  disabled?: boolean;
  onAdded: (comment: Feedback) => void;
}

/**
 * The teacher's comment on one line of the student's file (live or submitted): the line
 * comes from the editor's cursor ("Comment on this line"), the student sees the comment
 * beside it at once.
 */
export function CommentForm({ participantId, studentName, target, fileNames, where, disabled, onAdded }: Props) {
  const id = useId();
  const [file, setFile] = useState(target.fileName);
  const [line, setLine] = useState(String(target.line));
  const [text, setText] = useState("");
  const [said, setSaid] = useState("");
  const textBox = useRef<HTMLTextAreaElement>(null);
  const asked = useRef(target.nonce);
  useEffect(() => {
    setFile(target.fileName);
    setLine(String(target.line));
    // Only "Comment on this line" takes the focus, not the cursor moving in the editor.
    if (target.nonce !== asked.current) {
      asked.current = target.nonce;
      textBox.current?.focus();
    }
  }, [target.fileName, target.line, target.nonce, target.submissionId]);
  const send = useAction(async () => {
    const added = await feedbackApi.add(participantId, {
      file_name: file,
      line: Number(line),
      text: text.trim(),
      ...(target.submissionId ? { submission_id: target.submissionId } : {}),
    });
    onAdded(added);
    setText("");
    setSaid(`Comment sent to ${studentName} on ${added.file_name}, line ${added.line}.`);
  });
  const files = fileNames.includes(file) || !file ? fileNames : [file, ...fileNames];
  return (
    <form
      className="line-comment-form"
      data-testid="comment-form"
      aria-label={`Comment on ${studentName}'s code`}
      onSubmit={(event) => {
        event.preventDefault();
        setSaid("");
        void send.run();
      }}
    >
      <p className="muted line-comment-meta">On {where}. In the editor: right-click a line, or Ctrl+Alt+Enter, to comment on it.</p>
      <div className="row" style={{ gap: 8 }}>
        <div className="field grow">
          <label htmlFor={`${id}-file`}>File</label>
          <select id={`${id}-file`} value={file} onChange={(e) => setFile(e.target.value)} required>
            {files.length === 0 ? <option value="">No files</option> : null}
            {files.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ width: "6em" }}>
          <label htmlFor={`${id}-line`}>Line</label>
          <input id={`${id}-line`} type="number" min={1} max={1000000} value={line} onChange={(e) => setLine(e.target.value)} required />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-text`}>Comment</label>
        <textarea id={`${id}-text`} ref={textBox} rows={2} maxLength={2000} value={text} onChange={(e) => setText(e.target.value)} required />
      </div>
      <ErrorMessage error={send.error} compact />
      <button type="submit" className="btn small primary" disabled={disabled || send.pending || !file || !text.trim() || !(Number(line) >= 1)}>
        Send comment
      </button>
      <div role="status" className="line-comment-meta">
        {said}
      </div>
    </form>
  );
}
