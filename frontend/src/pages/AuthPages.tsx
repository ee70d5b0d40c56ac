import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation } from "react-router-dom";
import { auth } from "../api/endpoints";
import { ApiError } from "../api/errors";
import type { User } from "../api/types";
import { isTeacher, useAuth } from "../auth/AuthContext";
import { ErrorMessage } from "../components/ErrorMessage";
import { TopBar } from "../components/TopBar";
import { useAction } from "../hooks/useAction";
import { usePageTitle } from "../components/a11y";
import { GitHubSignIn } from "../github/GitHubSignIn";

/**
 * Where a signed-in user goes from these pages: `?next=` (a path on this site), else
 * their start page. One place decides, so a fresh sign-in and an already signed-in
 * visit cannot send the user to two different pages.
 */
function useDestination(): (user: User) => string {
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next");
  return (user) => (next && next.startsWith("/") && !next.startsWith("//") ? next : isTeacher(user) ? "/teach" : "/");
}

export function LoginPage() {
  usePageTitle("Sign in");
  const { user, signIn } = useAuth();
  const destination = useDestination();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useAction(async () => {
    const answer = await auth.login({ username: username.trim(), password });
    signIn(answer); // signed in: the next render navigates
  });
  if (user) return <Navigate to={destination(user)} replace />;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void login.run();
  };
  const blocked = login.blockedUntil !== null;
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page narrow">
          <div className="card">
            <h1>Sign in</h1>
            <form onSubmit={onSubmit} aria-label="Sign in">
              <div className="field">
                <label htmlFor="login-username">Username</label>
                <input id="login-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required autoFocus />
              </div>
              <div className="field">
                <label htmlFor="login-password">Password</label>
                <input id="login-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
              </div>
              <ErrorMessage error={login.error} blockedUntil={login.blockedUntil} onCountdownDone={login.reset} />
              <div className="form-actions">
                <button type="submit" className="btn primary" disabled={login.pending || blocked}>
                  {login.pending ? "Signing in…" : "Sign in"}
                </button>
                <Link to="/register">Create an account</Link>
              </div>
            </form>
            <GitHubSignIn />
          </div>
          <p className="muted" style={{ textAlign: "center" }}>
            Joining a class? <Link to="/join">Enter the class code</Link> — no account needed.
          </p>
        </div>
      </main>
    </div>
  );
}

export function RegisterPage() {
  usePageTitle("Create an account");
  const { user, signIn } = useAuth();
  const destination = useDestination();
  const [form, setForm] = useState({ username: "", password: "", email: "", display_name: "", teacher: false, invite_code: "" });
  const register = useAction(async () => {
    const answer = await auth.register({
      username: form.username.trim(),
      password: form.password,
      email: form.email.trim(),
      display_name: form.display_name.trim(),
      role: form.teacher ? "teacher" : "student",
      invite_code: form.teacher ? form.invite_code.trim() : "",
    });
    signIn(answer); // signed in: the next render navigates
  });
  if (user) return <Navigate to={destination(user)} replace />;
  const fieldErrors = register.error instanceof ApiError && register.error.code === "invalid" ? register.error.fieldErrors() : {};
  // A field's error shows under it; any other (role, a field not on screen) in the general message.
  const shownFields = ["username", "password", "email", "display_name", ...(form.teacher ? ["invite_code"] : [])];
  const unshown = Object.keys(fieldErrors).filter((key) => !shownFields.includes(key));
  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void register.run();
  };
  const field = (key: "username" | "password" | "email" | "display_name", label: string, type = "text", hint?: string) => (
    <div className="field">
      <label htmlFor={`reg-${key}`}>{label}</label>
      <input id={`reg-${key}`} type={type} value={form[key]} onChange={set(key)} required={key === "username" || key === "password"} />
      {fieldErrors[key] ? <span className="field-error">{fieldErrors[key]}</span> : hint ? <span className="hint">{hint}</span> : null}
    </div>
  );
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page narrow">
          <div className="card">
            <h1>Create an account</h1>
            <form onSubmit={onSubmit} aria-label="Create an account">
              {field("username", "Username", "text", "Letters, digits and . @ + - _")}
              {field("display_name", "Display name")}
              {field("email", "Email (optional)", "email")}
              {field("password", "Password", "password", "At least 8 characters, not a common one.")}
              <label className="checkbox">
                <input type="checkbox" checked={form.teacher} onChange={set("teacher")} /> I am a teacher
              </label>
              {form.teacher ? (
                <div className="field">
                  <label htmlFor="reg-invite">Teacher invite code</label>
                  <input id="reg-invite" value={form.invite_code} onChange={set("invite_code")} required />
                  {fieldErrors["invite_code"] ? (
                    <span className="field-error">{fieldErrors["invite_code"]}</span>
                  ) : (
                    <span className="hint">Your school's Observer operator gives you this code.</span>
                  )}
                </div>
              ) : null}
              {Object.keys(fieldErrors).length === 0 || unshown.length > 0 ? (
                <ErrorMessage error={register.error} blockedUntil={register.blockedUntil} onCountdownDone={register.reset} />
              ) : null}
              <div className="form-actions">
                <button type="submit" className="btn primary" disabled={register.pending || register.blockedUntil !== null}>
                  {register.pending ? "Creating…" : "Create account"}
                </button>
                <Link to="/login">I have an account</Link>
              </div>
            </form>
          </div>
        </div>
      </main>
    </div>
  );
}
