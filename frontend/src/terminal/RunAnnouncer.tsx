import { useEffect, useRef, useState } from "react";
import { LiveRegion } from "../components/a11y";
import { runAnnouncement } from "./runAnnouncement";
import type { RunState } from "./runState";

/** A polite live region, on the page from the start, that says when a run starts and ends. */
export function RunAnnouncer({ state, who }: { state: RunState; who?: string }) {
  const previous = useRef(state);
  const [message, setMessage] = useState("");
  useEffect(() => {
    const said = runAnnouncement(previous.current, state, who);
    previous.current = state;
    if (said) setMessage(said);
  }, [state, who]);
  return <LiveRegion message={message} testId="run-announcer" label="Run status" />;
}
