import "./github.css";
import { useEffect, useState } from "react";
import { ArchiveForm } from "./ArchiveForm";
import { GitHubMark } from "./GitHubSignIn";

/** The button that opens the archive form: on the teacher's session page and in the student's workspace. */
export function ArchiveButton({ mode, targetId, title }: { mode: "session" | "student"; targetId: string; title: string }) {
  // Back from connecting GitHub for archiving: the form opens again, once. (The address
  // bar is read directly: the button also sits in screens tested without a router.)
  const [returning] = useState(() => new URLSearchParams(window.location.search).get("github") === "connected");
  const [open, setOpen] = useState(returning);
  useEffect(() => {
    if (!returning) return;
    const url = new URL(window.location.href);
    url.searchParams.delete("github");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }, [returning]);
  return (
    <>
      <button type="button" className="btn small" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        <GitHubMark /> {mode === "session" ? "Archive to GitHub" : "Save to my GitHub"}
      </button>
      {open ? (
        <div className="github-archive-popover">
          <ArchiveForm mode={mode} targetId={targetId} title={title} onClose={() => setOpen(false)} />
        </div>
      ) : null}
    </>
  );
}
