import { useEffect, useRef } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import type { TerminalSession } from "./terminalSession";
import { exitSummary } from "./runState";
import { terminalTheme } from "../theme/theme";
import { useTheme } from "../theme/useTheme";

interface Props {
  session: TerminalSession;
  /** Students type stdin; a teacher's mirror only forwards Ctrl+C. */
  mode: "interactive" | "mirror";
  placeholder?: string;
}

const DIM = "\x1b[2m";
const RED = "\x1b[31m";
const RESET = "\x1b[0m";

/** xterm.js bound to a TerminalSession: output in, keystrokes out, sized to its box. */
export function TerminalView({ session, mode, placeholder }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const { theme } = useTheme();
  const themeRef = useRef(theme);
  themeRef.current = theme;

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    const term = new Terminal({
      convertEol: false,
      cursorBlink: mode === "interactive",
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: terminalTheme(themeRef.current),
      // Whatever colour a program prints (and our dimmed notes) is adjusted to read at WCAG AA.
      minimumContrastRatio: 4.5,
    });
    terminal.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    const doFit = () => {
      try {
        fit.fit();
        session.resize(term.rows, term.cols);
      } catch {
        // Not laid out yet (hidden tab); the next resize will fit.
      }
    };
    doFit();
    void document.fonts?.ready.then(doFit);
    const observer = new ResizeObserver(() => doFit());
    observer.observe(element);
    if (placeholder) term.write(`${DIM}${placeholder}${RESET}\r\n`);

    let sawOutput = false;
    const offOutput = session.onOutput((chunk) => {
      sawOutput = true;
      term.write(chunk);
    });
    const offFrame = session.onFrame((frame) => {
      if (frame.type === "started") {
        sawOutput = false;
        term.reset();
        term.write(`${DIM}▶ ${frame.entry}${RESET}\r\n`);
        if (mode === "interactive") term.focus();
      } else if (frame.type === "queued") {
        term.write(`${DIM}Waiting for a free runner (position ${frame.position})…${RESET}\r\n`);
      } else if (frame.type === "phase" && frame.phase === "compiling") {
        term.write(`${DIM}Compiling…${RESET}\r\n`);
      } else if (frame.type === "exit") {
        const colour = frame.status === "ok" ? DIM : RED;
        term.write(`\r\n${colour}[${exitSummary(frame)}]${RESET}\r\n`);
        // A compiler's message is the output already shown; others (limits, stops) explain the end.
        const repeated = frame.status === "compile-error" && sawOutput;
        if (frame.message && frame.status !== "ok" && !repeated) term.write(`${DIM}${frame.message}${RESET}\r\n`);
      } else if (frame.type === "error") {
        term.write(`\r\n${RED}${frame.message}${RESET}\r\n`);
      }
    });
    const offData = term.onData((data) => {
      if (mode === "interactive") session.input(data);
      else if (data === "\x03") session.interrupt();
    });
    return () => {
      offOutput();
      offFrame();
      offData.dispose();
      observer.disconnect();
      terminal.current = null;
      term.dispose();
    };
  }, [session, mode, placeholder]);

  useEffect(() => {
    if (terminal.current) terminal.current.options.theme = terminalTheme(theme);
  }, [theme]);

  return <div className="term-body" ref={host} data-testid="terminal" data-theme={theme} />;
}
