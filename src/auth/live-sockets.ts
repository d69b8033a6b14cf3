import type { Logger } from "../common/logger";
import type { AccountStates } from "./account-states";
import { tokenProblem } from "./account-states";
import type { Viewer } from "./viewer";

/** What the registry needs of a WebSocket: a way to close it. */
export interface ClosableSocket {
  close(code: number, reason: string): void;
}

/** The close code of a socket whose token no longer signs anyone in. */
export const CLOSE_FORBIDDEN = 4403;
/** The close code of a connection over the per-account limit. */
export const CLOSE_TOO_MANY = 4429;

interface Entry {
  readonly viewer: Viewer;
  readonly socket: ClosableSocket;
}

/**
 * The signed-in WebSockets of one server, by account. A sweep every `intervalMs` closes, with
 * 4403, the sockets whose token has expired, whose account was deactivated or whose token
 * version moved on (password changed), reading every such account in one statement.
 */
export class LiveSockets {
  private readonly byAccount = new Map<string, Set<Entry>>();
  private readonly timer: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly states: AccountStates,
    private readonly logger: Logger,
    private readonly maxPerAccount: number,
    intervalMs = 1_000,
  ) {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  /**
   * Registers a socket for the viewer, or returns false when the account has its maximum of
   * open sockets here already. The returned function unregisters it.
   */
  add(viewer: Viewer, socket: ClosableSocket): (() => void) | false {
    let entries = this.byAccount.get(viewer.accountId);
    if (entries && entries.size >= this.maxPerAccount) return false;
    if (!entries) {
      entries = new Set();
      this.byAccount.set(viewer.accountId, entries);
    }
    const entry = { viewer, socket };
    entries.add(entry);
    return () => {
      const set = this.byAccount.get(viewer.accountId);
      if (!set) return;
      set.delete(entry);
      if (set.size === 0) this.byAccount.delete(viewer.accountId);
    };
  }

  /** Closes what must close now; see the class comment. */
  async sweep(): Promise<void> {
    if (this.sweeping || this.byAccount.size === 0) return;
    this.sweeping = true;
    try {
      const now = Date.now();
      for (const entries of this.byAccount.values()) {
        for (const entry of entries) {
          if (entry.viewer.expiresAt !== undefined && entry.viewer.expiresAt <= now) entry.socket.close(CLOSE_FORBIDDEN, "Token expired");
        }
      }
      const states = await this.states.refresh([...this.byAccount.keys()]);
      for (const [accountId, entries] of this.byAccount) {
        // An account whose first socket opened while the states were read is checked next time.
        if (!states.has(accountId)) continue;
        for (const entry of entries) {
          const problem = tokenProblem(entry.viewer, states.get(accountId) ?? null);
          if (problem) entry.socket.close(CLOSE_FORBIDDEN, problem);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, "could not check the accounts of open WebSockets; trying again");
    } finally {
      this.sweeping = false;
    }
  }

  /** Stops the sweep. */
  stop(): void {
    clearInterval(this.timer);
  }
}
