import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { sessions } from "../api/endpoints";
import { ApiError } from "../api/errors";
import { tokenStore } from "../api/tokens";
import { useAuth } from "../auth/AuthContext";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";

const NAME_KEY = "observer.lastDisplayName";

/** "Join a class": a code and a display name, no account needed. */
export function JoinForm({ initialCode = "" }: { initialCode?: string }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const [code, setCode] = useState(initialCode.toUpperCase());
  const [name, setName] = useState(() => user?.display_name || window.localStorage.getItem(NAME_KEY) || "");
  const join = useAction(async () => {
    const trimmedName = name.trim();
    const answer = await sessions.join(
      { code: code.trim().toUpperCase(), display_name: trimmedName || undefined, guest_key: user ? undefined : tokenStore.guestKey() },
      user ? "user" : "none",
    );
    window.localStorage.setItem(NAME_KEY, trimmedName);
    if (!answer.token) tokenStore.setSeat(answer.session.id, answer.participant.id);
    if (answer.token) {
      tokenStore.setGuest({
        token: answer.token,
        sessionId: answer.session.id,
        participantId: answer.participant.id,
        displayName: answer.participant.display_name,
        sessionTitle: answer.session.title,
        joinedAt: new Date().toISOString(),
      });
    }
    navigate(`/s/${answer.session.id}`);
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void join.run();
  };
  const blocked = join.blockedUntil !== null && join.blockedUntil > Date.now();
  const codeError = join.error instanceof ApiError && join.error.status === 404 ? "No live class has this code. Check it with your teacher." : null;

  return (
    <form onSubmit={onSubmit} aria-label="Join a class">
      <div className="field">
        <label htmlFor="join-code">Class code</label>
        <input
          id="join-code"
          className="code-input"
          value={code}
          onChange={(e) => setCode(e.target.value.toUpperCase().replace(/\s/g, ""))}
          maxLength={12}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          placeholder="ABC123"
          required
        />
      </div>
      <div className="field">
        <label htmlFor="join-name">Your name</label>
        <input
          id="join-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={80}
          placeholder="How your teacher will see you"
          required={!user}
          autoComplete="nickname"
        />
        {user ? <span className="hint">Signed in as {user.username}.</span> : <span className="hint">No account needed.</span>}
      </div>
      {codeError ? (
        <div className="error-message" role="alert">{codeError}</div>
      ) : (
        <ErrorMessage error={join.error} blockedUntil={join.blockedUntil} onCountdownDone={join.reset} />
      )}
      <div className="form-actions">
        <button type="submit" className="btn primary large" disabled={join.pending || blocked || code.trim().length < 4}>
          {join.pending ? "Joining…" : "Join class"}
        </button>
      </div>
    </form>
  );
}
