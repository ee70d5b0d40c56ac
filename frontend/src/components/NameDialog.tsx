import { useState, type FormEvent } from "react";
import { Dialog } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { useAction } from "../hooks/useAction";

interface Props {
  title: string;
  label: string;
  initial?: string;
  submitLabel: string;
  /** Rejects with the server's error to keep the dialog open and show it. */
  onSubmit: (value: string) => Promise<unknown>;
  onClose: () => void;
  validate?: (value: string) => string | null;
}

/** Asks for one name (new file, rename); shows the server's refusal in place. */
export function NameDialog({ title, label, initial = "", submitLabel, onSubmit, onClose, validate }: Props) {
  const [value, setValue] = useState(initial);
  const action = useAction(async () => {
    await onSubmit(value.trim());
    onClose();
  });
  const problem = value.trim() ? validate?.(value.trim()) ?? null : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!problem && value.trim()) void action.run();
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="name-dialog-input">{label}</label>
          <input id="name-dialog-input" value={value} onChange={(e) => setValue(e.target.value)} maxLength={100} autoComplete="off" spellCheck={false} />
          {problem ? <span className="field-error">{problem}</span> : null}
        </div>
        <ErrorMessage error={action.error} blockedUntil={action.blockedUntil} onCountdownDone={action.reset} />
        <div className="form-actions">
          <button type="submit" className="btn primary" disabled={action.pending || !!problem || !value.trim()}>
            {action.pending ? "Saving…" : submitLabel}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The API's file-name rule (sessions/filenames.py), checked before asking: 1–100 ASCII
 * letters, digits and _ - + ., starting with a letter, a digit or _, no "..": every name
 * it lets through can be run. */
export function fileNameProblem(name: string, taken: string[] = []): string | null {
  if (name.length > 100) return "At most 100 characters.";
  if (/[/\\]/.test(name)) return "No slashes in file names.";
  if (name.includes("..")) return "No “..” in file names.";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return "No control characters.";
  if (/\s/.test(name)) return "No spaces in file names: use _ or - instead (my_file.py).";
  if (/^[.+-]/.test(name)) return "Start with a letter, a digit or _.";
  const odd = name.match(/[^A-Za-z0-9_.+-]/);
  if (odd) return `Use only letters a-z and A-Z, digits, and _ - + . (not “${odd[0]}”).`;
  if (taken.includes(name)) return "A file with this name exists.";
  return null;
}
