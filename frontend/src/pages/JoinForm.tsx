import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { sessions } from "../api/endpoints";
import { ApiError } from "../api/errors";
import { tokenStore } from "../api/tokens";
import { useAuth } from "../auth/AuthContext";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAction } from "../hooks/useAction";
import { CODE_LENGTH, NAME_MAX, joinProblems, normalizeCode, serverProblems } from "./joinRules";

const NAME_KEY = "observer.lastDisplayName";

/** "Join a class": a code and a display name, no account needed. Says what is wrong next to the field before sending. */
export function JoinForm({ initialCode = "" }: { initialCode?: string }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const [code, setCode] = useState(initialCode.toUpperCase());
  const [name, setName] = useState(() => user?.display_name || window.localStorage.getItem(NAME_KEY) || "");
  // A field's problem shows once the student left it or pressed Join, not while they type.
  const [touched, setTouched] = useState({ code: initialCode !== "", name: false });
  const join = useAction(async () => {
    const trimmedName = name.trim();
    const answer = await sessions.join(
      { code: normalizeCode(code), display_name: trimmedName || undefined, guest_key: user ? undefined : tokenStore.guestKey() },
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

  const local = joinProblems(code, name, !!user);
  const server = serverProblems(join.error);
  const codeError = (touched.code ? local.code : undefined) ?? server.code;
  const nameError = (touched.name ? local.name : undefined) ?? server.name;
  const fieldRefusal = server.code !== undefined || server.name !== undefined || server.other !== undefined;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched({ code: true, name: true });
    if (local.code || local.name) {
      document.getElementById(local.code ? "join-code" : "join-name")?.focus();
      return; // nothing is sent: a refused join would count against this address
    }
    void join.run();
  };
  const blocked = join.blockedUntil !== null && join.blockedUntil > Date.now();
  const edited = () => {
    if (join.error && !(join.error instanceof ApiError && join.error.status === 429)) join.reset();
  };

  return (
    <form onSubmit={onSubmit} aria-label="Join a class" noValidate>
      <div className="field">
        <label htmlFor="join-code">Class code</label>
        <input
          id="join-code"
          className="code-input"
          value={code}
          onChange={(e) => {
            setCode(e.target.value.toUpperCase().replace(/\s/g, ""));
            edited();
          }}
          onBlur={() => setTouched((t) => ({ ...t, code: code !== "" || t.code }))}
          maxLength={12}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          placeholder="ABC234"
          aria-invalid={codeError ? true : undefined}
          aria-describedby={codeError ? "join-code-error" : "join-code-hint"}
        />
        {codeError ? (
          <span className="field-error" id="join-code-error" role="alert" data-testid="join-code-error">
            {codeError}
          </span>
        ) : (
          <span className="hint" id="join-code-hint">
            {CODE_LENGTH} letters and digits, from your teacher's screen.
          </span>
        )}
      </div>
      <div className="field">
        <label htmlFor="join-name">Your name</label>
        <input
          id="join-name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            edited();
          }}
          onBlur={() => setTouched((t) => ({ ...t, name: true }))}
          maxLength={NAME_MAX}
          placeholder="How your teacher will see you"
          autoComplete="nickname"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? "join-name-error" : "join-name-hint"}
        />
        {nameError ? (
          <span className="field-error" id="join-name-error" role="alert" data-testid="join-name-error">
            {nameError}
          </span>
        ) : user ? (
          <span className="hint" id="join-name-hint">Signed in as {user.username}; leave empty to use your account's name.</span>
        ) : (
          <span className="hint" id="join-name-hint">The name your teacher sees. No account needed.</span>
        )}
      </div>
      {server.other ? (
        <div className="error-message" role="alert">{server.other}</div>
      ) : fieldRefusal ? null : (
        <ErrorMessage error={join.error} blockedUntil={join.blockedUntil} onCountdownDone={join.reset} />
      )}
      <div className="form-actions">
        <button type="submit" className="btn primary large" disabled={join.pending || blocked}>
          {join.pending ? "Joining…" : "Join class"}
        </button>
      </div>
    </form>
  );
}
