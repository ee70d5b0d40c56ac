import "./github.css";
import { useEffect, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { ArchiveForm } from "./ArchiveForm";
import { GitHubMark } from "./GitHubSignIn";

/** The button that opens the archive form: on the teacher's session page and in the student's workspace. */
export function ArchiveButton({ mode, targetId, title }: { mode: "session" | "student"; targetId: string; title: string }) {
  const location = useLocation();
  const navigate = useNavigate();
  const params = new URLSearchParams(location.search);
  // Back from connecting GitHub for archiving: the form opens again, once.
  const returning = params.get("github") === "connected";
  const [open, setOpen] = useState(returning);
  useEffect(() => {
    if (!returning) return;
    params.delete("github");
    const search = params.toString();
    navigate({ pathname: location.pathname, search: search ? `?${search}` : "" }, { replace: true });
  }, [returning]); // once, on the way back
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
