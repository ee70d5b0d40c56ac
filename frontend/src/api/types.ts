/** JSON shapes of the Observer API (docs/API.md). */
export type Role = "student" | "teacher" | "admin";

export interface User {
  id: string;
  username: string;
  email: string;
  display_name: string;
  role: Role;
  guest: false;
}

export interface GuestMe {
  guest: true;
  role: "student";
  display_name: string;
  participant_id: string;
  session_id: string;
}

export interface AuthAnswer {
  access: string;
  refresh: string;
  user: User;
}

export type Language = "python" | "javascript" | "typescript" | "c" | "cpp" | "java";
export type SessionState = "draft" | "live" | "ended";

export interface StarterFile {
  name: string;
  content: string;
}

export interface ClassSession {
  id: string;
  title: string;
  language: Language | string;
  instructions: string;
  starter_files: StarterFile[];
  max_participants: number;
  teacher_can_edit: boolean;
  students_see_each_other: boolean;
  state: SessionState;
  join_code: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  participant_count: number;
  teacher: { id: string; display_name: string };
}

/** A page of a list that grows without bound (docs/API.md, "Conventions"). */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface SessionInput {
  title: string;
  language: string;
  instructions?: string;
  starter_files?: StarterFile[];
  max_participants?: number;
  teacher_can_edit?: boolean;
  students_see_each_other?: boolean;
}

export type HelpState = "open" | "claimed" | "resolved" | "cancelled";

export interface HelpSummary {
  id: string;
  state: HelpState;
  message: string;
  created_at: string;
}

export interface HelpRequest {
  id: string;
  participant_id: string;
  display_name: string;
  message: string;
  file_name: string;
  line: number | null;
  last_output: string;
  state: HelpState;
  created_at: string;
  claimed_by: { id: string; display_name: string } | string | null;
  claimed_at: string | null;
  resolved_at: string | null;
}

export type RunStatus =
  | "ok"
  | "runtime-error"
  | "compile-error"
  | "timeout"
  | "memory-limit"
  | "output-limit"
  | "killed"
  | "sandbox-error";

export interface ParticipantStatus {
  id: string;
  display_name: string;
  is_guest: boolean;
  online: boolean;
  joined_at: string;
  last_activity_at: string | null;
  last_run_status: RunStatus | "running" | null;
  open_help_request: HelpSummary | null;
  removed: boolean;
  /** The live text of the file the student last typed in, when the server includes it. */
  preview?: { document_id: string; name: string; text: string } | null;
}

export interface FileItem {
  id: string;
  name: string;
  content: string;
  updated_at: string;
  size: number;
}

export interface JoinAnswer {
  participant: ParticipantStatus;
  session: ClassSession;
  files: FileItem[];
  token?: string;
}

export interface CurrentAnswer {
  session: ClassSession;
  participant: ParticipantStatus;
  files?: FileItem[];
}

export interface PushAnswer {
  delivered: Array<{ participant_id: string; file_id: string; name: string }>;
}

export interface StudentAnalytics {
  participant_id: string;
  display_name: string;
  active_seconds: number;
  runs: number;
  runs_by_status: Partial<Record<RunStatus, number>>;
  last_error: string | null;
  chars_typed: number;
  help_requests: number;
}

export interface Analytics {
  session: Record<string, number | string | null>;
  students: StudentAnalytics[];
}

export interface HistoryAuthor {
  kind: "participant" | "teacher" | "server";
  id: string | null;
  name: string;
}

export interface HistoryEvent {
  seq: number;
  at: string;
  author: HistoryAuthor | string | null;
  /** The edit in code points: delete `delete` at `pos`, then insert `insert`. */
  edit?: { pos: number; delete: number; insert: string };
  /** The whole text after this event, on keyframes (every ~50 events, pastes, the last). */
  text_after?: string;
  inserted: number;
  deleted: number;
  /** A large insertion made at once. */
  paste: boolean;
  /** Typed earlier and delivered when the editor reconnected: never a paste. */
  resynced: boolean;
}

export interface DocumentHistory {
  document_id: string;
  name: string;
  base_text: string;
  events: HistoryEvent[];
  final_text: string;
  last_seq?: number;
  next_after_seq?: number | null;
}

export interface Limits {
  window_seconds: number;
  runs_per_window: number;
  used: number;
  remaining: number;
  resets_at: string;
  concurrent: { running: number; max: number };
}

/** A participant's last finished run (GET /api/participants/{pid}/last-run). */
export interface LastRun extends RunOutcome {
  run_id: string;
  entry: string;
  output_tail: string;
  finished_at: string | null;
}

/** How a run ended: what the terminal's exit frame and the last-run answer both carry. */
export interface RunOutcome {
  status: RunStatus;
  exit_code: number | null;
  signal: number | null;
  wall_ms: number | null;
  cpu_ms: number | null;
  peak_memory_kb: number | null;
  output_bytes: number | null;
  message: string;
}
