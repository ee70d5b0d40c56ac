import { useState } from "react";
import type { FileItem } from "../api/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { NameDialog, fileNameProblem } from "../components/NameDialog";
import { useAction } from "../hooks/useAction";

interface Props {
  files: FileItem[];
  activeId: string | null;
  onSelect: (id: string) => void;
  /** Absent when files cannot be changed (read-only session, teacher view). */
  onCreate?: (name: string) => Promise<unknown>;
  onRename?: (file: FileItem, name: string) => Promise<unknown>;
  onDelete?: (file: FileItem) => Promise<unknown>;
  suggestedName?: string;
}

type Pending = { kind: "new" } | { kind: "rename"; file: FileItem } | { kind: "delete"; file: FileItem } | null;

/** The file tab strip: select, and (when editable) new, rename (double-click) and delete. */
export function FileTabs({ files, activeId, onSelect, onCreate, onRename, onDelete, suggestedName = "" }: Props) {
  const [pending, setPending] = useState<Pending>(null);
  const names = files.map((f) => f.name);
  return (
    <div className="tabs" role="tablist" aria-label="Files">
      {files.map((file) => (
        <div key={file.id} className={file.id === activeId ? "tab active" : "tab"}>
          <button
            type="button"
            role="tab"
            aria-selected={file.id === activeId}
            className="link-btn"
            style={{ textDecoration: "none" }}
            onClick={() => onSelect(file.id)}
            onDoubleClick={() => onRename && setPending({ kind: "rename", file })}
            title={onRename ? "Double-click to rename" : file.name}
          >
            {file.name}
          </button>
          {onRename && file.id === activeId ? (
            <button type="button" className="tab-x" aria-label={`Rename ${file.name}`} title="Rename" onClick={() => setPending({ kind: "rename", file })}>
              ✎
            </button>
          ) : null}
          {onDelete && files.length > 1 ? (
            <button type="button" className="tab-x" aria-label={`Delete ${file.name}`} title="Delete" onClick={() => setPending({ kind: "delete", file })}>
              ×
            </button>
          ) : null}
        </div>
      ))}
      {onCreate ? (
        <button type="button" className="tab tab-new" aria-label="New file" title="New file" onClick={() => setPending({ kind: "new" })}>
          +
        </button>
      ) : null}
      {pending?.kind === "new" && onCreate ? (
        <NameDialog
          title="New file"
          label="File name"
          initial={suggestedName}
          submitLabel="Create"
          onSubmit={onCreate}
          onClose={() => setPending(null)}
          validate={(value) => fileNameProblem(value, names)}
        />
      ) : null}
      {pending?.kind === "rename" && onRename ? (
        <NameDialog
          title={`Rename ${pending.file.name}`}
          label="New name"
          initial={pending.file.name}
          submitLabel="Rename"
          onSubmit={(name) => onRename(pending.file, name)}
          onClose={() => setPending(null)}
          validate={(value) => (value === pending.file.name ? null : fileNameProblem(value, names))}
        />
      ) : null}
      {pending?.kind === "delete" && onDelete ? (
        <ConfirmDelete file={pending.file} onDelete={onDelete} onClose={() => setPending(null)} />
      ) : null}
    </div>
  );
}

function ConfirmDelete({ file, onDelete, onClose }: { file: FileItem; onDelete: (file: FileItem) => Promise<unknown>; onClose: () => void }) {
  const action = useAction(async () => {
    await onDelete(file);
    onClose();
  });
  return (
    <Dialog title={`Delete ${file.name}?`} onClose={onClose}>
      <p>The file and its contents will be removed. This cannot be undone.</p>
      <ErrorMessage error={action.error} blockedUntil={action.blockedUntil} />
      <div className="form-actions">
        <button type="button" className="btn danger" disabled={action.pending} onClick={() => void action.run()}>
          {action.pending ? "Deleting…" : "Delete"}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
