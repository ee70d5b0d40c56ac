/** API objects the component tests share. */
import type { ClassSession, FileItem, Limits, ParticipantStatus } from "../api/types";

export const session: ClassSession = {
  id: "s1",
  title: "Loops",
  language: "python",
  instructions: "Greet the **user**.",
  starter_files: [],
  max_participants: 30,
  teacher_can_edit: true,
  students_see_each_other: false,
  state: "live",
  join_code: "ABC123",
  created_at: "",
  started_at: "",
  ended_at: null,
  participant_count: 1,
  teacher: { id: "t", display_name: "Ms T" },
};

export const participant: ParticipantStatus = {
  id: "p1",
  display_name: "Ada",
  is_guest: true,
  online: true,
  joined_at: "",
  last_activity_at: null,
  last_run_status: null,
  open_help_request: null,
  removed: false,
};

export const file: FileItem = { id: "f1", name: "main.py", content: "", updated_at: "", size: 0 };

export const LIMITS: Limits = {
  window_seconds: 60,
  runs_per_window: 20,
  used: 2,
  remaining: 18,
  resets_at: "",
  concurrent: { running: 0, max: 1 },
};
