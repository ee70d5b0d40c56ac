import { useCallback, useRef, useState, type ReactNode } from "react";

interface Props {
  top: ReactNode;
  bottom: ReactNode;
  /** Initial share of the height for the top pane, 0..1. */
  initial?: number;
}

/** Editor above, terminal below, with a draggable divider. */
export function SplitPane({ top, bottom, initial = 0.6 }: Props) {
  const [fraction, setFraction] = useState(initial);
  const box = useRef<HTMLDivElement>(null);
  const onPointerDown = useCallback((event: React.PointerEvent) => {
    event.preventDefault();
    const element = box.current;
    if (!element) return;
    const rect = element.getBoundingClientRect();
    const move = (e: PointerEvent) => setFraction(Math.min(0.85, Math.max(0.15, (e.clientY - rect.top) / rect.height)));
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }, []);
  return (
    <div className="split" ref={box} style={{ gridTemplateRows: `minmax(120px, ${fraction}fr) 6px minmax(100px, ${1 - fraction}fr)` }}>
      {top}
      <div className="splitter" role="separator" aria-orientation="horizontal" onPointerDown={onPointerDown} />
      {bottom}
    </div>
  );
}
