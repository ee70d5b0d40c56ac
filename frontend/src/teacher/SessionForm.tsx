import { useState, type FormEvent } from "react";
import type { ClassSession, SessionInput } from "../api/types";
import { ApiError } from "../api/errors";
import { ErrorMessage } from "../components/ErrorMessage";
import { defaultFileName, LANGUAGES } from "../editor/languages";
import { useAction } from "../hooks/useAction";

interface Props {
  initial?: ClassSession;
  submitLabel: string;
  onSubmit: (input: SessionInput) => Promise<unknown>;
  onCancel?: () => void;
}

/** Title, language, instructions, a starter file and the session's options. */
export function SessionForm({ initial, submitLabel, onSubmit, onCancel }: Props) {
  const starter = initial?.starter_files[0];
  const [title, setTitle] = useState(initial?.title ?? "");
  const [language, setLanguage] = useState(initial?.language ?? "python");
  const [instructions, setInstructions] = useState(initial?.instructions ?? "");
  const [starterName, setStarterName] = useState(starter?.name ?? "");
  const [starterContent, setStarterContent] = useState(starter?.content ?? "");
  const [maxParticipants, setMaxParticipants] = useState(initial?.max_participants ?? 100);
  const [teacherCanEdit, setTeacherCanEdit] = useState(initial?.teacher_can_edit ?? true);
  const [seeEachOther, setSeeEachOther] = useState(initial?.students_see_each_other ?? false);
  const save = useAction(() =>
    onSubmit({
      title: title.trim(),
      language,
      instructions,
      starter_files: [{ name: starterName.trim() || defaultFileName(language), content: starterContent }],
      max_participants: maxParticipants,
      teacher_can_edit: teacherCanEdit,
      students_see_each_other: seeEachOther,
    }),
  );
  const fieldErrors = save.error instanceof ApiError && save.error.code === "invalid" ? save.error.fieldErrors() : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  return (
    <form onSubmit={submit} aria-label="Session">
      <div className="row wrap" style={{ alignItems: "flex-start" }}>
        <div className="field grow">
          <label htmlFor="s-title">Title</label>
          <input id="s-title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} required placeholder="Week 3 — loops" />
          {fieldErrors["title"] ? <span className="field-error">{fieldErrors["title"]}</span> : null}
        </div>
        <div className="field">
          <label htmlFor="s-language">Language</label>
          <select id="s-language" value={language} onChange={(e) => setLanguage(e.target.value)}>
            {LANGUAGES.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="s-instructions">Instructions for students (Markdown)</label>
        <textarea id="s-instructions" value={instructions} onChange={(e) => setInstructions(e.target.value)} rows={4} placeholder="What should students build today?" />
      </div>
      <details>
        <summary style={{ cursor: "pointer", marginBottom: 10 }}>Starter file and options</summary>
        <div className="field">
          <label htmlFor="s-starter-name">Starter file name</label>
          <input id="s-starter-name" value={starterName} onChange={(e) => setStarterName(e.target.value)} placeholder={defaultFileName(language)} />
        </div>
        <div className="field">
          <label htmlFor="s-starter">Starter code</label>
          <textarea id="s-starter" value={starterContent} onChange={(e) => setStarterContent(e.target.value)} rows={6} style={{ fontFamily: "var(--mono)" }} />
          {fieldErrors["starter_files"] ? <span className="field-error">{fieldErrors["starter_files"]}</span> : null}
        </div>
        <div className="field" style={{ maxWidth: 200 }}>
          <label htmlFor="s-max">Max students</label>
          <input id="s-max" type="number" min={1} max={1000} value={maxParticipants} onChange={(e) => setMaxParticipants(Number(e.target.value))} />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={teacherCanEdit} onChange={(e) => setTeacherCanEdit(e.target.checked)} /> I can type in students' editors
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={seeEachOther} onChange={(e) => setSeeEachOther(e.target.checked)} /> Students can see each other's list
        </label>
      </details>
      {Object.keys(fieldErrors).length === 0 ? <ErrorMessage error={save.error} blockedUntil={save.blockedUntil} onCountdownDone={save.reset} /> : null}
      <div className="form-actions" style={{ marginTop: 12 }}>
        <button type="submit" className="btn primary" disabled={save.pending || !title.trim()}>
          {save.pending ? "Saving…" : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
