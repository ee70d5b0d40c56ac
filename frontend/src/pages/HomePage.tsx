import { Link, Navigate, useParams } from "react-router-dom";
import { isTeacher, useAuth } from "../auth/AuthContext";
import { TopBar } from "../components/TopBar";
import { LoadingState } from "../components/States";
import { tokenStore } from "../api/tokens";
import { JoinForm } from "./JoinForm";
import { usePageTitle } from "../components/a11y";

export function HomePage() {
  usePageTitle(null);
  const { state, user } = useAuth();
  if (state.status === "loading") return <LoadingState />;
  if (isTeacher(user)) return <Navigate to="/teach" replace />;
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page">
          <div className="hero">
            <div className="card">
              <h1>Join a class</h1>
              <p className="muted">Enter the code your teacher shows on the screen.</p>
              <JoinForm />
              <RecentClasses />
            </div>
            <div className="card">
              <h2>Teaching?</h2>
              <p className="muted">
                Open a live coding session, share its code, and watch every student's editor and terminal as they
                work. Answer raised hands, step into an editor, push files to the whole class.
              </p>
              {user ? (
                <p className="muted">You are signed in as a student. Ask an administrator for a teacher account.</p>
              ) : (
                <div className="form-actions">
                  <Link to="/login" className="btn primary">Sign in</Link>
                  <Link to="/register" className="btn">Create an account</Link>
                </div>
              )}
            </div>
          </div>
        </div>
      </main>
    </div>
  );
}

/** Classes this browser joined as a guest: one click back into the workspace. */
function RecentClasses() {
  const recent = tokenStore.listGuests().slice(0, 3);
  if (recent.length === 0) return null;
  return (
    <div style={{ marginTop: 18 }} data-testid="recent-classes">
      <div className="muted" style={{ fontSize: "0.85rem", marginBottom: 4 }}>Continue where you were:</div>
      <ul className="session-list">
        {recent.map((g) => (
          <li key={g.sessionId} className="session-item" style={{ padding: "6px 0" }}>
            <Link to={`/s/${g.sessionId}`} className="grow">
              {g.sessionTitle ?? "Your class"}
            </Link>
            <span className="muted" style={{ fontSize: "0.85rem" }}>as {g.displayName}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function JoinPage() {
  usePageTitle("Join a class");
  const { code = "" } = useParams();
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page narrow">
          <div className="card">
            <h1>Join a class</h1>
            <JoinForm initialCode={code} />
          </div>
        </div>
      </main>
    </div>
  );
}
