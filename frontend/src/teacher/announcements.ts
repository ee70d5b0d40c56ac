/**
 * What the teacher's dashboard says aloud (a polite live region): raised hands, runs that
 * ended with an error, students joining and leaving. Worked out by comparing two pictures
 * of the class, so it needs nothing from the event stream beyond what the grid shows.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { statusText } from "../terminal/runState";
import { isErrorStatus, type Classroom } from "./classroom";

export function classroomChanges(before: Classroom, after: Classroom): string[] {
  const said: string[] = [];
  const known = new Set(before.help.map((h) => h.id));
  for (const request of after.help) {
    if (!known.has(request.id) && request.state === "open") {
      said.push(`${request.display_name} raised a hand${request.message ? `: ${request.message}` : ""}.`);
    }
  }
  for (const [id, student] of Object.entries(after.students)) {
    const name = student.participant.display_name;
    const earlier = before.students[id];
    if (!earlier) {
      if (student.participant.online) said.push(`${name} joined.`);
      continue;
    }
    if (earlier.participant.online && !student.participant.online) said.push(`${name} left.`);
    else if (!earlier.participant.online && student.participant.online) said.push(`${name} is back.`);
    if (earlier.running && !student.running && student.lastRunStatus && isErrorStatus(student.lastRunStatus)) {
      const kind = student.lastRunStatus === "runtime-error" ? "" : ` (${statusText(student.lastRunStatus)})`;
      said.push(`${name}'s run ended with an error${kind}.`);
    }
  }
  return said;
}

/**
 * Announcements at most once per `everyMs`: what arrives in between is joined into one
 * message (a class of thirty joining at once is one sentence, not thirty).
 */
export function useThrottledAnnouncer(everyMs = 4000) {
  const [message, setMessage] = useState("");
  const pending = useRef<string[]>([]);
  const timer = useRef<number | null>(null);
  const lastAt = useRef(0);
  const flush = useCallback(() => {
    timer.current = null;
    const items = pending.current;
    pending.current = [];
    if (!items.length) return;
    lastAt.current = Date.now();
    setMessage(items.length > 4 ? `${items.slice(0, 3).join(" ")} And ${items.length - 3} more updates.` : items.join(" "));
  }, []);
  const announce = useCallback(
    (items: string[]) => {
      if (!items.length) return;
      pending.current.push(...items);
      if (timer.current !== null) return;
      const wait = Math.max(0, lastAt.current + everyMs - Date.now());
      timer.current = window.setTimeout(flush, wait);
    },
    [everyMs, flush],
  );
  useEffect(() => () => {
    if (timer.current !== null) window.clearTimeout(timer.current);
  }, []);
  return { message, announce };
}

/** Announces what changed in the class since the last render (not what was there on load). */
export function useClassroomAnnouncements(classroom: Classroom, ready: boolean) {
  const { message, announce } = useThrottledAnnouncer();
  const previous = useRef<Classroom | null>(null);
  useEffect(() => {
    if (!ready) return;
    if (previous.current) announce(classroomChanges(previous.current, classroom));
    previous.current = classroom;
  }, [classroom, ready, announce]);
  return message;
}
