import type { Auth } from "../api/client";
import { freshAccessToken } from "../api/jwt";

/** How one screen authenticates: the HTTP credential and the token getter for its WebSockets. */
export interface Credential {
  auth: Auth;
  getToken: () => Promise<string | null>;
}

export const userCredential: Credential = { auth: "user", getToken: freshAccessToken };

export function guestCredential(token: string): Credential {
  return { auth: { token }, getToken: () => Promise.resolve(token) };
}
