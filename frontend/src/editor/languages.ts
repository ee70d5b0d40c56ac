/** Session languages: the Monaco language id, the usual file extension, a starter. */
export interface LanguageInfo {
  id: string;
  label: string;
  monaco: string;
  extension: string;
}

export const LANGUAGES: LanguageInfo[] = [
  { id: "python", label: "Python", monaco: "python", extension: "py" },
  { id: "javascript", label: "JavaScript (Node)", monaco: "javascript", extension: "js" },
  { id: "typescript", label: "TypeScript", monaco: "typescript", extension: "ts" },
  { id: "c", label: "C", monaco: "c", extension: "c" },
  { id: "cpp", label: "C++", monaco: "cpp", extension: "cpp" },
  { id: "java", label: "Java", monaco: "java", extension: "java" },
];

const BY_EXTENSION: Record<string, string> = {
  py: "python",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  ts: "typescript",
  c: "c",
  h: "c",
  cpp: "cpp",
  cc: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  java: "java",
};

export function languageInfo(id: string): LanguageInfo {
  return LANGUAGES.find((l) => l.id === id) ?? { id, label: id, monaco: "plaintext", extension: "txt" };
}

/** The Monaco language for a file: by its extension, else the session's language. */
export function monacoLanguageFor(fileName: string, sessionLanguage: string): string {
  const ext = fileName.includes(".") ? fileName.split(".").pop()?.toLowerCase() ?? "" : "";
  if (ext in BY_EXTENSION) return BY_EXTENSION[ext] ?? "plaintext";
  if (ext === "txt" || ext === "md" || ext === "csv" || ext === "json") return "plaintext";
  return languageInfo(sessionLanguage).monaco;
}

export function defaultFileName(language: string): string {
  if (language === "java") return "Main.java";
  return `main.${languageInfo(language).extension}`;
}
