import { useMemo, useState } from "react";
import { EmptyState } from "../components/States";
import { useNow } from "../hooks/useNow";
import { sortStudents, tileStatus, type SortMode, type StudentLive } from "./classroom";
import { StudentTile } from "./StudentTile";

interface Props {
  students: StudentLive[];
  onOpen: (participantId: string) => void;
  joinHint?: string;
}

const MODES: Array<{ id: SortMode; label: string }> = [
  { id: "attention", label: "Needs attention" },
  { id: "name", label: "Name" },
  { id: "joined", label: "Joined" },
];

/** The live grid of student tiles with sorting and a status summary. */
export function StudentGrid({ students, onOpen, joinHint }: Props) {
  const now = useNow(2000);
  const [mode, setMode] = useState<SortMode>("attention");
  const [filter, setFilter] = useState("");
  const sorted = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const shown = needle ? students.filter((s) => s.participant.display_name.toLowerCase().includes(needle)) : students;
    return sortStudents(shown, mode, now);
  }, [students, mode, now, filter]);
  const counts = useMemo(() => {
    const c = { help: 0, running: 0, typing: 0, error: 0, idle: 0, online: 0 };
    for (const s of students) {
      c[tileStatus(s, now)] += 1;
      if (s.participant.online) c.online += 1;
    }
    return c;
  }, [students, now]);

  return (
    <section aria-label="Students">
      <div className="grid-head">
        <h2 style={{ margin: 0 }}>
          Students <span className="muted">({counts.online} online of {students.length})</span>
        </h2>
        {counts.help ? <span className="badge help">{counts.help} need help</span> : null}
        {counts.error ? <span className="badge error">{counts.error} with errors</span> : null}
        {counts.running ? <span className="badge running">{counts.running} running</span> : null}
        <span className="grow" />
        <input aria-label="Find a student" placeholder="Find a student" value={filter} onChange={(e) => setFilter(e.target.value)} style={{ width: 170 }} />
        <div className="segmented" role="group" aria-label="Sort students by">
          {MODES.map((m) => (
            <button key={m.id} type="button" className={mode === m.id ? "active" : ""} aria-pressed={mode === m.id} onClick={() => setMode(m.id)}>
              {m.label}
            </button>
          ))}
        </div>
      </div>
      {students.length === 0 ? (
        <div className="card">
          <EmptyState title="No students yet">{joinHint ?? "Students appear here as soon as they join."}</EmptyState>
        </div>
      ) : sorted.length === 0 ? (
        <EmptyState title="No student matches that name" />
      ) : (
        <div className="tile-grid">
          {sorted.map((s) => (
            <StudentTile key={s.participant.id} student={s} now={now} onOpen={onOpen} />
          ))}
        </div>
      )}
    </section>
  );
}
