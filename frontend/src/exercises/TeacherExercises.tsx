/** The teacher's exercises view of a session: the live pass-rate grid (students ×
 * exercises), per-exercise statistics, attaching exercises (or writing one), regrade
 * and grades.csv. Submissions land as exercise.graded events; the grid is fetched again
 * at most twice a second, however many land together. */
import "./exercises.css";
import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage } from "../api/errors";
import { useAction } from "../hooks/useAction";
import { teacherExercises, type BankExercise, type Grid, type GridCell, type NewTest, type SessionExercise } from "./api";
import { onExerciseEvent } from "./bus";

const COALESCE_MS = 500;

export function TeacherExercises({ sessionId, language, onOpenStudent }: { sessionId: string; language: string; onOpenStudent: (pid: string, view?: "submissions") => void }) {
  const [links, setLinks] = useState<SessionExercise[]>([]);
  const [grid, setGrid] = useState<Grid | null>(null);
  const [regrades, setRegrades] = useState<Record<string, { done: number; total: number }>>({});
  const [loadError, setLoadError] = useState<unknown>(null);
  const [bankVersion, setBankVersion] = useState(0);
  const timer = useRef<number | null>(null);

  const load = useCallback(async () => {
    try {
      const [nextLinks, nextGrid] = await Promise.all([teacherExercises.list(sessionId), teacherExercises.grid(sessionId)]);
      setLinks(nextLinks);
      setGrid(nextGrid);
      setLoadError(null);
    } catch (error) {
      setLoadError(error);
    }
  }, [sessionId]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    const off = onExerciseEvent((event) => {
      if (event.type === "exercise.regrade") setRegrades((r) => ({ ...r, [event.session_exercise_id]: { done: event.done, total: event.total } }));
      if (event.type === "exercise.graded" || event.type === "exercises.changed" || event.type === "exercise.regrade") {
        if (timer.current === null) {
          timer.current = window.setTimeout(() => {
            timer.current = null;
            void load();
          }, COALESCE_MS);
        }
      }
    });
    return () => {
      off();
      if (timer.current !== null) window.clearTimeout(timer.current);
    };
  }, [load]);

  return (
    <div data-testid="teacher-exercises">
      {loadError ? <p className="notice warn" role="alert">{errorMessage(loadError)}</p> : null}
      <GridView grid={grid} sessionId={sessionId} onOpenStudent={onOpenStudent} />
      <section className="card" aria-labelledby="attached-heading">
        <h2 id="attached-heading">Exercises in this session</h2>
        {links.length === 0 ? <p className="muted">None yet: attach one from your bank or write one below.</p> : null}
        <ul className="exercises-plain">
          {links.map((link) => (
            <LinkRow key={link.id} sessionId={sessionId} link={link} regrade={regrades[link.id]} onChanged={load} />
          ))}
        </ul>
        <AttachForm sessionId={sessionId} attached={links.map((l) => l.exercise_id)} bankVersion={bankVersion} onAttached={load} />
      </section>
      <NewExerciseForm language={language} sessionId={sessionId} onCreated={async () => setBankVersion((v) => v + 1)} />
    </div>
  );
}

function cellText(cell: GridCell | null | undefined): string {
  if (!cell) return "—";
  return `${cell.score}/${cell.max_score}${cell.late ? " late" : ""}`;
}

function GridView({ grid, sessionId, onOpenStudent }: { grid: Grid | null; sessionId: string; onOpenStudent: (pid: string, view?: "submissions") => void }) {
  const download = useAction(() => teacherExercises.grades(sessionId));
  if (!grid) return null;
  return (
    <section className="card" aria-labelledby="grid-heading">
      <div className="row">
        <h2 id="grid-heading" className="grow">Pass rates</h2>
        <button type="button" className="btn" onClick={() => void download.run()} disabled={download.pending}>
          Download grades.csv
        </button>
      </div>
      {download.error ? <p className="field-error" role="alert">{errorMessage(download.error)}</p> : null}
      {grid.exercises.length === 0 ? (
        <p className="muted">Attach an exercise to see who passes what.</p>
      ) : (
        <>
          <div className="exercises-scroll">
            <table className="exercise-grid" data-testid="exercise-grid">
              <caption className="muted">Students needing attention first: most failing exercises, then lowest total.</caption>
              <thead>
                <tr>
                  <th scope="col">Student</th>
                  {grid.exercises.map((e) => (
                    <th scope="col" key={e.id}>
                      {e.title}
                    </th>
                  ))}
                  <th scope="col">Total (/{grid.max_total})</th>
                </tr>
              </thead>
              <tbody>
                {grid.rows.map((row) => (
                  <tr key={row.participant_id} data-testid="grid-row">
                    <th scope="row">
                      <button type="button" className="exercises-link" onClick={() => onOpenStudent(row.participant_id, "submissions")} aria-label={`${row.display_name}: open their submissions`}>
                        {row.display_name}
                      </button>
                    </th>
                    {grid.exercises.map((e) => {
                      const cell = row.cells[e.id];
                      return (
                        <td key={e.id} data-testid="grid-cell">
                          {cell ? <span className={`badge ${cell.passed ? "ok" : "error"}`}>{cell.passed ? "pass" : "fail"}</span> : null} {cellText(cell)}
                        </td>
                      );
                    })}
                    <td>{row.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {/* The one place to comment on a student's code is their page (their submissions, or their live file). */}
          {grid.rows.length > 0 ? (
            <p className="muted" data-testid="comment-hint">
              To comment on a student's code, select their name: their submissions open as they were sent, and you comment on a line from there (right-click it, or Ctrl+Alt+Enter).
            </p>
          ) : null}
          {grid.exercises.map((e) => (
            <details key={e.id}>
              <summary>
                {e.title}: {e.stats.passed_all} of {e.stats.submitted} submitted pass every test
              </summary>
              <ul>
                {e.stats.tests.map((t) => (
                  <li key={t.id}>
                    {t.name} ({t.visibility}): {t.passed} pass, {t.failed} fail
                  </li>
                ))}
              </ul>
              {e.stats.most_failed_test ? <p>Failed most: {e.stats.most_failed_test.name} ({e.stats.most_failed_test.failed})</p> : null}
              {e.stats.most_common_error ? (
                <p>
                  Most common error: <code>{e.stats.most_common_error.line}</code> ({e.stats.most_common_error.count})
                </p>
              ) : null}
            </details>
          ))}
        </>
      )}
    </section>
  );
}

function LinkRow({ sessionId, link, regrade, onChanged }: { sessionId: string; link: SessionExercise; regrade?: { done: number; total: number }; onChanged: () => Promise<void> }) {
  const toggle = useAction(async () => {
    await teacherExercises.update(sessionId, link.id, { is_open: !link.is_open });
    await onChanged();
  });
  const again = useAction(() => teacherExercises.regrade(sessionId, link.id));
  return (
    <li className="row wrap">
      <strong className="grow">{link.title}</strong>
      <span className="muted">
        {link.tests} tests ({link.hidden_tests} hidden) · {link.is_open ? "open" : "closed"}
      </span>
      <button type="button" className="btn small" onClick={() => void toggle.run()} disabled={toggle.pending}>
        {link.is_open ? `Close ${link.title}` : `Open ${link.title}`}
      </button>
      <button type="button" className="btn small" onClick={() => void again.run()} disabled={again.pending}>
        Regrade {link.title}
      </button>
      {regrade ? (
        <span role="status">
          Regraded {regrade.done} of {regrade.total}
        </span>
      ) : null}
      {toggle.error || again.error ? <span className="field-error" role="alert">{errorMessage(toggle.error || again.error)}</span> : null}
    </li>
  );
}

function AttachForm({ sessionId, attached, bankVersion, onAttached }: { sessionId: string; attached: string[]; bankVersion: number; onAttached: () => Promise<void> }) {
  const [bank, setBank] = useState<BankExercise[]>([]);
  const [choice, setChoice] = useState("");
  const refresh = useCallback(async () => setBank((await teacherExercises.bank()).results), []);
  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh, attached.length, bankVersion]);
  const attach = useAction(async () => {
    await teacherExercises.attach(sessionId, choice);
    setChoice("");
    await onAttached();
  });
  const available = bank.filter((e) => !attached.includes(e.id));
  return (
    <form
      className="row wrap"
      onSubmit={(event) => {
        event.preventDefault();
        if (choice) void attach.run();
      }}
    >
      <div className="field grow">
        <label htmlFor="attach-exercise">Attach from your bank</label>
        <select id="attach-exercise" value={choice} onChange={(e) => setChoice(e.target.value)} onFocus={() => void refresh()}>
          <option value="">Choose an exercise…</option>
          {available.map((e) => (
            <option key={e.id} value={e.id}>
              {e.title}
              {e.solution_passes ? " (solution passes)" : ""}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn primary" disabled={!choice || attach.pending}>
        Attach
      </button>
      {attach.error ? <p className="field-error" role="alert">{errorMessage(attach.error)}</p> : null}
    </form>
  );
}

const FILE_NAMES: Record<string, string> = { python: "main.py", javascript: "main.js", typescript: "main.ts", c: "main.c", cpp: "main.cpp", java: "Main.java" };

function NewExerciseForm({ language, sessionId, onCreated }: { language: string; sessionId: string; onCreated: () => Promise<void> }) {
  const [title, setTitle] = useState("");
  const [statement, setStatement] = useState("");
  const [starter, setStarter] = useState("");
  const [solution, setSolution] = useState("");
  const [tests, setTests] = useState<NewTest[]>([
    { name: "Sample 1", visibility: "sample", stdin: "", expected_stdout: "" },
    { name: "Hidden 1", visibility: "hidden", stdin: "", expected_stdout: "" },
  ]);
  const [outcome, setOutcome] = useState("");
  const save = useAction(async () => {
    setOutcome("");
    const created = await teacherExercises.create({ title, statement, language, starter, solution, fileName: FILE_NAMES[language] ?? "main.txt", tests });
    let said = `Saved “${created.title}” in your bank.`;
    if (solution.trim()) {
      const check = await teacherExercises.checkSolution(created.id);
      const result = Object.values(check.results)[0];
      said += result?.passed ? ` All tests pass with the solution (${result.score}/${result.max_score}).` : ` The solution fails some tests (${result?.score ?? 0}/${result?.max_score ?? 0}).`;
    }
    setOutcome(said);
    await onCreated();
    return created;
  });
  const setTest = (index: number, patch: Partial<NewTest>) => setTests((all) => all.map((t, i) => (i === index ? { ...t, ...patch } : t)));
  return (
    <section className="card" aria-labelledby="new-exercise-heading">
      <h2 id="new-exercise-heading">Write an exercise</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <div className="field">
          <label htmlFor="ex-title">Title</label>
          <input id="ex-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
        </div>
        <div className="field">
          <label htmlFor="ex-statement">Statement (Markdown)</label>
          <textarea id="ex-statement" value={statement} onChange={(e) => setStatement(e.target.value)} rows={4} />
        </div>
        <div className="field">
          <label htmlFor="ex-starter">Starter code</label>
          <textarea id="ex-starter" value={starter} onChange={(e) => setStarter(e.target.value)} rows={3} className="exercises-mono" />
        </div>
        <div className="field">
          <label htmlFor="ex-solution">Reference solution (checked against the tests when saved)</label>
          <textarea id="ex-solution" value={solution} onChange={(e) => setSolution(e.target.value)} rows={3} className="exercises-mono" />
        </div>
        {tests.map((test, i) => (
          <fieldset key={i} className="exercise-test">
            <legend>
              Test {i + 1} ({test.visibility})
            </legend>
            <div className="field">
              <label htmlFor={`t${i}-vis`}>Visibility of test {i + 1}</label>
              <select id={`t${i}-vis`} value={test.visibility} onChange={(e) => setTest(i, { visibility: e.target.value as NewTest["visibility"] })}>
                <option value="sample">Sample: students see it</option>
                <option value="hidden">Hidden: students see only pass or fail</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor={`t${i}-in`}>Input of test {i + 1}</label>
              <textarea id={`t${i}-in`} value={test.stdin} onChange={(e) => setTest(i, { stdin: e.target.value })} rows={2} className="exercises-mono" />
            </div>
            <div className="field">
              <label htmlFor={`t${i}-out`}>Expected output of test {i + 1}</label>
              <textarea id={`t${i}-out`} value={test.expected_stdout} onChange={(e) => setTest(i, { expected_stdout: e.target.value })} rows={2} className="exercises-mono" />
            </div>
          </fieldset>
        ))}
        <div className="row">
          <button type="button" className="btn" onClick={() => setTests((all) => [...all, { name: `Test ${all.length + 1}`, visibility: "hidden", stdin: "", expected_stdout: "" }])}>
            Add a test
          </button>
          <button type="submit" className="btn primary" disabled={save.pending || !title.trim()}>
            Save and check
          </button>
        </div>
        <div role="status" data-testid="new-exercise-outcome">
          {save.pending ? "Saving and running the solution…" : outcome}
        </div>
        {save.error ? <p className="field-error" role="alert">{errorMessage(save.error)}</p> : null}
      </form>
      <p className="muted">Session {sessionId.slice(0, 8)} · {language}</p>
    </section>
  );
}
