import { callJson, type HttpTransport } from './http-transport.js';
import { SessionClientError } from './session-client.error.js';

/** Where an unconfirmed sign-out is kept across reloads (the subset of `Storage` used). */
export type SignOutStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * A sign-out the server has not confirmed yet (offline, server down). It is kept in storage, so a
 * reload or another tab of this browser sends it again before it restores a session: otherwise
 * the HttpOnly refresh cookie would bring back the session the user ended. The logout route ends
 * the session from the refresh cookie alone, so no access token is needed for the retry.
 */
export class PendingSignOut {
  /** Used where storage is missing or refuses (private mode, sandboxed frame). */
  private inMemory = false;
  private inFlight?: Promise<SessionClientError | undefined>;

  constructor(
    private readonly transport: HttpTransport,
    private readonly logoutPath: string,
    private readonly storage: SignOutStorage | undefined,
    private readonly key: string,
  ) {}

  /** Whether a sign-out still waits for the server's confirmation. */
  get pending(): boolean {
    try {
      if (this.storage) return this.storage.getItem(this.key) !== null;
    } catch {
      // Unreadable storage: what this page remembers is all there is.
    }
    return this.inMemory;
  }

  /**
   * Sends the logout (with the access token when there is one; the cookie goes along) and keeps
   * it pending until the server answers. Resolves with the failure that keeps it pending, if any.
   */
  send(token?: string): Promise<SessionClientError | undefined> {
    this.remember(true);
    this.inFlight ??= this.post(token).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Sends a pending sign-out again; resolves at once when there is none. */
  async flush(): Promise<SessionClientError | undefined> {
    return this.pending ? this.send() : undefined;
  }

  /** Drops it (a new session replaced the cookie, so a retry would end that one instead). */
  forget(): void {
    this.remember(false);
  }

  private async post(token: string | undefined): Promise<SessionClientError | undefined> {
    try {
      await callJson(this.transport, 'POST', this.logoutPath, { token });
    } catch (error) {
      if (!(error instanceof SessionClientError)) throw error;
      // Offline, overloaded, rate limited: the session may be alive; try again later.
      if (error.transient) return error;
      // Any other refusal: no cookie, or its session is over; nothing is left to end from here.
    }
    this.remember(false);
    return undefined;
  }

  private remember(pending: boolean): void {
    this.inMemory = pending;
    try {
      if (pending) this.storage?.setItem(this.key, String(Date.now()));
      else this.storage?.removeItem(this.key);
    } catch {
      // Storage full or refused: the in-memory flag still covers this page.
    }
  }
}

/** The page's localStorage, where there is one that can be used. */
export function defaultStorage(): SignOutStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}
