import { useEffect, useState } from "react";
import type { ClassSession } from "../api/types";
import { Icon } from "../components/Icon";

function joinUrl(): string {
  return `${window.location.host}/join`;
}

/** The join code, big enough to read from the back of the room, and a full-screen projector view. */
export function JoinBanner({ session }: { session: ClassSession }) {
  const [projecting, setProjecting] = useState(false);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!projecting) return undefined;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setProjecting(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [projecting]);
  if (!session.join_code) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(`${window.location.origin}/join/${session.join_code}`);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <>
      <div className="join-banner" data-testid="join-banner">
        <div>
          <div className="how">Join at</div>
          <div className="url">{joinUrl()}</div>
        </div>
        <div>
          <div className="how">with the code</div>
          <div className="join-code" data-testid="join-code" aria-label={`Join code ${session.join_code.split("").join(" ")}`}>
            {session.join_code}
          </div>
        </div>
        <span className="grow" />
        <button type="button" className="btn" onClick={() => setProjecting(true)}>
          <Icon name="expand" /> Project
        </button>
        <button type="button" className="btn" onClick={() => void copy()}>
          {copied ? "Link copied" : "Copy link"}
        </button>
      </div>
      {projecting ? (
        <div className="projector" role="dialog" aria-label="Join code" onClick={() => setProjecting(false)}>
          <div style={{ fontSize: "2rem", opacity: 0.8 }}>{session.title}</div>
          <div className="url">{joinUrl()}</div>
          <div className="join-code">{session.join_code}</div>
          <div style={{ opacity: 0.6 }}>Click or press Esc to close</div>
        </div>
      ) : null}
    </>
  );
}
