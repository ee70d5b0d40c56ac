/** The session event channel (/ws/sessions/<id>/): JSON events, typed as docs/API.md lists them. */
import { useEffect, useRef, useState } from "react";
import type { ClassSession, FileItem, HelpRequest, ParticipantStatus, RunStatus } from "../api/types";
import { ReconnectingSocket, wsUrl } from "./socket";

export type SessionEvent =
  | { type: "snapshot"; participants: ParticipantStatus[]; help: HelpRequest[] }
  | { type: "session.updated"; session: ClassSession }
  | { type: "file.pushed"; file: FileItem & { participant_id?: string } }
  | { type: "help.updated"; help_request: HelpRequest }
  | { type: "participant.joined" | "participant.left" | "participant.removed"; participant: ParticipantStatus }
  | { type: "presence"; participant_id: string; online: boolean }
  | { type: "typing"; participant_id: string; document_id: string; at: string }
  | { type: "preview"; participant_id: string; document_id: string; name: string; text: string; opened?: boolean }
  | { type: "file.deleted"; participant_id: string; document_id: string; name: string }
  | { type: "run.started"; participant_id: string; run_id: string; language: string }
  | { type: "run.ended"; participant_id: string; run_id: string; status: RunStatus; exit_code: number | null; wall_ms: number | null }
  | { type: "help.raised" | "help.claimed" | "help.resolved" | "help.cancelled"; help_request: HelpRequest }
  | { type: "error"; code: string; message: string };

/** Accepts both {type, ...payload} and {type, payload: {...}} / {event: {...}} framings. */
export function parseSessionEvent(text: string): SessionEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  let record = raw as Record<string, unknown>;
  if (typeof record["event"] === "object" && record["event"] !== null && typeof record["type"] !== "string") {
    record = record["event"] as Record<string, unknown>;
  }
  if (typeof record["type"] !== "string") return null;
  const payload = record["payload"] ?? record["data"];
  if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
    record = { ...(payload as Record<string, unknown>), type: record["type"] };
  }
  if (record["type"] && typeof record["help"] === "object" && !Array.isArray(record["help"]) && !record["help_request"]) {
    record = { ...record, help_request: record["help"] };
  }
  return record as unknown as SessionEvent;
}

/** Subscribes to a session's events while mounted; the handler may change between renders. */
export function useSessionEvents(
  sessionId: string | null,
  getToken: () => Promise<string | null>,
  handler: (event: SessionEvent) => void,
): ReconnectingSocket | null {
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const [socket, setSocket] = useState<ReconnectingSocket | null>(null);

  useEffect(() => {
    if (!sessionId) return undefined;
    const next = new ReconnectingSocket({
      url: wsUrl(`/ws/sessions/${sessionId}/`),
      getToken: () => tokenRef.current(),
      onMessage: (message) => {
        if (typeof message.data !== "string") return;
        const event = parseSessionEvent(message.data);
        if (event) handlerRef.current(event);
      },
    });
    setSocket(next);
    next.start();
    return () => {
      next.stop();
      setSocket(null);
    };
  }, [sessionId]);

  return socket;
}
