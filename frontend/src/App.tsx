import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider, isTeacher, useAuth } from "./auth/AuthContext";
import { LoadingState } from "./components/States";
import { TopBar } from "./components/TopBar";
import { LoginPage, RegisterPage } from "./pages/AuthPages";
import { HomePage, JoinPage } from "./pages/HomePage";
import { OperatorDashboard } from "./operatorRoute";
import { RouteFocus, usePageTitle } from "./components/a11y";

// The editor-heavy screens load Monaco and xterm on demand, keeping the landing page light.
const Workspace = lazy(() => import("./student/Workspace"));
const SessionsPage = lazy(() => import("./teacher/SessionsPage"));
const Dashboard = lazy(() => import("./teacher/Dashboard"));
const StudentFocus = lazy(() => import("./teacher/StudentFocus"));
const GitHubAccountPage = lazy(() => import("./github/GitHubAccountPage"));
const ApiKeysPage = lazy(() => import("./teacher/ApiKeysPage"));

function RequireTeacher({ children }: { children: ReactNode }) {
  const { state, user } = useAuth();
  const location = useLocation();
  if (state.status === "loading") return <LoadingState label="Checking your sign-in…" />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  if (!isTeacher(user)) return <NotAllowed />;
  return <>{children}</>;
}

function RequireUser({ children }: { children: ReactNode }) {
  const { state, user } = useAuth();
  const location = useLocation();
  if (state.status === "loading") return <LoadingState label="Checking your sign-in…" />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const { state, user } = useAuth();
  const location = useLocation();
  if (state.status === "loading") return <LoadingState label="Checking your sign-in…" />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  if (user.role !== "admin") return <NotAllowed />;
  return <>{children}</>;
}

function NotAllowed() {
  usePageTitle("Not available");
  return (
    <div className="app">
      <TopBar />
      <div className="page narrow">
        <div className="card">
          <h1>Not available</h1>
          <p className="muted">Your account does not have access to this page.</p>
          <Link to="/" className="btn">Go home</Link>
        </div>
      </div>
    </div>
  );
}

function NotFound() {
  usePageTitle("Page not found");
  return (
    <div className="app">
      <TopBar />
      <div className="page narrow">
        <div className="card">
          <h1>Page not found</h1>
          <p className="muted">There is nothing at this address.</p>
          <Link to="/" className="btn">Go home</Link>
        </div>
      </div>
    </div>
  );
}

export function AppRoutes() {
  return (
    <Suspense fallback={<LoadingState />}>
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route path="/join" element={<JoinPage />} />
        <Route path="/join/:code" element={<JoinPage />} />
        <Route path="/s/:sessionId" element={<Workspace />} />
        <Route path="/account/github" element={<RequireUser><GitHubAccountPage /></RequireUser>} />
        <Route path="/account/keys" element={<RequireTeacher><ApiKeysPage /></RequireTeacher>} />
        <Route path="/teach" element={<RequireTeacher><SessionsPage /></RequireTeacher>} />
        <Route path="/teach/:sessionId" element={<RequireTeacher><Dashboard /></RequireTeacher>} />
        <Route path="/teach/:sessionId/students/:participantId" element={<RequireTeacher><StudentFocus /></RequireTeacher>} />
        {OperatorDashboard ? (
          <Route path="/operator/*" element={<RequireAdmin><OperatorDashboard /></RequireAdmin>} />
        ) : null}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <RouteFocus />
        <AppRoutes />
      </BrowserRouter>
    </AuthProvider>
  );
}
