// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]|\u001b\][^\u0007]*(\u0007|\u001b\\)/g;

/** Compiler and terminal output without colour codes, for plain-text places (tables, previews). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}
