/**
 * A document's copy in the browser (IndexedDB, y-indexeddb): every update the tab makes
 * or receives is stored as it happens, so what was typed in the last second before the
 * server died (its flush window) or while offline survives the tab too. Reopened later,
 * the tab loads the copy and the sync handshake sends the server what it lacks.
 *
 * Copies are named after the document and listed in localStorage so that signing out
 * (a shared lab computer) deletes every one of them.
 */
import type * as Y from "yjs";
import { IndexeddbPersistence, clearDocument } from "y-indexeddb";

const LIST_KEY = "observer.localCopies";
/** How long the socket waits for the copy to load before connecting without it. */
export const LOAD_TIMEOUT_MS = 1500;

export function localCopyName(documentId: string): string {
  return `observer-document-${documentId}`;
}

function listed(): string[] {
  try {
    const value: unknown = JSON.parse(window.localStorage.getItem(LIST_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((name): name is string => typeof name === "string") : [];
  } catch {
    return [];
  }
}

function setListed(names: string[]): void {
  try {
    if (names.length) window.localStorage.setItem(LIST_KEY, JSON.stringify(names));
    else window.localStorage.removeItem(LIST_KEY);
  } catch {
    // Storage full or refused: the copy still works, it is only not listed for sign-out.
  }
}

export interface LocalCopy {
  /** Resolves once the stored updates are in the doc (or at once when there are none). */
  loaded: Promise<void>;
  destroy: () => void;
}

/** Keeps `doc` in IndexedDB; null where the browser has none (or refuses it). */
export function keepLocalCopy(documentId: string, doc: Y.Doc): LocalCopy | null {
  if (typeof indexedDB === "undefined") return null;
  const name = localCopyName(documentId);
  let persistence: IndexeddbPersistence;
  try {
    persistence = new IndexeddbPersistence(name, doc);
  } catch {
    return null;
  }
  if (!listed().includes(name)) setListed([...listed(), name]);
  // A refused or broken database (y-indexeddb then never says "synced") holds the
  // socket back no longer than LOAD_TIMEOUT_MS: it connects without the copy.
  const loaded = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, LOAD_TIMEOUT_MS);
    persistence.whenSynced.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => resolve(),
    );
  });
  return { loaded, destroy: () => void persistence.destroy() };
}

/** Deletes every document copy this browser holds (sign-out, leaving a class). */
export async function forgetLocalCopies(): Promise<void> {
  const names = listed();
  setListed([]);
  if (typeof indexedDB === "undefined") return;
  await Promise.all(names.map((name) => clearDocument(name).catch(() => undefined)));
}
