import { reactive } from "vue";

/** Who is signed in: the token lives in this tab's session storage, never in a URL. */
export interface SignedInAccount {
  id: string;
  username: string;
  role: "ADMIN" | "COORDINATOR" | "PARTNER";
  alliance: { id: string; name: string; level: string } | null;
  organization: { id: string; name: string; kind: string } | null;
}

const STORAGE_KEY = "zhulian.session";

interface StoredSession {
  token: string;
  account: SignedInAccount;
}

function readStored(): StoredSession | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

const stored = readStored();

/** The session of this tab; `notice` is what the sign-in page says after a forced sign-out. */
export const session = reactive<{ token: string | null; account: SignedInAccount | null; notice: string | null }>({
  token: stored?.token ?? null,
  account: stored?.account ?? null,
  notice: null,
});

/** The token's expiry (its `exp` claim) in ms, or null when it has none it can read. */
function expiryOf(token: string): number | null {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: number };
    return typeof payload.exp === "number" ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

let expiryTimer: ReturnType<typeof setTimeout> | undefined;

/** Signs out with `notice` when the token expires (the server would refuse it from then on). */
function watchExpiry(token: string, notice: string): void {
  clearTimeout(expiryTimer);
  const expiry = expiryOf(token);
  if (expiry === null) return;
  // setTimeout's longest delay is about 24.8 days.
  const delay = Math.min(Math.max(expiry - Date.now(), 0), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => signOut(notice), delay);
}

const signOutListeners = new Set<() => void>();

/** Called on every sign-out (the live connection closes, pages forget their data). */
export function onSignOut(listener: () => void): () => void {
  signOutListeners.add(listener);
  return () => signOutListeners.delete(listener);
}

/** Starts watching the stored session's expiry; `notice` is what the sign-in page then says. */
export function resumeSession(notice: string): void {
  if (session.token) watchExpiry(session.token, notice);
}

export function signIn(token: string, account: SignedInAccount, expiredNotice: string): void {
  watchExpiry(token, expiredNotice);
  session.token = token;
  session.account = account;
  session.notice = null;
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ token, account }));
}

/** Forgets the token; `notice` is shown on the sign-in page (an expired or revoked token). */
export function signOut(notice: string | null = null): void {
  const wasSignedIn = session.token !== null;
  clearTimeout(expiryTimer);
  session.token = null;
  session.account = null;
  session.notice = notice;
  sessionStorage.removeItem(STORAGE_KEY);
  if (wasSignedIn) for (const listener of signOutListeners) listener();
}

/** The token for the IDE page, which reads the same tab's session. */
export function storedToken(): string | null {
  return readStored()?.token ?? null;
}
