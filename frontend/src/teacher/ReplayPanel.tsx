import { useEffect, useState } from "react";
import { files as filesApi } from "../api/endpoints";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { useResource } from "../hooks/useResource";
import { authorName, playDelay, summarize, textAt } from "./replay";

/** Replays a file's typing history with a slider (and play at 1×/4×/16×). */
export function ReplayPanel({ documentId }: { documentId: string }) {
  const history = useResource((signal) => filesApi.history(documentId, signal), [documentId]);
  const [step, setStep] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(4);
  const events = history.data?.events ?? [];

  useEffect(() => {
    if (history.data) setStep(history.data.events.length);
  }, [history.data]);

  useEffect(() => {
    if (!playing) return undefined;
    if (step >= events.length) {
      setPlaying(false);
      return undefined;
    }
    const id = setTimeout(() => setStep((s) => s + 1), playDelay(events, step, speed));
    return () => clearTimeout(id);
  }, [playing, step, events, speed]);

  if (history.loading && !history.data) return <LoadingState label="Loading the history…" />;
  if (history.error) return <ErrorState error={history.error} onRetry={history.reload} />;
  if (!history.data) return null;
  if (events.length === 0) return <EmptyState title="Nothing to replay yet">This file has no recorded edits.</EmptyState>;

  const current = events[step - 1];
  const summary = summarize(events);
  return (
    <div className="replay" data-testid="replay">
      <div className="row wrap">
        <button
          type="button"
          className="btn small"
          onClick={() => {
            if (step >= events.length) setStep(0);
            setPlaying((p) => !p);
          }}
        >
          {playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <select aria-label="Playback speed" value={speed} onChange={(e) => setSpeed(Number(e.target.value))} style={{ width: "auto" }}>
          <option value={1}>1×</option>
          <option value={4}>4×</option>
          <option value={16}>16×</option>
        </select>
        <span className="muted" style={{ fontSize: "0.85rem" }}>
          Step {step} of {events.length}
          {current ? ` · ${new Date(current.at).toLocaleTimeString()}${authorName(current) ? ` · ${authorName(current)}` : ""}` : " · start"}
          {current?.paste || current?.resynced ? " · " : ""}
          {current?.paste ? <span className="badge error">pasted {current.inserted} chars</span> : null}
          {current?.resynced ? <span className="badge">typed offline, arrived on reconnect</span> : null}
        </span>
        <span className="grow" />
        <span className="muted" style={{ fontSize: "0.8rem" }}>
          {summary.pastes ? `${summary.pastes} paste${summary.pastes === 1 ? "" : "s"} (${summary.pastedChars} chars)` : "no pastes"}
        </span>
      </div>
      <input
        type="range"
        min={0}
        max={events.length}
        value={step}
        aria-label="Replay position"
        onChange={(e) => {
          setPlaying(false);
          setStep(Number(e.target.value));
        }}
      />
      <pre data-testid="replay-text">{textAt(history.data, step)}</pre>
    </div>
  );
}
