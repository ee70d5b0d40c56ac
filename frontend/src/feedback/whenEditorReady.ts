/**
 * Moves the editor behind `handle` to `line` once it has one: after a page switches file (or view) to
 * show a comment, the new editor mounts a few renders later. Gives up after about 3 s.
 */
export function whenEditorReady(handle: { current: { goToLine: (line: number) => void } | null }, line: number): void {
  let tries = 0;
  const wait = () => {
    if (handle.current) handle.current.goToLine(line);
    else if (tries++ < 60) window.setTimeout(wait, 50);
  };
  window.setTimeout(wait, 50);
}
