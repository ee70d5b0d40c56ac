import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { files as filesApi } from "../api/endpoints";
import type { FileItem } from "../api/types";
import { CodeEditor, type EditorHandle } from "../editor/CodeEditor";
import { commentsForFile, type Feedback } from "../feedback/comments";
import { CommentsPanel } from "../feedback/CommentsPanel";
import { whenEditorReady } from "../feedback/whenEditorReady";
import { useFeedback } from "../feedback/useFeedback";
import { colorFor } from "../editor/cursorStyles";
import { DocumentNoticeBar, useDocumentNotice } from "../editor/DocumentNoticeBar";
import { defaultFileName, languageInfo, monacoLanguageFor } from "../editor/languages";
import { ConnectionIndicator } from "../components/ConnectionIndicator";
import { ErrorMessage } from "../components/ErrorMessage";
import { Markdown } from "../components/Markdown";
import { SplitPane } from "../components/SplitPane";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { TopBar } from "../components/TopBar";
import { SkipLinks, usePageTitle } from "../components/a11y";
import { KeyboardHelp } from "../components/KeyboardHelp";
import { RunAnnouncer } from "../terminal/RunAnnouncer";
import { useAction } from "../hooks/useAction";
import { useCountdown } from "../hooks/useCountdown";
import { useSessionEvents } from "../live/sessionEvents";
import type { YjsProvider } from "../live/yjsProvider";
import { useSocketState, worstState } from "../live/useSocketState";
import { RunStatusText } from "../terminal/RunStatusText";
import { TerminalView } from "../terminal/TerminalView";
import { isActive } from "../terminal/runState";
import { useTerminalSession } from "../terminal/useTerminalSession";
import { JoinForm } from "../pages/JoinForm";
import { HelpPanel } from "./HelpPanel";
import { AssistPanel } from "../assist/AssistPanel";
import { ExercisePanel } from "../exercises/ExercisePanel";
import { takeExerciseEvent } from "../exercises/bus";
import { ExplainErrorButton } from "../assist/ExplainErrorButton";
import { RunsLeft } from "./RunsLeft";
import { FileTabs, fileTabId } from "./FileTabs";
import { ArchiveButton } from "../github/ArchiveButton";
import { useWorkspaceData } from "./useWorkspaceData";

export default function Workspace() {
  const { sessionId = "" } = useParams();
  const data = useWorkspaceData(sessionId);
  const title = data.session?.title;
  usePageTitle(data.load.kind === "no-seat" ? "Join this class" : title ? `${title}${data.session?.state === "ended" ? " (ended)" : ""} · workspace` : "Workspace");
  if (data.load.kind === "loading") return <Frame busy><LoadingState label="Opening your workspace…" /></Frame>;
  if (data.load.kind === "no-seat") return <NoSeat />;
  if (data.load.kind === "error") return <Frame><ErrorState error={data.load.error} onRetry={data.reload} /></Frame>;
  return <ReadyWorkspace data={data} />;
}

function Frame({ children, busy }: { children: React.ReactNode; busy?: boolean }) {
  return (
    <div className="app">
      <TopBar minimal />
      <main className="main" aria-busy={busy ? true : undefined}>
        <h1 className="sr-only">Your workspace</h1>
        {children}
      </main>
    </div>
  );
}

function NoSeat() {
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page narrow">
          <div className="card">
            <h1>Join this class</h1>
            <p className="muted">Your seat in this class was not found on this device (it may have expired, or the teacher removed it). Enter the class code to join again.</p>
            <JoinForm />
          </div>
        </div>
      </main>
    </div>
  );
}

function ReadyWorkspace({ data }: { data: ReturnType<typeof useWorkspaceData> }) {
  const { session, participant, credential, files, activeId } = data;
  const [docProvider, setDocProvider] = useState<YjsProvider | null>(null);
  const docSocket = docProvider?.socket ?? null;
  const starting = useRef(false);
  const cursorLine = useRef(1);
  const eventsSocket = useSessionEvents(session?.id ?? null, credential?.getToken ?? (() => Promise.resolve(null)), (event) => {
    data.handleEvent(event);
    takeExerciseEvent(event);
  });
  const { session: terminal, runState } = useTerminalSession(participant?.id ?? null, credential?.getToken ?? null, credential?.auth);
  const connection = worstState([useSocketState(eventsSocket), useSocketState(docSocket), useSocketState(terminal?.socket)]);
  const docNotice = useDocumentNotice();
  const runButton = useRef<HTMLButtonElement>(null);
  const download = useAction(() => filesApi.downloadAll(participant?.id ?? "", participant?.display_name ?? "my", credential?.auth ?? "user"));

  const ended = session?.state === "ended";
  const activeFile: FileItem | undefined = files.find((f) => f.id === activeId);
  // The teacher's comments: beside their lines in the editor, and listed in the side panel.
  const feedback = useFeedback(participant?.id ?? null, credential?.auth);
  const editorHandle = useRef<EditorHandle | null>(null);
  const activeName = activeFile?.name;
  const fileComments = useMemo(() => (activeName ? commentsForFile(feedback.comments, activeName) : []), [feedback.comments, activeName]);
  const setActiveId = data.setActiveId;
  const goToComment = useCallback(
    (comment: Feedback) => {
      const file = files.find((f) => f.name === comment.file_name);
      if (!file) return;
      if (file.id === activeId && editorHandle.current) {
        editorHandle.current.goToLine(comment.line);
        return;
      }
      editorHandle.current = null;
      setActiveId(file.id);
      whenEditorReady(editorHandle, comment.line);
    },
    [files, activeId, setActiveId],
  );
  const running = isActive(runState);
  // A refused run (rate limit) keeps Run disabled until the server's retry_after has passed.
  const waitSeconds = useCountdown(runState.kind === "error" ? runState.retryUntil : null);

  const run = useCallback(async () => {
    if (!terminal || !activeFile || ended || starting.current || isActive(terminal.getState()) || waitSeconds > 0) return;
    starting.current = true;
    try {
      // The server must have the code on screen before it runs it.
      await docProvider?.flush(1500);
      terminal.run(activeFile.name);
    } finally {
      starting.current = false;
    }
  }, [terminal, activeFile, ended, docProvider, waitSeconds]);

  // Ctrl/Cmd+Enter also runs when the focus is in the terminal or the side panel.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
      if ((event.target as HTMLElement | null)?.closest?.(".monaco-editor")) return;
      event.preventDefault();
      void run();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [run]);

  const retryAll = () => {
    eventsSocket?.retryNow();
    docSocket?.retryNow();
    terminal?.socket.retryNow();
  };

  if (!session || !participant || !credential) return null;
  const language = languageInfo(session.language);
  const user = { name: participant.display_name, color: colorFor(participant.id) };

  return (
    <div className="app">
      <TopBar
        minimal
        heading
        skip={<SkipLinks links={[{ href: "#editor", label: "Skip to the editor" }, { href: "#terminal", label: "Skip to the terminal" }, { href: "#help", label: "Skip to help" }]} />}
        title={<>{session.title} <span className="badge">{language.label}</span>{ended ? <> <span className="badge ended" data-testid="session-state">Ended</span></> : null}</>}
      >
        <ConnectionIndicator state={connection} onRetryNow={retryAll} ended={ended} />
        <span className="who" data-testid="student-name">{participant.display_name}</span>
      </TopBar>
      <main className="workspace" data-testid="workspace" data-session-state={session.state}>
        <div className="ws-main">
          <div className="toolbar">
            <button type="button" ref={runButton} className="btn run" onClick={() => void run()} disabled={ended || running || !activeFile || waitSeconds > 0} title="Run (Ctrl/Cmd+Enter)">
              {waitSeconds > 0 ? `▶ Run (${waitSeconds} s)` : "▶ Run"}
            </button>
            <button type="button" className="btn" onClick={() => terminal?.stop()} disabled={!running}>
              ■ Stop
            </button>
            <span className="muted kbd-hint" style={{ fontSize: "0.85rem" }}>
              <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs {activeFile ? <code>{activeFile.name}</code> : null} · <kbd>Esc</kbd> leaves the editor
            </span>
            <span className="grow" />
            {ended ? null : (
              <RunsLeft credential={credential.auth} refreshKey={runState.kind === "exited" ? runState.exit.run_id : runState.kind} />
            )}
            <button type="button" className="btn small" onClick={() => void download.run()} disabled={download.pending}>
              ⬇ Download my files
            </button>
            {credential.auth === "user" ? <ArchiveButton mode="student" targetId={participant.id} title={session.title} /> : null}
          </div>
          {download.error ? <ErrorMessage error={download.error} compact /> : null}
          {connection.status === "failed" ? (
            <div className="readonly-banner" role="alert" data-testid="refused-banner">
              The server refused the connection: {(connection.reason ?? "not allowed").replace(/\.$/, "")}. Your work is kept on the server.{" "}
              <Link to="/join">Join again</Link>
            </div>
          ) : null}
          {ended ? (
            <div className="readonly-banner" role="status" data-testid="ended-banner">
              The teacher ended this session. Your files are read-only; you can still download them.
            </div>
          ) : null}
          {data.notice ? (
            <div className="notice" role="status" style={{ margin: "6px 10px" }}>
              {data.notice}{" "}
              <button type="button" className="link-btn" onClick={data.dismissNotice}>
                Dismiss
              </button>
            </div>
          ) : null}
          <DocumentNoticeBar notice={docNotice.notice} onDismiss={docNotice.dismiss} />
          <FileTabs
            files={files}
            activeId={activeId}
            onSelect={data.setActiveId}
            onCreate={ended ? undefined : data.createFile}
            onRename={ended ? undefined : data.renameFile}
            onDelete={ended ? undefined : data.deleteFile}
            suggestedName={files.length === 0 ? defaultFileName(session.language) : ""}
            panelId="file-panel"
          />
          <SplitPane
            top={
              activeFile ? (
                <div className="file-panel" role="tabpanel" id="file-panel" aria-labelledby={fileTabId(activeFile.id)}>
                <CodeEditor
                  key={activeFile.id}
                  documentId={activeFile.id}
                  language={monacoLanguageFor(activeFile.name, session.language)}
                  getToken={credential.getToken}
                  user={user}
                  readOnly={ended}
                  readOnlyMessage="The session has ended: files are read-only."
                  keepLocalCopy={!ended}
                  onRun={() => void run()}
                  onProvider={setDocProvider}
                  onNotice={docNotice.onNotice}
                  onCursorLine={(line) => (cursorLine.current = line)}
                  onEscape={() => runButton.current?.focus()}
                  id="editor"
                  comments={fileComments}
                  handle={editorHandle}
                />
                </div>
              ) : (
                <EmptyState title="No files yet">Create one with the + button above.</EmptyState>
              )
            }
            bottom={
              <section className="term-box" id="terminal" data-skip-inner aria-labelledby="terminal-heading">
                <div className="term-head">
                  <h2 className="term-title" id="terminal-heading">Terminal</h2>
                  <RunStatusText state={runState} />
                  <ExplainErrorButton failed={runState.kind === "exited" && runState.exit.status !== "ok"} />
                  <RunAnnouncer state={runState} />
                  <span className="grow" />
                  {running ? <span>Type here to answer input · Ctrl+C interrupts · Tab leaves</span> : null}
                </div>
                {terminal ? <TerminalView session={terminal} mode="interactive" placeholder="Press Run to start your program." /> : null}
              </section>
            }
          />
        </div>
        <aside className="ws-side" aria-label="Help and instructions">
          <HelpPanel
            participantId={participant.id}
            credential={credential.auth}
            request={data.help}
            onChange={data.setHelp}
            disabled={ended}
            context={() => (activeFile ? { file_id: activeFile.id, line: cursorLine.current } : {})}
          />
          <CommentsPanel heading="Comments from your teacher" comments={feedback.comments} arrived={feedback.arrived} error={feedback.error} onGoTo={goToComment} />
          <ExercisePanel sessionId={session.id} participantId={participant.id} auth={credential.auth} disabled={ended} flush={async () => docProvider?.flush(1500)} comments={feedback.comments} />
          <AssistPanel participantId={participant.id} getToken={credential.getToken} disabled={ended} where={() => (activeFile ? { file: activeFile.name, line: cursorLine.current } : {})} />
          <section aria-label="Instructions">
            <h2 className="side-title">Instructions</h2>
            {session.instructions.trim() ? <Markdown text={session.instructions} /> : <p className="muted">Your teacher has not written instructions for this session.</p>}
          </section>
          <section>
            <p className="muted" style={{ fontSize: "0.85rem" }}>
              Joined as <strong>{participant.display_name}</strong>. <Link to="/">Leave</Link>
            </p>
            <KeyboardHelp who="student" />
          </section>
        </aside>
      </main>
    </div>
  );
}
