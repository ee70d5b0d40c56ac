import { useCallback, useEffect, useMemo, useState } from "react";
import { files as filesApi, sessions } from "../api/endpoints";
import { ApiError } from "../api/errors";
import { tokenStore } from "../api/tokens";
import type { ClassSession, CurrentAnswer, FileItem, HelpSummary, ParticipantStatus } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { guestCredential, userCredential, type Credential } from "../auth/credential";
import type { SessionEvent } from "../live/sessionEvents";

export type WorkspaceLoad =
  | { kind: "loading" }
  | { kind: "no-seat" }
  | { kind: "error"; error: unknown }
  | { kind: "ready" };

export interface WorkspaceData {
  load: WorkspaceLoad;
  credential: Credential | null;
  session: ClassSession | null;
  participant: ParticipantStatus | null;
  files: FileItem[];
  activeId: string | null;
  help: HelpSummary | null;
  notice: string | null;
  setActiveId: (id: string) => void;
  setHelp: (help: HelpSummary | null) => void;
  dismissNotice: () => void;
  reload: () => void;
  createFile: (name: string) => Promise<void>;
  renameFile: (file: FileItem, name: string) => Promise<void>;
  deleteFile: (file: FileItem) => Promise<void>;
  handleEvent: (event: SessionEvent) => void;
}

/** Everything the student workspace shows that comes from the API, plus its live updates. */
export function useWorkspaceData(sessionId: string): WorkspaceData {
  const { state: authState, user } = useAuth();
  const guest = tokenStore.getGuest(sessionId);
  const guestToken = guest?.token ?? null;
  const credential = useMemo<Credential | null>(
    () => (guestToken ? guestCredential(guestToken) : user ? userCredential : null),
    [guestToken, user],
  );
  const [load, setLoad] = useState<WorkspaceLoad>({ kind: "loading" });
  const [session, setSession] = useState<ClassSession | null>(null);
  const [participant, setParticipant] = useState<ParticipantStatus | null>(null);
  const [files, setFiles] = useState<FileItem[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [help, setHelp] = useState<HelpSummary | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    if (!credential) {
      setLoad(authState.status === "loading" ? { kind: "loading" } : { kind: "no-seat" });
      return undefined;
    }
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    (async () => {
      const seat = guestToken ? null : tokenStore.getSeat(sessionId);
      let current: CurrentAnswer | null = await sessions.current(credential.auth, controller.signal).catch((error: unknown) => {
        if (seat && error instanceof ApiError && error.status === 404) return null;
        throw error;
      });
      if ((!current || current.session.id !== sessionId) && seat) {
        // A signed-in student reopening a class that is not their latest one.
        const { session: other, ...participantStatus } = await sessions.participant(seat, controller.signal);
        current = { session: other, participant: participantStatus };
      }
      if (!current || current.session.id !== sessionId) throw new ApiError(404, { code: "not_found", message: "You are not in this class.", details: {} });
      const list = current.files ?? (await filesApi.list(current.participant.id, credential.auth, controller.signal));
      if (controller.signal.aborted) return;
      setSession(current.session);
      setParticipant(current.participant);
      setHelp(current.participant.open_help_request);
      setFiles(list);
      setActiveId((prev) => (prev && list.some((f) => f.id === prev) ? prev : list[0]?.id ?? null));
      setLoad({ kind: "ready" });
    })().catch((error: unknown) => {
      if (controller.signal.aborted) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 404)) {
        if (guestToken) tokenStore.clearGuest(sessionId);
        setLoad({ kind: "no-seat" });
      } else {
        setLoad({ kind: "error", error });
      }
    });
    return () => controller.abort();
  }, [credential, sessionId, authState.status, guestToken, nonce]);

  const pid = participant?.id ?? null;
  const auth = credential?.auth ?? "user";

  const createFile = useCallback(
    async (name: string) => {
      if (!pid) return;
      const file = await filesApi.create(pid, name, auth);
      setFiles((list) => (list.some((f) => f.id === file.id) ? list : [...list, file]));
      setActiveId(file.id);
    },
    [pid, auth],
  );
  const renameFile = useCallback(
    async (file: FileItem, name: string) => {
      if (!pid) return;
      const updated = await filesApi.rename(pid, file.id, name, auth);
      setFiles((list) => list.map((f) => (f.id === file.id ? { ...f, ...updated } : f)));
    },
    [pid, auth],
  );
  const deleteFile = useCallback(
    async (file: FileItem) => {
      if (!pid) return;
      await filesApi.remove(pid, file.id, auth);
      setFiles((list) => {
        const rest = list.filter((f) => f.id !== file.id);
        setActiveId((current) => (current === file.id ? rest[0]?.id ?? null : current));
        return rest;
      });
    },
    [pid, auth],
  );

  const handleEvent = useCallback(
    (event: SessionEvent) => {
      switch (event.type) {
        case "session.updated":
          setSession((prev) => {
            // Ending needs no notice of its own: the workspace shows the ended banner while it lasts.
            if (prev && prev.state === "ended" && event.session.state === "live") setNotice("The session is open again.");
            return event.session;
          });
          break;
        case "file.pushed": {
          const file = event.file;
          if (file.participant_id && pid && file.participant_id !== pid) break;
          setFiles((list) => (list.some((f) => f.id === file.id) ? list.map((f) => (f.id === file.id ? { ...f, ...file } : f)) : [...list, file]));
          setNotice(`Your teacher shared ${file.name}.`);
          break;
        }
        case "help.updated":
        case "help.claimed":
        case "help.resolved":
        case "help.cancelled": {
          const request = event.help_request;
          if (pid && request.participant_id && request.participant_id !== pid) break;
          if (request.state === "open" || request.state === "claimed") {
            setHelp({ id: request.id, state: request.state, message: request.message, created_at: request.created_at });
          } else {
            setHelp(null);
            if (request.state === "resolved") setNotice("Your help request was marked as resolved.");
          }
          break;
        }
        default:
          break;
      }
    },
    [pid],
  );

  return {
    load,
    credential,
    session,
    participant,
    files,
    activeId,
    help,
    notice,
    setActiveId,
    setHelp,
    dismissNotice: () => setNotice(null),
    reload: () => setNonce((n) => n + 1),
    createFile,
    renameFile,
    deleteFile,
    handleEvent,
  };
}
