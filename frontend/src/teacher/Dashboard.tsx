import { useCallback, useEffect, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { sessions } from "../api/endpoints";
import { ConnectionIndicator } from "../components/ConnectionIndicator";
import { Markdown } from "../components/Markdown";
import { ErrorState, LoadingState } from "../components/States";
import { TopBar } from "../components/TopBar";
import { LiveRegion, focusIsLost, tabListKeys, usePageTitle } from "../components/a11y";
import { useClassroomAnnouncements } from "./announcements";
import { formatDateTime } from "../components/time";
import { defaultFileName, languageInfo } from "../editor/languages";
import { useSocketState } from "../live/useSocketState";
import { AnalyticsPanel } from "./AnalyticsPanel";
import { AssistFeed } from "../assist/AssistFeed";
import { takeSessionEvent } from "../assist/feedStore";
import { TeacherExercises } from "../exercises/TeacherExercises";
import { takeExerciseEvent } from "../exercises/bus";
import type { SessionEvent } from "../live/sessionEvents";
import { HelpQueue } from "./HelpQueue";
import { JoinBanner } from "./JoinBanner";
import { PushFileForm } from "./PushFileForm";
import { SessionControls } from "./SessionControls";
import { SessionForm } from "./SessionForm";
import { StateBadge } from "./SessionsPage";
import { StudentGrid } from "./StudentGrid";
import { useClassroom } from "./useClassroom";

type View = "students" | "analytics" | "exercises" | "settings";
const VIEWS: readonly View[] = ["students", "analytics", "exercises", "settings"];
const VIEW_LABEL: Record<View, string> = { students: "Students", exercises: "Exercises", analytics: "Analytics", settings: "Session" };

function onSessionEvent(event: SessionEvent): void {
  takeSessionEvent(event);
  takeExerciseEvent(event);
}

/** The teacher's live dashboard: join code, student grid, help queue, push, analytics. */
export default function Dashboard() {
  const { sessionId = "" } = useParams();
  const navigate = useNavigate();
  const data = useClassroom(sessionId, { onEvent: onSessionEvent });
  const socketState = useSocketState(data.socket);
  const [view, setView] = useState<View>("students");
  const openStudent = useCallback((pid: string, focusView?: "submissions") => navigate(`/teach/${sessionId}/students/${pid}${focusView ? `?view=${focusView}` : ""}`), [navigate, sessionId]);
  const { session } = data;
  const spoken = useClassroomAnnouncements(data.classroom, !!session && !data.loading);
  usePageTitle(session ? `${session.title}${session.state === "ended" ? " (ended)" : ""} · ${VIEW_LABEL[view].toLowerCase()}` : "Dashboard");
  // Ending the session removes the button that had the focus: the notice that says so gets it.
  const endedNotice = useRef<HTMLDivElement>(null);
  const state = session?.state;
  const earlierState = useRef(state);
  useEffect(() => {
    if (earlierState.current === "live" && state === "ended") {
      window.setTimeout(() => {
        if (focusIsLost()) endedNotice.current?.focus();
      }, 0);
    }
    earlierState.current = state;
  }, [state]);

  if (!session) {
    return (
      <div className="app">
        <TopBar />
        {data.loadError ? <ErrorState error={data.loadError} onRetry={data.reload} /> : <LoadingState label="Opening the session…" />}
      </div>
    );
  }
  const students = Object.values(data.classroom.students);
  return (
    <div className="app">
      <TopBar heading title={<>{session.title} <StateBadge state={session.state} /></>}>
        {session.state !== "draft" ? <ConnectionIndicator state={socketState} onRetryNow={data.socket?.retryNow} ended={session.state === "ended"} /> : null}
      </TopBar>
      <div className="dash" data-testid="dashboard" data-session-state={session.state}>
        <main className="dash-main">
          <div className="row wrap" style={{ marginBottom: 12 }}>
            <div className="segmented grow-0" role="tablist" aria-label="Dashboard view" onKeyDown={tabListKeys(VIEWS, view, setView)}>
              {VIEWS.map((v) => (
                <button
                  key={v}
                  type="button"
                  role="tab"
                  id={`view-tab-${v}`}
                  data-tab-id={v}
                  aria-selected={view === v}
                  aria-controls="view-panel"
                  tabIndex={view === v ? 0 : -1}
                  className={view === v ? "active" : ""}
                  onClick={() => setView(v)}
                >
                  {VIEW_LABEL[v]}
                </button>
              ))}
            </div>
            <span className="grow" />
            <SessionControls session={session} onChange={data.setSession} />
          </div>
          {data.loadError ? <ErrorState error={data.loadError} onRetry={data.reload} /> : null}
          {session.state === "live" ? <JoinBanner session={session} /> : null}
          {session.state === "ended" ? (
            <div className="notice warn" role="status" data-testid="ended-notice" tabIndex={-1} ref={endedNotice}>
              Ended {formatDateTime(session.ended_at)}. Students' files are read-only. Export the zip or reopen the session.
            </div>
          ) : null}
          {session.state === "draft" ? <DraftIntro title={session.title} instructions={session.instructions} language={session.language} /> : null}
          <div role="tabpanel" id="view-panel" aria-labelledby={`view-tab-${view}`}>
          {view === "students" && session.state !== "draft" ? (
            data.loading && students.length === 0 ? <LoadingState label="Loading students…" /> : <StudentGrid students={students} onOpen={openStudent} joinHint={session.state === "live" ? `Share the code ${session.join_code ?? ""}: students appear here as they join.` : undefined} />
          ) : null}
          {view === "exercises" ? <TeacherExercises sessionId={session.id} language={session.language} onOpenStudent={openStudent} /> : null}
          {view === "analytics" && session.state !== "draft" ? <AnalyticsPanel sessionId={session.id} onOpenStudent={openStudent} /> : null}
          {view === "analytics" && session.state === "draft" ? <p className="muted">Analytics appear once the session has started.</p> : null}
          {view === "settings" ? (
            <div className="card">
              <h2>Session settings</h2>
              <SessionForm
                key={session.id + session.state}
                initial={session}
                submitLabel="Save changes"
                onSubmit={async (input) => data.setSession(await sessions.update(session.id, input))}
              />
            </div>
          ) : null}
          </div>
          <LiveRegion message={spoken} testId="class-announcer" label="Class updates" />
        </main>
        <aside className="dash-side" aria-label="Help queue and tools">
          <HelpQueue help={data.classroom.help} onUpdated={data.updateHelp} onOpenStudent={openStudent} />
          {session.state !== "draft" ? (
            <AssistFeed sessionId={session.id} sessionTitle={session.title} students={students.map((s) => ({ id: s.participant.id, name: s.participant.display_name }))} />
          ) : null}
          <PushFileForm sessionId={session.id} defaultName={defaultFileName(session.language).replace("main", "hint")} disabled={session.state !== "live"} />
          <section>
            <h2 className="side-title">Session</h2>
            <p className="muted" style={{ fontSize: "0.88rem", margin: 0 }}>
              {languageInfo(session.language).label} · up to {session.max_participants} students ·{" "}
              {session.teacher_can_edit ? "you can edit students' code" : "view-only for you"}
            </p>
          </section>
        </aside>
      </div>
    </div>
  );
}

function DraftIntro({ title, instructions, language }: { title: string; instructions: string; language: string }) {
  return (
    <div className="card" data-testid="draft-intro">
      <h2>“{title}” is ready to start</h2>
      <p className="muted">
        {languageInfo(language).label}. When you press <strong>Start session</strong>, a join code appears here: project it, and students join at this
        server's <code>/join</code> page with no account.
      </p>
      {instructions.trim() ? (
        <>
          <h3>Instructions students will see</h3>
          <Markdown text={instructions} />
        </>
      ) : null}
    </div>
  );
}
