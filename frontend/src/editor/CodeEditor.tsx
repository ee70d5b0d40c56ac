import { useEffect, useMemo, useRef, useState, type MutableRefObject } from "react";
import Editor, { type OnMount } from "@monaco-editor/react";
import { MonacoBinding } from "y-monaco";
import { monaco } from "./monaco";
import { setTabMovesFocus, useTabMovesFocus } from "./tabFocus";
import { bindCursorStyles, type PresenceUser } from "./cursorStyles";
import { YjsProvider, type DocumentNotice } from "../live/yjsProvider";
import { wsUrl } from "../live/socket";
import { Spinner } from "../components/States";
import { monacoTheme } from "../theme/theme";
import type { Feedback } from "../feedback/comments";
import { goToLine, showLineComments } from "../feedback/editorComments";
import { useTheme } from "../theme/useTheme";

type MonacoEditor = Parameters<OnMount>[0];

/** What a page may do to the editor it shows (the comments panel's "go to line"). */
export interface EditorHandle {
  goToLine: (line: number) => void;
}

interface Props {
  documentId: string;
  language: string;
  getToken: () => Promise<string | null>;
  user: PresenceUser;
  /** Read-only for reasons the page knows (session ended, teacher may not edit). */
  readOnly?: boolean;
  readOnlyMessage?: string;
  onRun?: () => void;
  /** The document's live provider while mounted (connection status, flush before a run). */
  onProvider?: (provider: YjsProvider | null) => void;
  onNotice?: (notice: DocumentNotice) => void;
  /** Reports the live text (for "raise hand" line numbers and the like). */
  onCursorLine?: (line: number) => void;
  /** Escape (with no widget, selection or snippet open) leaves the editor: where to. */
  onEscape?: () => void;
  /** The box's id (a skip link's target). */
  id?: string;
  /** The teacher's comments on this file, drawn beside their lines. */
  comments?: Feedback[];
  /** Offers "Comment on this line" (context menu, Ctrl+Alt+Enter) to the teacher. */
  onCommentLine?: (line: number) => void;
  handle?: MutableRefObject<EditorHandle | null>;
  /** Keep the document in this browser too (IndexedDB), for the student's own files:
   * what the server had not stored yet when it or the laptop died comes back. */
  keepLocalCopy?: boolean;
}

// Nothing of Monaco's own uses Escape in these states (README, "Accessibility").
const ESCAPE_LEAVES = "!suggestWidgetVisible && !findWidgetVisible && !parameterHintsVisible && !renameInputVisible && !inSnippetMode && !editorHasMultipleSelections && !editorHasSelection && !markersNavigationVisible";

/** Monaco bound to one live document (Yjs over /ws/documents/<id>/), with remote cursors. */
export function CodeEditor(props: Props) {
  const { documentId, language, getToken, user, readOnly = false, readOnlyMessage } = props;
  const [editor, setEditor] = useState<MonacoEditor | null>(null);
  const [synced, setSynced] = useState(false);
  const [serverReadOnly, setServerReadOnly] = useState(false);
  // Monaco's tab-focus mode (Ctrl+M, or the button): Tab moves focus instead of indenting.
  const tabMoves = useTabMovesFocus();
  const { theme } = useTheme();
  const callbacks = useRef(props);
  callbacks.current = props;

  useEffect(() => {
    const model = editor?.getModel();
    if (!editor || !model) return undefined;
    const provider = new YjsProvider({
      url: wsUrl(`/ws/documents/${documentId}/`),
      getToken,
      localCopyOf: callbacks.current.keepLocalCopy ? documentId : undefined,
    });
    provider.awareness.setLocalStateField("user", user);
    const binding = new MonacoBinding(provider.doc.getText("content"), model as never, new Set([editor as never]), provider.awareness);
    const unbindStyles = bindCursorStyles(provider.awareness);
    const offSynced = provider.onSynced((value) => {
      if (value) setSynced(true);
    });
    const offNotice = provider.onNotice((notice) => {
      if (notice.type === "readonly") setServerReadOnly(notice.readonly);
      callbacks.current.onNotice?.(notice);
    });
    callbacks.current.onProvider?.(provider);
    provider.connect();
    return () => {
      callbacks.current.onProvider?.(null);
      offSynced();
      offNotice();
      unbindStyles();
      binding.destroy();
      provider.destroy();
    };
    // The user's name/colour is set once per document; getToken is stable per page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editor, documentId]);

  const comments = props.comments;
  useEffect(() => {
    if (!editor || !comments?.length) return undefined;
    return showLineComments(editor, comments);
  }, [editor, comments, synced]);

  useEffect(() => {
    const handle = props.handle;
    if (!handle || !editor) return undefined;
    handle.current = { goToLine: (line) => goToLine(editor, line) };
    return () => {
      handle.current = null;
    };
  }, [editor, props.handle]);

  const hasComments = !!comments?.length;
  const locked = readOnly || serverReadOnly;
  // One options object per state: @monaco-editor/react re-applies `options` whenever its
  // identity changes, so read-only must live here, not in a separate updateOptions call.
  const options = useMemo(
    () => ({
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      tabSize: 4,
      scrollBeyondLastLine: false,
      readOnly: locked || !synced,
      readOnlyMessage: { value: locked ? readOnlyMessage ?? "This file is read-only." : "Loading the file…" },
      renderWhitespace: "selection" as const,
      wordBasedSuggestions: "currentDocument" as const,
      quickSuggestions: false,
      acceptSuggestionOnEnter: "off" as const,
      fixedOverflowWidgets: true,
      // Room above line 1 for the name labels of remote cursors.
      padding: { top: 16 },
      glyphMargin: hasComments,
    }),
    [locked, synced, readOnlyMessage, hasComments],
  );

  const onMount: OnMount = (instance) => {
    instance.addAction({
      id: "observer.run",
      label: "Run program",
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
      run: () => callbacks.current.onRun?.(),
    });
    instance.addAction({
      id: "observer.leaveEditor",
      label: "Leave the editor",
      keybindings: [monaco.KeyCode.Escape],
      keybindingContext: ESCAPE_LEAVES,
      run: () => callbacks.current.onEscape?.(),
    });
    if (callbacks.current.onCommentLine) {
      instance.addAction({
        id: "observer.commentLine",
        label: "Comment on this line",
        keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyMod.Alt | monaco.KeyCode.Enter],
        contextMenuGroupId: "navigation",
        contextMenuOrder: 0,
        run: (ed) => callbacks.current.onCommentLine?.(ed.getPosition()?.lineNumber ?? 1),
      });
    }
    instance.onDidChangeCursorPosition((event) => callbacks.current.onCursorLine?.(event.position.lineNumber));

    setEditor(instance);
  };

  return (
    <div className="editor-box" id={props.id} data-skip-inner={props.id ? "" : undefined} data-testid="code-editor" data-document={documentId} data-synced={synced} data-readonly={locked} data-theme={monacoTheme(theme)}>
      <button
        type="button"
        className="btn small tab-mode"
        aria-pressed={tabMoves}
        title="Ctrl+M toggles what Tab does in the editor"
        data-testid="tab-mode"
        onClick={() => setTabMovesFocus(!tabMoves)}
      >
        Tab moves focus (Ctrl+M)
      </button>
      {!synced ? (
        <div className="overlay">
          <Spinner label="Loading the file…" />
        </div>
      ) : null}
      <Editor
        path={`inmemory://observer/${documentId}`}
        language={language}
        theme={monacoTheme(theme)}
        loading={<Spinner label="Loading the editor…" />}
        onMount={onMount}
        options={options}
      />
    </div>
  );
}
