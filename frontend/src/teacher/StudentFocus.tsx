import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { files as filesApi, sessions } from "../api/endpoints";
import { useAuth } from "../auth/AuthContext";
import { userCredential } from "../auth/credential";
import { ConnectionIndicator } from "../components/ConnectionIndicator";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { SplitPane } from "../components/SplitPane";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { TopBar } from "../components/TopBar";
import { SkipLinks, tabListKeys, usePageTitle } from "../components/a11y";
import { KeyboardHelp } from "../components/KeyboardHelp";
import { RunAnnouncer } from "../terminal/RunAnnouncer";
import { CodeEditor, type EditorHandle } from "../editor/CodeEditor";
import { StudentAssistFeed } from "../assist/StudentAssistFeed";
import { takeSessionEvent } from "../assist/feedStore";
import { takeExerciseEvent } from "../exercises/bus";
import { commentsForFile, type Feedback } from "../feedback/comments";
import { CommentForm, type CommentTarget } from "../feedback/CommentForm";
import { CommentsPanel } from "../feedback/CommentsPanel";
import { SubmissionReview, submissionLabel, useSubmissions } from "../feedback/SubmissionReview";
import { useFeedback } from "../feedback/useFeedback";
import { whenEditorReady } from "../feedback/whenEditorReady";
import { colorFor } from "../editor/cursorStyles";
import { DocumentNoticeBar, useDocumentNotice } from "../editor/DocumentNoticeBar";
import { monacoLanguageFor } from "../editor/languages";
import { useAction } from "../hooks/useAction";
import { useNow } from "../hooks/useNow";
import { useResource } from "../hooks/useResource";
import type { YjsProvider } from "../live/yjsProvider";
import { useSocketState, worstState } from "../live/useSocketState";
import { FileTabs, fileTabId } from "../student/FileTabs";
import { RunStatusText } from "../terminal/RunStatusText";
import { TerminalView } from "../terminal/TerminalView";
import { isActive, statusText } from "../terminal/runState";
import { useTerminalSession } from "../terminal/useTerminalSession";
import { tileStatus } from "./classroom";
import { HelpQueue } from "./HelpQueue";
import { PushFileForm } from "./PushFileForm";
import { ReplayPanel } from "./ReplayPanel";
import { StatusBadge } from "./StudentTile";
import { useClassroom } from "./useClassroom";

type Mode = "live" | "replay" | "submissions";
const MODES: readonly Mode[] = ["live", "replay", "submissions"];

/** One student up close: their live editor (editable when allowed, both cursors shown), mirrored terminal, replay. */
export default function StudentFocus() {
  const { sessionId = "", participantId = "" } = useParams();
  const navigate = useNavigate();
  const { user } = useAuth();
  const fileList = useResource((signal) => filesApi.list(participantId, "user", signal), [participantId]);
  const reloadList = fileList.reload;
  const data = useClassroom(sessionId, {
    previews: false,
    // The student deleted a file: their tabs here follow without a reload.
    onEvent: (event) => {
      if (event.type === "file.deleted" && event.participant_id === participantId) reloadList();
      // The student's AI questions and the line comments arrive on the same socket.
      takeSessionEvent(event);
      takeExerciseEvent(event);
    },
  });
  const [activeId, setActiveId] = useState<string | null>(null);
  // The exercise grid opens a student on their submissions (?view=submissions).
  const [search] = useSearchParams();
  const [mode, setMode] = useState<Mode>(search.get("view") === "submissions" ? "submissions" : "live");
  const [docProvider, setDocProvider] = useState<YjsProvider | null>(null);
  const docSocket = docProvider?.socket ?? null;
  const [confirmRemove, setConfirmRemove] = useState(false);
  const docNotice = useDocumentNotice();
  const { session: terminal, runState } = useTerminalSession(participantId, userCredential.getToken, "user");
  const connection = worstState([useSocketState(data.socket), useSocketState(docSocket), useSocketState(terminal?.socket)]);
  const now = useNow(2000);
  const remove = useAction(async () => {
    await sessions.removeParticipant(sessionId, participantId);
    navigate(`/teach/${sessionId}`);
  });

  const files = fileList.data ?? [];
  // Line comments: drawn in the live editor and the submission viewer, listed and written in the side panel.
  const feedback = useFeedback(participantId, "user");
  const subs = useSubmissions(sessionId, participantId, mode === "submissions");
  const [submissionId, setSubmissionId] = useState<string | null>(null);
  const [submissionFile, setSubmissionFile] = useState<string | null>(null);
  const editorHandle = useRef<EditorHandle | null>(null);
  const [target, setTarget] = useState<CommentTarget>({ fileName: "", line: 1, submissionId: null, nonce: 0 });
  const liveName = files.find((f) => f.id === activeId)?.name ?? "";
  const shownSubmission = subs.submissions.find((x) => x.id === submissionId) ?? subs.submissions[0] ?? null;
  const shownSubmissionFile = shownSubmission ? (shownSubmission.files.find((f) => f.name === submissionFile) ?? shownSubmission.files[0])?.name ?? "" : "";
  // What the form comments on follows what is on screen: the live file, or the submission's file.
  const onSubmission = mode === "submissions" && shownSubmission !== null;
  const targetFile = onSubmission ? shownSubmissionFile : liveName;
  const targetSubmission = onSubmission ? shownSubmission.id : null;
  useEffect(() => {
    setTarget((t) => (t.fileName === targetFile && t.submissionId === targetSubmission ? t : { fileName: targetFile, line: 1, submissionId: targetSubmission, nonce: t.nonce }));
  }, [targetFile, targetSubmission]);
  const commentLine = useCallback((line: number) => setTarget((t) => ({ ...t, line, nonce: t.nonce + 1 })), []);
  const cursorLine = useCallback((line: number) => setTarget((t) => (t.line === line ? t : { ...t, line })), []);
  const liveComments = useMemo(() => (liveName ? commentsForFile(feedback.comments, liveName) : []), [feedback.comments, liveName]);
  const submissionTimes = useMemo(() => Object.fromEntries(subs.submissions.map((x) => [x.id, x.created_at])), [subs.submissions]);
  const goToComment = (comment: Feedback) => {
    editorHandle.current = null;
    if (comment.submission_id) {
      setMode("submissions");
      setSubmissionId(comment.submission_id);
      setSubmissionFile(comment.file_name);
    } else {
      const file = files.find((f) => f.name === comment.file_name);
      if (!file) return;
      setMode("live");
      setActiveId(file.id);
    }
    whenEditorReady(editorHandle, comment.line);
  };
  useEffect(() => {
    if (files.length && !files.some((f) => f.id === activeId)) setActiveId(files[0]?.id ?? null);
  }, [files, activeId]);
  // The student made (or was pushed) a file this page has not listed yet: list again.
  const previewDocument = data.classroom.students[participantId]?.preview?.documentId;
  const reloadFiles = fileList.reload;
  const listedFor = useRef(new Set<string>());
  useEffect(() => {
    if (!previewDocument || !fileList.data || fileList.data.some((f) => f.id === previewDocument)) return;
    if (listedFor.current.has(previewDocument)) return; // once per document: a deleted one stays unlisted
    listedFor.current.add(previewDocument);
    reloadFiles();
  }, [previewDocument, fileList.data, reloadFiles]);
  const openStudent = useCallback((pid: string) => navigate(`/teach/${sessionId}/students/${pid}`), [navigate, sessionId]);

  const session = data.session;
  const student = data.classroom.students[participantId];
  const shownName = student?.participant.display_name;
  usePageTitle(session ? `${shownName ?? "Student"} ${mode === "replay" ? "(replay)" : ""} · ${session.title}`.replace("  ", " ") : "Student");
  if (!session) {
    return (
      <div className="app">
        <TopBar />
        {data.loadError ? <ErrorState error={data.loadError} onRetry={data.reload} /> : <LoadingState label="Opening…" />}
      </div>
    );
  }
  const name = student?.participant.display_name ?? "Student";
  const activeFile = files.find((f) => f.id === activeId);
  const canEdit = session.teacher_can_edit && session.state === "live";
  const help = data.classroom.help.filter((h) => h.participant_id === participantId);
  // Mid-run when this page opened, the mirror has no run state yet; the grid's status knows.
  const studentRunning = isActive(runState) || (runState.kind === "idle" && !!student?.running);
  const teacherName = user?.display_name || user?.username || "Teacher";

  return (
    <div className="app">
      <TopBar
        heading
        skip={<SkipLinks links={[{ href: "#editor", label: "Skip to the editor" }, { href: "#terminal", label: "Skip to the terminal" }, { href: "#help-queue-heading", label: "Skip to the help queue" }]} />}
        title={
          <>
            <Link to={`/teach/${sessionId}`}>
              {session.title}
            </Link>{" "}
            › <span data-testid="focus-name">{name}</span> {student ? <StatusBadge status={tileStatus(student, now)} /> : null}
          </>
        }
      >
        <ConnectionIndicator state={connection} onRetryNow={() => [data.socket, docSocket, terminal?.socket].forEach((s) => s?.retryNow())} ended={session.state === "ended"} />
      </TopBar>
      <div className="focus" data-testid="student-focus">
        <div className="focus-main">
          <div className="toolbar">
            <Link to={`/teach/${sessionId}`} className="btn small">
              ← All students
            </Link>
            <div className="segmented" role="tablist" aria-label="Editor mode" onKeyDown={tabListKeys(MODES, mode, setMode)}>
              <button type="button" role="tab" id="mode-tab-live" data-tab-id="live" aria-controls="file-panel" tabIndex={mode === "live" ? 0 : -1} aria-selected={mode === "live"} className={mode === "live" ? "active" : ""} onClick={() => setMode("live")}>
                {session.state === "ended" ? "Code" : "Live"}
              </button>
              <button type="button" role="tab" id="mode-tab-replay" data-tab-id="replay" aria-controls="file-panel" tabIndex={mode === "replay" ? 0 : -1} aria-selected={mode === "replay"} className={mode === "replay" ? "active" : ""} onClick={() => setMode("replay")}>
                Replay
              </button>
              <button type="button" role="tab" id="mode-tab-submissions" data-tab-id="submissions" aria-controls="file-panel" tabIndex={mode === "submissions" ? 0 : -1} aria-selected={mode === "submissions"} className={mode === "submissions" ? "active" : ""} onClick={() => setMode("submissions")}>
                Submissions
              </button>
            </div>
            <span className="muted" style={{ fontSize: "0.85rem" }}>
              {mode === "live" ? (canEdit ? "You are editing live with the student." : session.state === "live" ? "View only (editing is off for this session)." : "Session ended: view only.") : mode === "replay" ? "Drag the slider to replay their typing." : "Their Checks and Submits, as sent: comment on a line."}
            </span>
            <span className="grow" />
            <button type="button" className="btn small" onClick={fileList.reload}>
              Refresh files
            </button>
          </div>
          {fileList.error ? <ErrorMessage error={fileList.error} onRetry={fileList.reload} /> : null}
          <DocumentNoticeBar notice={docNotice.notice} onDismiss={docNotice.dismiss} />
          {mode === "submissions" ? null : <FileTabs files={files} activeId={activeId} onSelect={setActiveId} panelId="file-panel" />}
          <SplitPane
            initial={0.62}
            top={
              mode === "submissions" ? (
                <div className="file-panel" role="tabpanel" id="file-panel" aria-labelledby="mode-tab-submissions">
                  <SubmissionReview
                    submissions={subs.submissions}
                    titles={subs.titles}
                    loading={subs.loading}
                    error={subs.error}
                    onRetry={subs.reload}
                    selectedId={shownSubmission?.id ?? null}
                    onSelect={(id) => {
                      setSubmissionId(id);
                      setSubmissionFile(null);
                    }}
                    fileName={shownSubmissionFile || null}
                    onFile={setSubmissionFile}
                    comments={feedback.comments}
                    sessionLanguage={session.language}
                    studentName={name}
                    onCommentLine={commentLine}
                    onCursorLine={cursorLine}
                    onEscape={() => document.getElementById("mode-tab-submissions")?.focus()}
                    handle={editorHandle}
                  />
                </div>
              ) : fileList.loading && !fileList.data ? (
                <LoadingState label="Loading files…" />
              ) : !activeFile ? (
                <EmptyState title="This student has no files" />
              ) : (
                // One panel for both tab lists: the file's tab names it, the mode's tab controls it.
                <div className="file-panel" role="tabpanel" id="file-panel" aria-labelledby={`${fileTabId(activeFile.id)} mode-tab-${mode}`}>
                {mode === "replay" ? (
                <div style={{ padding: 12, overflow: "auto", background: "var(--panel)" }}>
                  <ReplayPanel key={activeFile.id} documentId={activeFile.id} />
                </div>
              ) : (
                <CodeEditor
                  id="editor"
                  onEscape={() => document.getElementById(`mode-tab-${mode}`)?.focus()}
                  key={activeFile.id}
                  documentId={activeFile.id}
                  language={monacoLanguageFor(activeFile.name, session.language)}
                  getToken={userCredential.getToken}
                  user={{ name: teacherName, color: colorFor(`teacher-${user?.id ?? ""}`) }}
                  readOnly={!canEdit}
                  readOnlyMessage={session.state === "live" ? "Editing students' code is turned off for this session." : "The session has ended."}
                  onProvider={setDocProvider}
                  onNotice={docNotice.onNotice}
                  comments={liveComments}
                  onCommentLine={commentLine}
                  onCursorLine={cursorLine}
                  handle={editorHandle}
                />
              )}
                </div>
              )
            }
            bottom={
              <section className="term-box" id="terminal" data-skip-inner aria-labelledby="terminal-heading">
                <div className="term-head">
                  <h2 className="term-title" id="terminal-heading">{name}'s terminal (mirror)</h2>
                  <RunAnnouncer state={runState} who={name} />
                  {runState.kind === "idle" && student?.running ? (
                    <span className="run-status running" data-testid="run-status">Running (output from now on)</span>
                  ) : runState.kind === "idle" && student?.lastRunStatus ? (
                    <span className="run-status" data-testid="run-status">Last run: {statusText(student.lastRunStatus)}</span>
                  ) : (
                    <RunStatusText state={runState} />
                  )}
                  <span className="grow" />
                  <button type="button" className="btn small" disabled={!studentRunning} onClick={() => terminal?.interrupt()}>
                    Ctrl+C
                  </button>
                  <button type="button" className="btn small" disabled={!studentRunning} onClick={() => terminal?.stop()}>
                    ■ Stop
                  </button>
                </div>
                {terminal ? <TerminalView session={terminal} mode="mirror" placeholder={`Output of ${name}'s next run appears here.`} /> : null}
              </section>
            }
          />
        </div>
        <aside className="dash-side" aria-label="Help and tools">
          <HelpQueue help={help} onUpdated={data.updateHelp} onOpenStudent={openStudent} compact />
          <section aria-labelledby="comment-on-line-heading" data-testid="focus-comments">
            <h2 className="side-title" id="comment-on-line-heading">Comment on a line</h2>
            <CommentForm
              participantId={participantId}
              studentName={name}
              target={target}
              fileNames={onSubmission ? shownSubmission.files.map((f) => f.name) : files.map((f) => f.name)}
              where={onSubmission ? `the submission ${submissionLabel(shownSubmission, subs.titles)}` : "the live file"}
              onAdded={feedback.add}
            />
          </section>
          <CommentsPanel
            heading={`Comments to ${name}`}
            testId="focus-comment-list"
            reader="teacher"
            comments={feedback.comments}
            arrived={feedback.arrived}
            error={feedback.error}
            onGoTo={goToComment}
            submissionTimes={submissionTimes}
          />
          <StudentAssistFeed participantId={participantId} name={name} />
          <PushFileForm sessionId={sessionId} participant={{ id: participantId, display_name: name }} defaultName="hint.txt" disabled={session.state !== "live"} />
          <section>
            <h2 className="side-title">Student</h2>
            <p className="muted" style={{ fontSize: "0.88rem" }}>
              {student ? (student.participant.online ? "Online" : "Offline") : ""} {student?.participant.is_guest ? "· guest" : ""}
            </p>
            <button type="button" className="btn small" onClick={() => setConfirmRemove(true)}>
              Remove from session
            </button>
          </section>
          <KeyboardHelp who="teacher" />
        </aside>
      </div>
      {confirmRemove ? (
        <Dialog title={`Remove ${name}?`} onClose={() => setConfirmRemove(false)}>
          <p>They are disconnected and cannot rejoin with their current link. Their files stay in the export.</p>
          <ErrorMessage error={remove.error} />
          <div className="form-actions">
            <button type="button" className="btn danger" disabled={remove.pending} onClick={() => void remove.run()}>
              Remove
            </button>
            <button type="button" className="btn" onClick={() => setConfirmRemove(false)}>
              Cancel
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
