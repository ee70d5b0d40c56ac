/**
 * One student's line comments, kept live: loaded over REST, then each `feedback.added`
 * event of that student (the page hands session events to exercises/bus) is added in place.
 * Used by the student's workspace and by the teacher's view of that student.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Auth } from "../api/client";
import { feedback as feedbackApi } from "../exercises/api";
import { onExerciseEvent } from "../exercises/bus";
import { fromEvent, sortComments, withComment, type Feedback } from "./comments";

export interface FeedbackState {
  comments: Feedback[];
  error: unknown;
  /** The comment that arrived last while the page was open (not the ones loaded with it). */
  arrived: Feedback | null;
  /** A comment this page just made (the event may come before or after the answer). */
  add: (comment: Feedback) => void;
  reload: () => void;
}

export function useFeedback(participantId: string | null, auth: Auth | undefined): FeedbackState {
  const [comments, setComments] = useState<Feedback[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [arrived, setArrived] = useState<Feedback | null>(null);
  const [loads, setLoads] = useState(0);
  const known = useRef(new Set<string>());

  useEffect(() => {
    if (!participantId || !auth) return undefined;
    let live = true;
    let again = 0;
    const fetchList = () => feedbackApi.list(participantId, auth).then(
      (list) => {
        if (!live) return;
        list.forEach((c) => known.current.add(c.id));
        // Events that came while the list was on its way are kept; the list's copies (with their author) win.
        setComments((current) => current.reduce(withComment, sortComments(list)));
        setError(null);
      },
      (failure: unknown) => live && setError(failure),
    );
    void fetchList();
    const off = onExerciseEvent((event) => {
      if (event.type !== "feedback.added" || event.participant_id !== participantId) return;
      const added = fromEvent(event);
      setComments((all) => withComment(all, added));
      if (!known.current.has(added.id)) {
        known.current.add(added.id);
        setArrived(added);
        // The event does not name the author; the list does: read it again, once a burst is over.
        window.clearTimeout(again);
        again = window.setTimeout(() => void fetchList(), 300);
      }
    });
    return () => {
      live = false;
      window.clearTimeout(again);
      off();
    };
  }, [participantId, auth, loads]);

  const add = useCallback((comment: Feedback) => {
    known.current.add(comment.id);
    // The REST answer names the author; the event does not: the answer's copy wins.
    setComments((all) => sortComments([...all.filter((c) => c.id !== comment.id), comment]));
  }, []);
  const reload = useCallback(() => setLoads((n) => n + 1), []);
  return { comments, error, arrived, add, reload };
}
