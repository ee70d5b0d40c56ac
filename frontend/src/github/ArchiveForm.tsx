import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import { github, REPO_NAME, repoNameFor, type ArchiveJob, type GitHubAccount } from "./api";
import { JobProgress, useJob } from "./JobProgress";

interface Props {
  /** The teacher's session archive (owner may be an organisation) or a student's own save. */
  mode: "session" | "student";
  /** The session id (teacher) or the participant id (student). */
  targetId: string;
  title: string;
  onClose: () => void;
}

/**
 * The "Archive to GitHub" / "Save to my GitHub" form: connect GitHub first if there is
 * no token (asking GitHub for repository access only now), then a repository name,
 * owner and visibility, then the job's progress.
 */
export function ArchiveForm({ mode, targetId, title, onClose }: Props) {
  const [account, setAccount] = useState<GitHubAccount | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [owner, setOwner] = useState("");
  const [repo, setRepo] = useState(() => (mode === "student" ? `observer-${repoNameFor(title)}` : repoNameFor(title)));
  const [isPrivate, setPrivate] = useState(true);
  const [started, setStarted] = useState<ArchiveJob | null>(null);
  const job = useJob(started);

  useEffect(() => {
    const controller = new AbortController();
    github
      .account(controller.signal)
      .then(setAccount)
      .catch((error: unknown) => setLoadError(error));
    if (mode === "session") {
      github
        .sessionArchives(targetId, controller.signal)
        .then((jobs) => {
          const last = jobs[0];
          if (last) {
            setRepo(last.repo);
            setOwner(last.owner);
            setPrivate(last.private);
            if (last.state === "queued" || last.state === "running") setStarted(last);
          }
        })
        .catch(() => undefined);
    }
    return () => controller.abort();
  }, [mode, targetId]);

  const connect = useAction(async () => {
    const answer = await github.connect("archive", window.location.pathname + window.location.search);
    window.location.assign(answer.url);
  });
  const submit = useAction(async () => {
    const started =
      mode === "session"
        ? await github.archiveSession(targetId, { owner: owner.trim(), repo: repo.trim(), private: isPrivate })
        : await github.saveMine(targetId, { repo: repo.trim(), private: isPrivate });
    setStarted(started);
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  const running = job ? job.state === "queued" || job.state === "running" : false;
  const nameOk = REPO_NAME.test(repo.trim());
  const heading = mode === "session" ? "Archive to GitHub" : "Save to my GitHub";

  return (
    <section className="github-archive card" aria-label={heading}>
      <div className="github-archive-head">
        <h2>{heading}</h2>
        <button type="button" className="btn small" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorMessage error={loadError} />
      {account && !account.enabled ? (
        <p className="muted">GitHub is not set up on this server: ask your Observer operator.</p>
      ) : null}
      {account && account.enabled && !account.token ? (
        <div className="github-connect">
          <p>
            {mode === "session"
              ? "Observer commits the class (one folder per student, the starter files and a summary) to a repository of yours."
              : "Observer commits your files to a repository of yours."}{" "}
            It needs access to your repositories first.
          </p>
          <button type="button" className="btn primary" onClick={() => void connect.run()} disabled={connect.pending}>
            Connect GitHub
          </button>{" "}
          <Link to="/account/github">Paste a token instead</Link>
          <ErrorMessage error={connect.error} />
        </div>
      ) : null}
      {account?.enabled && account.token ? (
        <form onSubmit={onSubmit} aria-label={heading}>
          <p className="muted">
            As <strong>{account.token.login || "your GitHub account"}</strong> ({account.token.masked}).{" "}
            <Link to="/account/github">Change</Link>
          </p>
          {mode === "session" ? (
            <div className="field">
              <label htmlFor="github-owner">Organisation (leave empty for your own account)</label>
              <input id="github-owner" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder={account.token.login} />
            </div>
          ) : null}
          <div className="field">
            <label htmlFor="github-repo">Repository name</label>
            <input id="github-repo" value={repo} onChange={(e) => setRepo(e.target.value)} required aria-invalid={!nameOk} />
            {!nameOk ? <span className="field-error">Letters, digits, '.', '-' and '_' only (up to 100).</span> : (
              <span className="hint">Created if it does not exist; archiving again adds a commit with what changed.</span>
            )}
          </div>
          <label className="checkbox">
            <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> Private repository
          </label>
          <ErrorMessage error={submit.error} />
          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={submit.pending || running || !nameOk}>
              {running ? "Archiving…" : mode === "session" ? "Archive now" : "Save now"}
            </button>
          </div>
        </form>
      ) : null}
      {job ? <JobProgress job={job} /> : null}
    </section>
  );
}
