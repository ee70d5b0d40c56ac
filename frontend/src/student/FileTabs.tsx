import { useState } from "react";
import type { FileItem } from "../api/types";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { NameDialog, fileNameProblem } from "../components/NameDialog";
import { useAction } from "../hooks/useAction";
import { tabListKeys } from "../components/a11y";

interface Props {
  files: FileItem[];
  activeId: string | null;
  onSelect: (id: string) => void;
  /** Absent when files cannot be changed (read-only session, teacher view). */
  onCreate?: (name: string) => Promise<unknown>;
  onRename?: (file: FileItem, name: string) => Promise<unknown>;
  onDelete?: (file: FileItem) => Promise<unknown>;
  suggestedName?: string;
  /** The id of the tab panel the tabs control (the editor's box). */
  panelId?: string;
}

export const fileTabId = (fileId: string) => `file-tab-${fileId}`;

type Pending = { kind: "new" } | { kind: "rename"; file: FileItem } | { kind: "delete"; file: FileItem } | null;

/** The file tab strip: select, and (when editable) new, rename (double-click) and delete. */
export function FileTabs({ files, activeId, onSelect, onCreate, onRename, onDelete, suggestedName = "", panelId }: Props) {
  const [pending, setPending] = useState<Pending>(null);
  const names = files.map((f) => f.name);
  const active = files.find((f) => f.id === activeId);
  // The tablist holds only tabs (ARIA); the active file's rename/delete and "New file" follow it.
  return (
    <div className="tabs">
      <div className="tablist" role="tablist" aria-label="Files" onKeyDown={tabListKeys(files.map((f) => f.id), activeId, onSelect)}>
        {files.map((file) => (
          <button
            key={file.id}
            type="button"
            role="tab"
            id={fileTabId(file.id)}
            data-tab-id={file.id}
            aria-selected={file.id === activeId}
            aria-controls={panelId}
            tabIndex={file.id === activeId || (!active && file === files[0]) ? 0 : -1}
            className={file.id === activeId ? "tab active" : "tab"}
            onClick={() => onSelect(file.id)}
            onDoubleClick={() => onRename && setPending({ kind: "rename", file })}
            title={onRename ? "Double-click to rename" : file.name}
          >
            {file.name}
          </button>
        ))}
      </div>
      {onRename && active ? (
        <button type="button" className="tab-x" aria-label={`Rename ${active.name}`} title="Rename" onClick={() => setPending({ kind: "rename", file: active })}>
          ✎
        </button>
      ) : null}
      {onDelete && active && files.length > 1 ? (
        <button type="button" className="tab-x" aria-label={`Delete ${active.name}`} title="Delete" onClick={() => setPending({ kind: "delete", file: active })}>
          ×
        </button>
      ) : null}
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
