/** The keyboard map, folded under the side panel (README, "Accessibility", says the same). */
export function KeyboardHelp({ who }: { who: "student" | "teacher" }) {
  return (
    <details className="kbd-help" data-testid="keyboard-help">
      <summary>Keyboard shortcuts</summary>
      <dl>
        {who === "student" ? (
          <>
            <dt><kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt>
            <dd>Run the open file (from anywhere on the page)</dd>
          </>
        ) : null}
        {who === "teacher" ? (
          <>
            <dt><kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>Enter</kbd></dt>
            <dd>In the student's file or submission: comment on the line the cursor is on (also in the editor's right-click menu)</dd>
          </>
        ) : null}
        <dt><kbd>Esc</kbd></dt>
        <dd>Leave the editor ({who === "student" ? "to the Run button" : "to the Live/Replay/Submissions tabs"})</dd>
        <dt><kbd>Ctrl</kbd>+<kbd>M</kbd></dt>
        <dd>In the editor: Tab moves the focus instead of indenting (again to undo; the “Tab moves focus” button does the same)</dd>
        <dt><kbd>Tab</kbd> / <kbd>Shift</kbd>+<kbd>Tab</kbd></dt>
        <dd>Leave the terminal{who === "student" ? " (a program's input needs no Tab)" : ""}</dd>
        <dt><kbd>Ctrl</kbd>+<kbd>C</kbd></dt>
        <dd>In the terminal: interrupt the running program</dd>
        <dt><kbd>←</kbd> <kbd>→</kbd></dt>
        <dd>Move between tabs (files, views)</dd>
        <dt>Skip links</dt>
        <dd>The first Tab on the page offers “Skip to the editor”, “… terminal”, “… help”</dd>
      </dl>
    </details>
  );
}
