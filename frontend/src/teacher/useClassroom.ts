import { useCallback, useEffect, useReducer, useRef } from "react";
import { files as filesApi, sessions } from "../api/endpoints";
import type { ClassSession, HelpRequest, ParticipantStatus } from "../api/types";
import { userCredential } from "../auth/credential";
import { useResource } from "../hooks/useResource";
import { useSessionEvents, type SessionEvent } from "../live/sessionEvents";
import type { ReconnectingSocket } from "../live/socket";
import { applyEvent, emptyClassroom, latestFile, withHelp, withHelpList, withParticipants, withPreview, type Classroom, type Preview } from "./classroom";

type Action =
  | { type: "event"; event: SessionEvent }
  | { type: "participants"; participants: ParticipantStatus[] }
  | { type: "help-list"; help: HelpRequest[] }
  | { type: "help"; help: HelpRequest }
  | { type: "preview"; participantId: string; preview: Preview };

function reducer(state: Classroom, action: Action): Classroom {
  switch (action.type) {
    case "event":
      return applyEvent(state, action.event);
    case "participants":
      return withParticipants(state, action.participants);
    case "help-list":
      return withHelpList(state, action.help);
    case "help":
      return withHelp(state, action.help);
    case "preview":
      return withPreview(state, action.participantId, action.preview);
    default:
      return state;
  }
}

export interface ClassroomData {
  session: ClassSession | null;
  loadError: unknown;
  loading: boolean;
  classroom: Classroom;
  socket: ReconnectingSocket | null;
  setSession: (session: ClassSession) => void;
  updateHelp: (help: HelpRequest) => void;
  reload: () => void;
}

/**
 * The last known picture per session, so going from the grid to a student and back does
 * not flash empty tiles (and keeps previews that arrived while the grid was away).
 */
const picture = new Map<string, Classroom>();

/** The session, its students and help queue, kept live by the session event channel. */
export function useClassroom(sessionId: string, options: { previews?: boolean; onEvent?: (event: SessionEvent) => void } = {}): ClassroomData {
  const wantPreviews = options.previews ?? true;
  const extraHandler = useRef(options.onEvent);
  extraHandler.current = options.onEvent;
  const [classroom, dispatch] = useReducer(reducer, sessionId, (id) => picture.get(id) ?? emptyClassroom);
  useEffect(() => {
    picture.set(sessionId, classroom);
  }, [sessionId, classroom]);

  // The session, then (once it has started) its students and help queue into the picture.
  const loaded = useResource(async (signal: AbortSignal): Promise<ClassSession> => {
    const found = await sessions.get(sessionId, signal);
    if (found.state === "draft") return found;
    const [participants, help] = await Promise.all([
      sessions.participants(sessionId, signal),
      sessions.help(sessionId, undefined, signal),
    ]);
    if (!signal.aborted) {
      dispatch({ type: "participants", participants });
      dispatch({ type: "help-list", help });
    }
    return found;
  }, [sessionId]);
  const session = loaded.data ?? null;
  const { mutate } = loaded;
  const setSession = useCallback((next: ClassSession) => mutate(() => next), [mutate]);

  // Tiles show code from preview events; until a student types, show the file they edited last.
  const fetched = useRef(new Set<string>());
  const onEvent = useCallback((event: SessionEvent) => {
    if (event.type === "session.updated") setSession(event.session);
    // The tile may have nothing left to show: list the student's files again.
    if (event.type === "file.deleted") fetched.current.delete(event.participant_id);
    dispatch({ type: "event", event });
    extraHandler.current?.(event);
  }, [setSession]);
  const socket = useSessionEvents(session && session.state !== "draft" ? sessionId : null, userCredential.getToken, onEvent);

  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    if (!wantPreviews) return;
    const missing = Object.values(classroom.students).filter((s) => !s.preview && !fetched.current.has(s.participant.id));
    if (missing.length === 0) return;
    void (async () => {
      for (let i = 0; i < missing.length; i += 4) {
        await Promise.all(
          missing.slice(i, i + 4).map(async (student) => {
            const pid = student.participant.id;
            fetched.current.add(pid);
            const list = await filesApi.list(pid).catch(() => []);
            const latest = latestFile(list);
            if (mounted.current && latest) dispatch({ type: "preview", participantId: pid, preview: { documentId: latest.id, name: latest.name, text: latest.content.slice(0, 4000) } });
          }),
        );
      }
    })();
  }, [classroom.students, wantPreviews]);

  return {
    session,
    loadError: loaded.error,
    loading: loaded.loading,
    classroom,
    socket,
    setSession,
    updateHelp: useCallback((help: HelpRequest) => dispatch({ type: "help", help }), []),
    reload: loaded.reload,
  };
}
