import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { auth as authApi } from "../api/endpoints";
import { ApiError } from "../api/errors";
import { tokenStore } from "../api/tokens";
import { forgetLocalCopies } from "../live/localCopy";
import type { AuthAnswer, User } from "../api/types";

type AuthState = { status: "loading" } | { status: "anonymous" } | { status: "signed-in"; user: User };

interface AuthValue {
  state: AuthState;
  user: User | null;
  signIn: (answer: AuthAnswer) => void;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>(() => (tokenStore.getPair() ? { status: "loading" } : { status: "anonymous" }));

  useEffect(() => {
    if (!tokenStore.getPair()) return undefined;
    const controller = new AbortController();
    authApi
      .me(controller.signal)
      .then((me) => setState(me.guest ? { status: "anonymous" } : { status: "signed-in", user: me }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) tokenStore.setPair(null);
        setState({ status: "anonymous" });
      });
    return () => controller.abort();
  }, []);

  // Another tab signing out (or a refresh token being rejected) signs this tab out too.
  useEffect(
    () =>
      tokenStore.subscribe(() => {
        if (!tokenStore.getPair()) setState({ status: "anonymous" });
      }),
    [],
  );

  const signIn = useCallback((answer: AuthAnswer) => {
    tokenStore.setPair({ access: answer.access, refresh: answer.refresh });
    setState({ status: "signed-in", user: answer.user });
  }, []);

  const signOut = useCallback(async () => {
    const pair = tokenStore.getPair();
    tokenStore.setPair(null);
    setState({ status: "anonymous" });
    // A shared computer keeps none of this person's code after they sign out.
    void forgetLocalCopies();
    if (pair) await authApi.logout(pair.refresh).catch(() => undefined);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ state, user: state.status === "signed-in" ? state.user : null, signIn, signOut }),
    [state, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

export function isTeacher(user: User | null): boolean {
  return user?.role === "teacher" || user?.role === "admin";
}
