import "./github.css";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useLocation } from "react-router-dom";
import { usePageTitle } from "../components/a11y";
import { ErrorMessage } from "../components/ErrorMessage";
import { TopBar } from "../components/TopBar";
import { useAction } from "../hooks/useAction";
import { github, signInError, type ArchiveJob, type GitHubAccount } from "./api";
import { GitHubMark } from "./GitHubSignIn";
import { JobProgress } from "./JobProgress";

/** The user's GitHub page: link or unlink the account, the token archives use (masked, revocable), past archives. */
export default function GitHubAccountPage() {
  usePageTitle("GitHub");
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const outcome = params.get("github");
  const failure = signInError(params.get("github_error"));
  const [account, setAccount] = useState<GitHubAccount | null>(null);
  const [jobs, setJobs] = useState<ArchiveJob[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [token, setToken] = useState("");

  const load = useCallback(() => {
    github.account().then(setAccount).catch(setLoadError);
    github.jobs().then(setJobs).catch(() => undefined);
  }, []);
  useEffect(load, [load]);

  const connect = useAction(async (purpose: "link" | "archive") => {
    const answer = await github.connect(purpose, "/account/github");
    window.location.assign(answer.url);
  });
  const unlink = useAction(async () => setAccount(await github.unlink()));
  const revoke = useAction(async () => setAccount(await github.revokeToken()));
  const paste = useAction(async () => {
    setAccount(await github.saveToken(token.trim()));
    setToken("");
  });
  const onPaste = (event: FormEvent) => {
    event.preventDefault();
    void paste.run();
  };

  return (
    <div className="app">
      <TopBar />
      <main className="main" id="main">
        <div className="page narrow">
          <h1>GitHub</h1>
          {outcome === "linked" ? <p role="status" className="notice">✓ GitHub is linked: you can sign in with it.</p> : null}
          {outcome === "connected" ? <p role="status" className="notice">✓ GitHub is connected for archiving.</p> : null}
          {failure ? (
            <div className="error-message" role="alert">
              <span className="error-text">{failure}</span>
            </div>
          ) : null}
          <ErrorMessage error={loadError} />
          {account ? (
            <>
              <section className="card" aria-labelledby="github-signin-heading">
                <h2 id="github-signin-heading">Sign-in</h2>
                {account.linked ? (
                  <>
                    <p>
                      Linked to <strong>{account.login}</strong>: “Sign in with GitHub” signs you in to this account.
                    </p>
                    {account.can_unlink ? (
                      <button type="button" className="btn" onClick={() => void unlink.run()} disabled={unlink.pending}>
                        Unlink GitHub
                      </button>
                    ) : (
                      <p className="muted">GitHub is this account's only way in, so it cannot be unlinked.</p>
                    )}
                  </>
                ) : account.enabled ? (
                  <button type="button" className="btn" onClick={() => void connect.run("link")} disabled={connect.pending}>
                    <GitHubMark /> Link GitHub
                  </button>
                ) : (
                  <p className="muted">GitHub is not set up on this server.</p>
                )}
                <ErrorMessage error={unlink.error ?? connect.error} />
              </section>
              <section className="card" aria-labelledby="github-token-heading">
                <h2 id="github-token-heading">Archiving</h2>
                {account.token ? (
                  <>
                    <p>
                      Archives use {account.token.kind === "oauth" ? "the access GitHub gave Observer" : "a pasted token"} of{" "}
                      <strong>{account.token.login || "GitHub"}</strong>: <code>{account.token.masked}</code>
                    </p>
                    <button type="button" className="btn danger" onClick={() => void revoke.run()} disabled={revoke.pending}>
                      Forget this token
                    </button>
                    <ErrorMessage error={revoke.error} />
                  </>
                ) : (
                  <>
                    <p>Archiving to GitHub needs access to your repositories, asked for only now.</p>
                    {account.enabled ? (
                      <button type="button" className="btn primary" onClick={() => void connect.run("archive")} disabled={connect.pending}>
                        <GitHubMark /> Connect GitHub for archiving
                      </button>
                    ) : null}
                  </>
                )}
                <form onSubmit={onPaste} aria-label="Paste a GitHub token" className="github-paste">
                  <div className="field">
                    <label htmlFor="github-token">Or paste a fine-grained token</label>
                    <input id="github-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required />
                    <span className="hint">Repository permissions: Contents and Administration, read and write. It is stored encrypted and never shown again.</span>
                  </div>
                  <ErrorMessage error={paste.error} />
                  <button type="submit" className="btn" disabled={paste.pending || !token.trim()}>
                    {paste.pending ? "Checking…" : "Save token"}
                  </button>
                </form>
              </section>
              {jobs.length ? (
                <section className="card" aria-labelledby="github-jobs-heading">
                  <h2 id="github-jobs-heading">Archives</h2>
                  <ul className="github-jobs">
                    {jobs.map((job) => (
                      <li key={job.id}>
                        <strong>{job.session_title}</strong> → {job.repository}
                        <JobProgress job={job} />
                      </li>
                    ))}
                  </ul>
                </section>
              ) : null}
            </>
          ) : null}
        </div>
      </main>
    </div>
  );
}
