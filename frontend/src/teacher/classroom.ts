/**
 * The teacher's live picture of a class, built from the snapshot, REST loads and the
 * session events. Pure functions, so the grid's logic is tested without a browser.
 */
import type { FileItem, HelpRequest, ParticipantStatus, RunStatus } from "../api/types";
import type { SessionEvent } from "../live/sessionEvents";

export interface Preview {
  documentId: string;
  name: string;
  text: string;
}

export interface StudentLive {
  participant: ParticipantStatus;
  /** The file the student works on now: the one they opened or typed in last that still exists. */
  preview: Preview | null;
  /** Files seen on the tile, newest first: where it goes back to when the shown one is deleted. */
  recent: Preview[];
  lastTypingAt: number | null;
  lastActivityAt: number | null;
  running: boolean;
  lastRunStatus: RunStatus | null;
  consecutiveErrors: number;
  /** Per exercise of the session: whether the student's latest Submit failed (from exercise.graded). */
  failingExercises?: Record<string, boolean>;
}

export interface Classroom {
  students: Record<string, StudentLive>;
  help: HelpRequest[];
}

export const emptyClassroom: Classroom = { students: {}, help: [] };

const ERROR_STATUSES: ReadonlySet<string> = new Set(["runtime-error", "compile-error", "timeout", "memory-limit", "output-limit", "sandbox-error"]);

export function isErrorStatus(status: string | null | undefined): boolean {
  return !!status && ERROR_STATUSES.has(status);
}

export const TYPING_WINDOW_MS = 5_000;
export const LONG_IDLE_MS = 3 * 60_000;

function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function previewOf(participant: ParticipantStatus): Preview | null {
  const p = participant.preview;
  return p && typeof p.text === "string" ? { documentId: p.document_id, name: p.name, text: p.text } : null;
}

function fromStatus(participant: ParticipantStatus, previous?: StudentLive): StudentLive {
  const runStatus = participant.last_run_status;
  const lastActivity = parseTime(participant.last_activity_at) ?? parseTime(participant.joined_at);
  const preview = previewOf(participant) ?? previous?.preview ?? null;
  return {
    participant,
    preview,
    recent: previous?.recent ?? (preview ? [preview] : []),
    lastTypingAt: previous?.lastTypingAt ?? null,
    lastActivityAt: Math.max(previous?.lastActivityAt ?? 0, lastActivity ?? 0) || null,
    running: runStatus === "running" || (previous?.running ?? false),
    lastRunStatus: runStatus && runStatus !== "running" ? runStatus : previous?.lastRunStatus ?? null,
    consecutiveErrors: previous?.consecutiveErrors ?? (isErrorStatus(runStatus) ? 1 : 0),
    failingExercises: previous?.failingExercises,
  };
}

function upsertHelp(list: HelpRequest[], request: HelpRequest): HelpRequest[] {
  const open = request.state === "open" || request.state === "claimed";
  const rest = list.filter((h) => h.id !== request.id);
  if (!open) return rest;
  return [...rest, request].sort((a, b) => a.created_at.localeCompare(b.created_at));
}

function withHelpOnStudent(students: Record<string, StudentLive>, request: HelpRequest): Record<string, StudentLive> {
  const student = students[request.participant_id];
  if (!student) return students;
  const open = request.state === "open" || request.state === "claimed";
  return {
    ...students,
    [request.participant_id]: {
      ...student,
      participant: {
        ...student.participant,
        open_help_request: open ? { id: request.id, state: request.state, message: request.message, created_at: request.created_at } : null,
      },
    },
  };
}

function patchStudent(state: Classroom, id: string, patch: (s: StudentLive) => StudentLive): Classroom {
  const student = state.students[id];
  if (!student) return state;
  return { ...state, students: { ...state.students, [id]: patch(student) } };
}

export function withParticipants(state: Classroom, participants: ParticipantStatus[]): Classroom {
  const students: Record<string, StudentLive> = {};
  for (const p of participants) if (!p.removed) students[p.id] = fromStatus(p, state.students[p.id]);
  return { ...state, students };
}

export function withHelpList(state: Classroom, help: HelpRequest[]): Classroom {
  let students = state.students;
  for (const request of help) students = withHelpOnStudent(students, request);
  return { students, help: help.filter((h) => h.state === "open" || h.state === "claimed").sort((a, b) => a.created_at.localeCompare(b.created_at)) };
}

export function withHelp(state: Classroom, request: HelpRequest): Classroom {
  return { students: withHelpOnStudent(state.students, request), help: upsertHelp(state.help, request) };
}

export function withPreview(state: Classroom, participantId: string, preview: Preview): Classroom {
  return patchStudent(state, participantId, (s) => (s.preview ? s : { ...s, preview, recent: remember(s.recent, preview) }));
}

const RECENT_FILES = 8;

function remember(recent: Preview[], preview: Preview): Preview[] {
  return [preview, ...recent.filter((p) => p.documentId !== preview.documentId)].slice(0, RECENT_FILES);
}

/** The file to show on a tile before any live preview: the one edited last (the newest `updated_at`). */
export function latestFile(files: FileItem[]): FileItem | null {
  let latest: FileItem | null = null;
  for (const file of files) if (!latest || file.updated_at >= latest.updated_at) latest = file;
  return latest;
}

export function applyEvent(state: Classroom, event: SessionEvent, now = Date.now()): Classroom {
  switch (event.type) {
    case "snapshot":
      return withHelpList(withParticipants(state, event.participants ?? []), event.help ?? []);
    case "participant.joined":
    case "participant.left":
      return { ...state, students: { ...state.students, [event.participant.id]: fromStatus(event.participant, state.students[event.participant.id]) } };
    case "participant.removed": {
      const students = { ...state.students };
      delete students[event.participant.id];
      return { students, help: state.help.filter((h) => h.participant_id !== event.participant.id) };
    }
    case "presence":
      return patchStudent(state, event.participant_id, (s) => ({ ...s, participant: { ...s.participant, online: event.online } }));
    case "typing":
      return patchStudent(state, event.participant_id, (s) => ({ ...s, lastTypingAt: now, lastActivityAt: now }));
    case "preview": {
      const preview = { documentId: event.document_id, name: event.name, text: event.text };
      // `opened`: the student opened the file (the tile follows), which is not typing.
      const activity = event.opened ? { lastActivityAt: now } : { lastTypingAt: now, lastActivityAt: now };
      return patchStudent(state, event.participant_id, (s) => ({ ...s, preview, recent: remember(s.recent, preview), ...activity }));
    }
    case "file.deleted":
      return patchStudent(state, event.participant_id, (s) => {
        const recent = s.recent.filter((p) => p.documentId !== event.document_id);
        const preview = s.preview?.documentId === event.document_id ? recent[0] ?? null : s.preview;
        return { ...s, preview, recent };
      });
    case "run.started":
      return patchStudent(state, event.participant_id, (s) => ({ ...s, running: true, lastActivityAt: now }));
    case "run.ended":
      return patchStudent(state, event.participant_id, (s) => ({
        ...s,
        running: false,
        lastActivityAt: now,
        lastRunStatus: event.status,
        consecutiveErrors: isErrorStatus(event.status) ? s.consecutiveErrors + 1 : event.status === "ok" ? 0 : s.consecutiveErrors,
      }));
    case "exercise.graded":
      return patchStudent(state, event.participant_id, (s) => ({
        ...s,
        failingExercises: { ...s.failingExercises, [event.session_exercise_id]: !event.passed },
      }));
    case "help.raised":
    case "help.claimed":
    case "help.resolved":
    case "help.cancelled":
    case "help.updated":
      return withHelp(state, event.help_request);
    default:
      return state;
  }
}

export type TileStatus = "help" | "running" | "typing" | "error" | "idle";

export function tileStatus(s: StudentLive, now = Date.now()): TileStatus {
  if (s.participant.open_help_request) return "help";
  if (s.running) return "running";
  if (s.lastTypingAt !== null && now - s.lastTypingAt < TYPING_WINDOW_MS) return "typing";
  if (isErrorStatus(s.lastRunStatus)) return "error";
  return "idle";
}

/** Higher means the teacher should look sooner: raised hands, repeated errors, long idle. */
export function attentionScore(s: StudentLive, now = Date.now()): number {
  const help = s.participant.open_help_request;
  if (help) return 1_000_000 + Math.max(0, (now - (parseTime(help.created_at) ?? now)) / 1000);
  if (s.consecutiveErrors >= 2) return 500_000 + s.consecutiveErrors;
  if (isErrorStatus(s.lastRunStatus) && !s.running) return 300_000;
  const failing = failingCount(s);
  if (failing > 0) return 200_000 + failing;
  if (!s.participant.online) return 0;
  const idleFor = now - (s.lastActivityAt ?? now);
  if (idleFor >= LONG_IDLE_MS) return 100_000 + idleFor / 1000;
  return 1;
}

/** How many of the session's exercises the student's latest Submit fails. */
export function failingCount(s: StudentLive): number {
  return Object.values(s.failingExercises ?? {}).filter(Boolean).length;
}

export type SortMode = "attention" | "name" | "joined";

export function sortStudents(students: StudentLive[], mode: SortMode, now = Date.now()): StudentLive[] {
  const byName = (a: StudentLive, b: StudentLive) => a.participant.display_name.localeCompare(b.participant.display_name);
  const copy = [...students];
  if (mode === "name") return copy.sort(byName);
  if (mode === "joined") return copy.sort((a, b) => a.participant.joined_at.localeCompare(b.participant.joined_at));
  return copy.sort((a, b) => attentionScore(b, now) - attentionScore(a, now) || byName(a, b));
}

export function attentionReason(s: StudentLive, now = Date.now()): string | null {
  if (s.participant.open_help_request) return "Raised hand";
  if (s.consecutiveErrors >= 2) return `${s.consecutiveErrors} failed runs in a row`;
  const failing = failingCount(s);
  if (failing > 0) return `Failing ${failing} exercise${failing === 1 ? "" : "s"}`;
  if (s.participant.online && s.lastActivityAt !== null && now - s.lastActivityAt >= LONG_IDLE_MS) return "Idle for a while";
  return null;
}
