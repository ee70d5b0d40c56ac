/**
 * The join form's rules, checked before anything is sent (a refused join counts against
 * this address's allowance): the class code's shape and the name's, said next to the
 * field in words a student understands, not as the API's field names.
 */
import { ApiError } from "../api/errors";

/** As sessions/joincodes.py: six characters, no 0/O or 1/I/L (they look alike on a projector). */
export const CODE_LENGTH = 6;
const CODE_ALPHABET = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]*$/;
const LOOKALIKES = /[0O1IL]/;
export const NAME_MAX = 80;
// What the server refuses in a name (sessions/serializers.py): control and invisible characters.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export interface JoinProblems {
  code?: string;
  name?: string;
  /** A refusal that belongs to no field. */
  other?: string;
}

/** The canonical form of a typed code: upper case, spaces and separators ("ABC-123") dropped. */
export function normalizeCode(raw: string): string {
  return raw.replace(/[\s\-_.]/g, "").toUpperCase();
}

export function codeProblem(raw: string): string | null {
  const code = normalizeCode(raw);
  if (!code) return "Enter the class code your teacher shows.";
  if (!CODE_ALPHABET.test(code)) {
    return LOOKALIKES.test(code)
      ? "Class codes never use 0, O, 1, I or L. Check the code your teacher shows."
      : "A class code has only letters and digits.";
  }
  if (code.length !== CODE_LENGTH) return `A class code has ${CODE_LENGTH} characters; this one has ${code.length}.`;
  return null;
}

/** A signed-in student may leave the name empty (their account's name is used). */
export function nameProblem(raw: string, signedIn: boolean): string | null {
  const name = raw.trim();
  if (!name) {
    if (signedIn) return null;
    return raw ? "A name of only spaces is not a name. Enter the name your teacher will see." : "Enter the name your teacher will see.";
  }
  if (INVISIBLE.test(name)) return "A name cannot contain control or invisible characters.";
  if (name.length > NAME_MAX) return `A name has at most ${NAME_MAX} characters.`;
  return null;
}

export function joinProblems(code: string, name: string, signedIn: boolean): JoinProblems {
  const problems: JoinProblems = {};
  const onCode = codeProblem(code);
  const onName = nameProblem(name, signedIn);
  if (onCode) problems.code = onCode;
  if (onName) problems.name = onName;
  return problems;
}

const FIELD_LABELS: Record<string, string> = { code: "Class code", display_name: "Your name", guest_key: "This browser's join key" };

/** The server's refusal, placed next to the field it names ("display_name" is "Your name"). */
export function serverProblems(error: unknown): JoinProblems {
  if (!(error instanceof ApiError)) return {};
  if (error.status === 404) return { code: "No live class has this code. Check it with your teacher." };
  const fields = error.fieldErrors();
  const problems: JoinProblems = {};
  const others: string[] = [];
  for (const [field, message] of Object.entries(fields)) {
    if (field === "code") problems.code = message;
    else if (field === "display_name") problems.name = message;
    else if (field === "non_field_errors") others.push(message);
    else others.push(`${FIELD_LABELS[field] ?? field.replace(/_/g, " ")}: ${message}`);
  }
  if (others.length) problems.other = others.join(" ");
  return problems;
}
