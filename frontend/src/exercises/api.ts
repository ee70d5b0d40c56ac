/** The exercise endpoints the session pages use (docs/API.md, "Exercises in a session"). */
import { apiRequest, downloadFile, type Auth } from "../api/client";
import type { StudentSubmission } from "../api/events.gen";

export type { StudentSubmission };

export interface SampleTest {
  id: string;
  name: string;
  kind: "io" | "unit";
  weight: number;
  stdin?: string;
  expected_stdout?: string;
}

/** An open exercise as its student sees it: hidden tests only as a count. */
export interface StudentExercise {
  id: string;
  title: string;
  statement_html: string;
  sample_tests: SampleTest[];
  hidden_tests: number;
  max_score: number;
  policy: "best" | "last";
  deadline: string | null;
  latest_submission: StudentSubmission | null;
  counted_score: number | null;
}

export interface SessionExercise {
  id: string;
  exercise_id: string;
  title: string;
  order: number;
  is_open: boolean;
  policy: "best" | "last";
  tests: number;
  hidden_tests: number;
  max_score: number;
}

export interface GridCell {
  submission_id: string;
  status: string;
  score: number;
  max_score: number;
  passed: boolean;
  late: boolean;
  counted_score: number | null;
  attempts: number;
}

export interface TestStats {
  id: string;
  name: string;
  visibility: string;
  passed: number;
  failed: number;
}

export interface GridExercise {
  id: string;
  title: string;
  max_score: number;
  is_open: boolean;
  stats: {
    submitted: number;
    passed_all: number;
    tests: TestStats[];
    most_failed_test: { id: string; name: string; failed: number } | null;
    most_common_error: { line: string; count: number } | null;
  };
}

export interface GridRow {
  participant_id: string;
  display_name: string;
  removed: boolean;
  cells: Record<string, GridCell | null>;
  total: number;
  failing: number;
}

export interface Grid {
  exercises: GridExercise[];
  rows: GridRow[];
  max_total: number;
}

export interface BankExercise {
  id: string;
  title: string;
  languages: string[];
  solution_passes: boolean | null;
}

export interface NewTest {
  name: string;
  visibility: "sample" | "hidden";
  stdin: string;
  expected_stdout: string;
}

export interface NewExercise {
  title: string;
  statement: string;
  language: string;
  starter: string;
  solution: string;
  fileName: string;
  tests: NewTest[];
}

export const studentExercises = {
  list: (sessionId: string, auth: Auth) => apiRequest<StudentExercise[]>(`/api/sessions/${sessionId}/exercises/`, { auth }),
  grade: (participantId: string, linkId: string, kind: "check" | "submit", auth: Auth) =>
    apiRequest<StudentSubmission>(`/api/participants/${participantId}/exercises/${linkId}/${kind}`, { method: "POST", auth }),
};

export const teacherExercises = {
  list: (sessionId: string) => apiRequest<SessionExercise[]>(`/api/sessions/${sessionId}/exercises/`),
  attach: (sessionId: string, exerciseId: string) =>
    apiRequest<SessionExercise>(`/api/sessions/${sessionId}/exercises/`, { method: "POST", body: { exercise_id: exerciseId } }),
  update: (sessionId: string, linkId: string, body: Partial<Pick<SessionExercise, "is_open" | "policy">>) =>
    apiRequest<SessionExercise>(`/api/sessions/${sessionId}/exercises/${linkId}/`, { method: "PATCH", body }),
  regrade: (sessionId: string, linkId: string) =>
    apiRequest<{ submissions: number }>(`/api/sessions/${sessionId}/exercises/${linkId}/regrade`, { method: "POST", body: {} }),
  grid: (sessionId: string) => apiRequest<Grid>(`/api/sessions/${sessionId}/exercises/grid`),
  grades: (sessionId: string) => downloadFile(`/api/sessions/${sessionId}/grades.csv`, "grades.csv"),
  bank: () => apiRequest<{ results: BankExercise[] }>("/api/exercises/", { query: { page_size: 200 } }),
  create: (input: NewExercise) =>
    apiRequest<BankExercise>("/api/exercises/", {
      method: "POST",
      body: {
        title: input.title,
        statement: input.statement,
        languages: [input.language],
        starter_files: { [input.language]: [{ name: input.fileName, content: input.starter }] },
        solution_files: input.solution.trim() ? { [input.language]: [{ name: input.fileName, content: input.solution }] } : {},
        tests: input.tests.map((t) => ({ ...t, kind: "io" })),
      },
    }),
  checkSolution: (exerciseId: string) =>
    apiRequest<{ results: Record<string, { passed: boolean; score: number; max_score: number }> }>(
      `/api/exercises/${exerciseId}/check-solution`,
      { method: "POST", body: {} },
    ),
};

export interface Feedback {
  id: string;
  participant_id: string;
  submission_id: string | null;
  file_name: string;
  line: number;
  text: string;
  author: string;
  created_at: string;
}

/** A submission as the teacher sees it: whole (files, every test's result). */
export interface TeacherSubmission {
  id: string;
  session_exercise_id: string;
  participant_id: string;
  kind: "check" | "submit";
  status: StudentSubmission["status"];
  score: number;
  max_score: number;
  passed: boolean;
  late: boolean;
  message: string;
  regraded: boolean;
  created_at: string;
  graded_at: string | null;
  files: { name: string; content: string }[];
}

export const feedback = {
  list: (participantId: string, auth: Auth) => apiRequest<Feedback[]>(`/api/participants/${participantId}/feedback/`, { auth }),
  add: (participantId: string, body: { file_name: string; line: number; text: string; submission_id?: string }) =>
    apiRequest<Feedback>(`/api/participants/${participantId}/feedback/`, { method: "POST", body }),
  /** The student's submissions, newest first (the teacher's whole view). */
  submissions: (participantId: string, signal?: AbortSignal) => apiRequest<TeacherSubmission[]>(`/api/participants/${participantId}/submissions/`, { signal }),
};
