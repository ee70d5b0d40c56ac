/**
 * Where the last error in a run's output points: the file and line a traceback,
 * compiler or stack trace names, so the teacher's help card can say "error on line 2"
 * beside the line the student's cursor was on.
 */
import { stripAnsi } from "../components/ansi";

export interface ErrorLocation {
  file: string;
  line: number;
}

const PYTHON_FRAME = /File "([^"]+)", line (\d+)/g;
// gcc/clang "main.c:3:5: error", javac "Main.java:3: error", Node "/work/main.js:2", tsc "main.ts(2,5)".
const FILE_LINE = /([\w.\-/]+\.(?:py|js|mjs|cjs|ts|c|h|cc|cpp|cxx|hpp|java)):(\d+)/;
const TSC_LINE = /([\w.\-/]+\.ts)\((\d+),\d+\)/;
const JAVA_FRAME = /\(([\w$]+\.java):(\d+)\)/;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The runtime's own files (a standard library frame) say nothing about the student's code. */
function isStudentFile(path: string): boolean {
  return !path.startsWith("<") && !/^\/(usr|lib|opt|nix)\//.test(path) && !path.includes("site-packages/") && !path.startsWith("node:");
}

export function errorLocation(output: string): ErrorLocation | null {
  const text = stripAnsi(output);
  // Python: the innermost frame in the student's files is where it went wrong.
  let python: ErrorLocation | null = null;
  for (const match of text.matchAll(PYTHON_FRAME)) {
    if (isStudentFile(match[1]!)) python = { file: baseName(match[1]!), line: Number(match[2]) };
  }
  if (python) return python;
  for (const pattern of [JAVA_FRAME, TSC_LINE, FILE_LINE]) {
    for (const line of text.split(/\r?\n/)) {
      const match = pattern.exec(line);
      if (match && isStudentFile(match[1]!)) return { file: baseName(match[1]!), line: Number(match[2]) };
    }
  }
  return null;
}
