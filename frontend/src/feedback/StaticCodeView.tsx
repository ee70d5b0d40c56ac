import { useEffect, useMemo, useRef, useState } from "react";
import Editor, { type OnMount } from "@monaco-editor/react";
import { monaco } from "../editor/monaco";
import type { EditorHandle } from "../editor/CodeEditor";
import { Spinner } from "../components/States";
import { monacoTheme } from "../theme/theme";
import { useTheme } from "../theme/useTheme";
import type { Feedback } from "./comments";
import { goToLine, showLineComments } from "./editorComments";

type MonacoEditor = Parameters<OnMount>[0];

interface Props {
  /** Names the model (one per submission file). */
  path: string;
  text: string;
  language: string;
  label: string;
  comments: Feedback[];
  onCommentLine?: (line: number) => void;
  onCursorLine?: (line: number) => void;
  onEscape?: () => void;
  handle?: React.MutableRefObject<EditorHandle | null>;
}

const ESCAPE_LEAVES = "!suggestWidgetVisible && !findWidgetVisible && !editorHasSelection && !markersNavigationVisible";

/** A file as it was submitted: read-only Monaco, with the teacher's comments beside its lines. */
export function StaticCodeView({ path, text, language, label, comments, ...props }: Props) {
  const [editor, setEditor] = useState<MonacoEditor | null>(null);
  const { theme } = useTheme();
  const callbacks = useRef(props);
  callbacks.current = props;

  useEffect(() => {
    if (!editor || !comments.length) return undefined;
    return showLineComments(editor, comments);
  }, [editor, comments, text]);

  useEffect(() => {
    const handle = props.handle;
    if (!handle || !editor) return undefined;
    handle.current = { goToLine: (line) => goToLine(editor, line) };
    return () => {
      handle.current = null;
    };
  }, [editor, props.handle]);

  const options = useMemo(
    () => ({
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      readOnly: true,
      domReadOnly: true,
      readOnlyMessage: { value: "A submission is kept as it was sent." },
      scrollBeyondLastLine: false,
      glyphMargin: comments.length > 0,
      fixedOverflowWidgets: true,
      ariaLabel: label,
    }),
    [comments.length, label],
  );

  const onMount: OnMount = (instance) => {
    instance.addAction({
      id: "observer.commentLine",
      label: "Comment on this line",
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyMod.Alt | monaco.KeyCode.Enter],
      contextMenuGroupId: "navigation",
      contextMenuOrder: 0,
      precondition: undefined,
      run: (ed) => callbacks.current.onCommentLine?.(ed.getPosition()?.lineNumber ?? 1),
    });
    instance.addAction({
      id: "observer.leaveEditor",
      label: "Leave the editor",
      keybindings: [monaco.KeyCode.Escape],
      keybindingContext: ESCAPE_LEAVES,
      run: () => callbacks.current.onEscape?.(),
    });
    instance.onDidChangeCursorPosition((event) => callbacks.current.onCursorLine?.(event.position.lineNumber));
    setEditor(instance);
  };

  return (
    <div className="editor-box" data-testid="submission-code" data-path={path} data-theme={monacoTheme(theme)}>
      <Editor path={path} value={text} language={language} theme={monacoTheme(theme)} loading={<Spinner label="Loading the editor…" />} onMount={onMount} options={options} />
    </div>
  );
}
