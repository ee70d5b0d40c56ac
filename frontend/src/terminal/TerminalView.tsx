import { useEffect, useRef } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import type { TerminalSession } from "./terminalSession";
import type { LastRun } from "../api/types";
import { exitNote, exitSummary, lastRunExit } from "./runState";
import { terminalTheme } from "../theme/theme";
import { useTheme } from "../theme/useTheme";

interface Props {
  session: TerminalSession;
  /** Students type stdin; a teacher's mirror only forwards Ctrl+C. */
  mode: "interactive" | "mirror";
  placeholder?: string;
}

// Our notes are grey (bright black, themed to read at 4.5:1), not SGR dim: xterm draws dim
// at half opacity, which minimumContrastRatio does not correct (3.1:1 on the light theme).
const DIM = "\x1b[90m";
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
      // A screen reader reads the output (rows in an accessibility tree, new lines announced).
      screenReaderMode: true,
    });
    terminal.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    // Tab and Shift+Tab leave the terminal like any other field (a program's input() needs
    // no Tab character): without this the keyboard is trapped in it (README, "Accessibility").
    term.attachCustomKeyEventHandler((event) => !(event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey));
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

    const showHistory = (run: LastRun) => {
      // A full reset in the stream (not term.reset()): writes are queued, and one already queued must not land after it.
      term.write("\x1bc");
      term.write(`${DIM}▶ ${run.entry} (last run)${RESET}\r\n`);
      if (run.output_tail) term.write(run.output_tail);
      const colour = run.status === "ok" ? DIM : RED;
      const exit = lastRunExit(run);
      term.write(`\r\n${colour}[${exitSummary(exit)}]${RESET}\r\n`);
      const note = exitNote(exit, run.output_tail);
      if (note) term.write(`${DIM}${note}${RESET}\r\n`);
    };
    const earlier = session.getHistory();
    if (earlier) showHistory(earlier);
    else if (placeholder) term.write(`${DIM}${placeholder}${RESET}\r\n`);
    const offHistory = session.onHistory(showHistory);

    // The end of this run's output as text, to leave out an exit note that repeats it.
    let recent = "";
    let decoder = new TextDecoder();
    // Focus moves into the terminal only when the program seems to wait for input (its
    // output stops on a prompt, not a line end) and the student has not moved elsewhere.
    let runningNow = false;
    let focusAtStart: Element | null = null;
    let promptTimer = 0;
    const maybeFocusForInput = () => {
      promptTimer = 0;
      if (!runningNow || recent.endsWith("\n") || !recent) return;
      if (document.activeElement !== focusAtStart || element.contains(document.activeElement)) return;
      term.focus();
    };
    const offOutput = session.onOutput((chunk) => {
      recent = (recent + (typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }))).slice(-4000);
      term.write(chunk);
      if (mode === "interactive") {
        window.clearTimeout(promptTimer);
        promptTimer = window.setTimeout(maybeFocusForInput, 400);
      }
    });
    const offFrame = session.onFrame((frame) => {
      if (frame.type === "started") {
        recent = "";
        decoder = new TextDecoder();
        term.write("\x1bc");
        term.write(`${DIM}▶ ${frame.entry}${RESET}\r\n`);
        runningNow = true;
        focusAtStart = document.activeElement;
      } else if (frame.type === "queued") {
        term.write(`${DIM}Waiting for a free runner (position ${frame.position})…${RESET}\r\n`);
      } else if (frame.type === "phase" && frame.phase === "compiling") {
        term.write(`${DIM}Compiling…${RESET}\r\n`);
      } else if (frame.type === "exit") {
        runningNow = false;
        const colour = frame.status === "ok" ? DIM : RED;
        term.write(`\r\n${colour}[${exitSummary(frame)}]${RESET}\r\n`);
        const note = exitNote(frame, recent);
        if (note) term.write(`${DIM}${note}${RESET}\r\n`);
      } else if (frame.type === "error") {
        term.write(`\r\n${RED}${frame.message}${RESET}\r\n`);
      }
    });
    const offData = term.onData((data) => {
      if (mode === "interactive") session.input(data);
      else if (data === "\x03") session.interrupt();
    });
    return () => {
      window.clearTimeout(promptTimer);
      offHistory();
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
