import "./github.css";
import { useEffect, useRef, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";
import { ErrorMessage } from "../components/ErrorMessage";
import { github, signInError } from "./api";

/**
 * "Sign in with GitHub" on the sign-in page (only when the server has an OAuth app),
 * the end of the round trip (a one-time code in the URL fragment, traded for the JWT
 * pair and wiped from the address bar and history), and the reason a round trip
 * failed (?github_error=…).
 */
export function GitHubSignIn() {
  const location = useLocation();
  const navigate = useNavigate();
  const { signIn } = useAuth();
  const [enabled, setEnabled] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const traded = useRef(false);
  const params = new URLSearchParams(location.search);
  const reason = signInError(params.get("github_error"));
  const next = params.get("next");

  useEffect(() => {
    const controller = new AbortController();
    github
      .config(controller.signal)
      .then((config) => setEnabled(config.enabled))
      .catch(() => setEnabled(false));
    return () => controller.abort();
  }, []);

  useEffect(() => {
    const code = new URLSearchParams(location.hash.replace(/^#/, "")).get("github_code");
    if (!code || traded.current) return;
    traded.current = true;
    // The code leaves the address bar (and history) before anything else happens.
    navigate({ pathname: location.pathname, search: location.search, hash: "" }, { replace: true });
    setPending(true);
    github
      .exchange(code)
      .then((answer) => signIn(answer))
      .catch((problem: unknown) => setError(problem))
      .finally(() => setPending(false));
  }, [location.hash, location.pathname, location.search, navigate, signIn]);

  const start = () => {
    const url = new URL("/api/auth/github/start", window.location.origin);
    if (next && next.startsWith("/") && !next.startsWith("//")) url.searchParams.set("next", next);
    window.location.assign(url.pathname + url.search);
  };

  return (
    <div className="github-signin">
      {reason ? (
        <div className="error-message" role="alert">
          <span className="error-text">{reason}</span>
        </div>
      ) : null}
      <ErrorMessage error={error} />
      {pending ? <p role="status">Signing you in with GitHub…</p> : null}
      {enabled ? (
        <>
          <div className="or-divider" aria-hidden="true">
            or
          </div>
          <button type="button" className="btn github-button" onClick={start} disabled={pending}>
            <GitHubMark /> Sign in with GitHub
          </button>
        </>
      ) : null}
    </div>
  );
}

export function GitHubMark() {
  return (
    <svg aria-hidden="true" width="16" height="16" viewBox="0 0 16 16" className="github-mark" focusable="false">
      <path
        fill="currentColor"
        d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"
      />
    </svg>
  );
}
