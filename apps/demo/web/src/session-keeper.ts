import type { SessionEndReason } from 'nestjs-session-auth/socket-events';
import { ApiError, type IssuedAccess, request, toIssuedAccess } from './api.js';

/**
 * Holds the access token (in memory only: never in storage, never in the DOM), refreshes it before
 * it expires through the HttpOnly refresh cookie, and coordinates that with the page's other tabs.
 *
 * Tabs of one browser share one refresh cookie, so they are one device and one session. Two of
 * them rotating the cookie at the same moment would present the same refresh token twice; the
 * server's grace window answers such a retry with the same successor, but a late answer could
 * still put an older cookie back. So refreshes are serialised across tabs with the Web Locks API
 * (`session-refresh`): inside the lock a tab first checks whether another tab has just refreshed
 * (the new access token arrives over a BroadcastChannel) and only otherwise calls /auth/refresh,
 * which then always sends the newest cookie. Where Web Locks are missing (plain http on a LAN
 * address is not a secure context) the grace window alone keeps concurrent refreshes safe.
 */

/** Why the page no longer has a session (the socket's reasons plus what the page itself learns). */
export type EndReason =
  | SessionEndReason
  /** Another tab of this browser signed out. */
  | 'OTHER_TAB_LOGOUT'
  /** The server refused the session without saying why (e.g. ended while this page was offline). */
  | 'REVOKED'
  /** No refresh cookie: nobody is signed in on this browser. */
  | 'NO_SESSION';

export interface Access {
  token: string;
  sessionId: string;
  /** Local clock time the token was issued at (tabs of one browser share the clock). */
  receivedAt: number;
  lifetimeMs: number;
}

type TabMessage = { type: 'access'; access: Access } | { type: 'signed-out'; sessionId: string };

export interface SessionKeeperEvents {
  /** A session starts on this page (sign-in, restore, or another tab's sign-in). */
  onSignedIn(access: Access): void;
  /** The session is over; the page goes back to the sign-in form. */
  onEnded(reason: EndReason): void;
}

const LOCK_NAME = 'session-refresh';
const CHANNEL_NAME = 'session-auth-demo';
/** A tab never waits longer than this for another tab's refresh; then it refreshes on its own. */
const LOCK_WAIT_MS = 20_000;
const HANDOVER_MS = 50;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export class SessionKeeper {
  private access?: Access;
  private inFlight?: Promise<Access>;
  private timer?: ReturnType<typeof setTimeout>;
  private retries = 0;
  /** Bumped when a session ends, so an answer that arrives later cannot bring it back. */
  private epoch = 0;
  private readonly channel?: BroadcastChannel;

  constructor(private readonly events: SessionKeeperEvents) {
    if ('BroadcastChannel' in window) {
      this.channel = new BroadcastChannel(CHANNEL_NAME);
      this.channel.onmessage = (event: MessageEvent<TabMessage>) => this.onTabMessage(event.data);
    }
    const catchUp = (): void => {
      if (this.access && this.isDue(this.access))
        void this.refresh(this.access.token).catch(() => undefined);
    };
    // Background tabs' timers are throttled, and retries back off while offline: catch up as soon
    // as the tab is seen again or the network returns.
    document.addEventListener(
      'visibilitychange',
      () => document.visibilityState === 'visible' && catchUp(),
    );
    window.addEventListener('online', catchUp);
  }

  get signedIn(): boolean {
    return this.access !== undefined;
  }

  get sessionId(): string | undefined {
    return this.access?.sessionId;
  }

  /** On page load: restore the session from the refresh cookie, if there is one. */
  async restore(): Promise<void> {
    await this.refresh(undefined);
  }

  /** POST /auth/login or /auth/register; the refresh token in the body (transport `both`) is dropped. */
  async signIn<T extends IssuedAccess>(
    path: '/auth/login' | '/auth/register',
    body: object,
  ): Promise<T> {
    const epoch = this.epoch;
    const answer = await request<T>('POST', path, { body });
    if (epoch === this.epoch) this.adopt(toIssuedAccess(answer), true);
    return answer;
  }

  /** A token that is good for a while yet: the current one, or a refreshed one. */
  async freshToken(): Promise<string> {
    if (!this.access) throw new ApiError(401, 'SIGNED_OUT', 'You are signed out.');
    if (!this.isDue(this.access)) return this.access.token;
    return (await this.refresh(this.access.token)).token;
  }

  /**
   * A request with the access token; an expired or refused token is refreshed once and the request
   * retried. A refused session ends the page's session.
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.freshToken();
    try {
      return await request<T>(method, path, { token, body });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      if (error.code === 'ACCESS_TOKEN_EXPIRED' || error.code === 'ACCESS_TOKEN_INVALID') {
        const access = await this.refresh(token);
        return request<T>(method, path, { token: access.token, body });
      }
      if (error.code === 'SESSION_REVOKED') this.end('REVOKED');
      throw error;
    }
  }

  /**
   * Refreshes unless another tab already replaced `staleToken` with a fresh token. One refresh per
   * tab at a time; across tabs one at a time (Web Locks).
   */
  refresh(staleToken: string | undefined): Promise<Access> {
    this.inFlight ??= this.refreshLocked(staleToken).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** A real refresh now (unless another tab just did one): settles whether the session still lives. */
  checkWithServer(): Promise<Access> {
    return this.refresh(this.access?.token);
  }

  /** Signs this device out (POST /auth/logout) and tells the other tabs. */
  async signOut(): Promise<void> {
    const access = this.access;
    if (!access) return;
    try {
      await request('POST', '/auth/logout', { token: await this.freshToken() });
    } catch {
      // Already ended elsewhere or offline: the page forgets the token either way.
    }
    this.post({ type: 'signed-out', sessionId: access.sessionId });
    this.end('LOGOUT');
  }

  /** Forgets the session (the server side is already over) and tells the page. */
  end(reason: EndReason): void {
    this.epoch++;
    this.access = undefined;
    this.retries = 0;
    clearTimeout(this.timer);
    this.events.onEnded(reason);
  }

  private async refreshLocked(staleToken: string | undefined): Promise<Access> {
    const epoch = this.epoch;
    const run = async (): Promise<Access> => {
      // While this tab waited for the lock, another tab may have refreshed and sent its token.
      const current = this.access;
      if (current && current.token !== staleToken && !this.isDue(current)) return current;
      const answer = await request<IssuedAccess>('POST', '/auth/refresh');
      if (epoch !== this.epoch) throw new ApiError(401, 'SIGNED_OUT', 'You are signed out.');
      const access = this.adopt(toIssuedAccess(answer), true);
      // Hold the lock a moment longer, so the token reaches the other tabs before the next one
      // is granted the lock (and need not refresh again).
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_MS));
      return access;
    };
    try {
      const access = await this.withRefreshLock(run);
      this.retries = 0;
      return access;
    } catch (error) {
      if (error instanceof ApiError && !error.transient && error.code !== 'SIGNED_OUT') {
        if (epoch === this.epoch) this.end(endReasonOfRefreshError(error.code));
      } else if (this.access) {
        // Offline or rate limited: keep the session and try again with backoff.
        this.schedule(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.retries++));
      }
      throw error;
    }
  }

  private async withRefreshLock<T>(run: () => Promise<T>): Promise<T> {
    if (!navigator.locks) return run();
    try {
      return await navigator.locks.request(
        LOCK_NAME,
        { signal: AbortSignal.timeout(LOCK_WAIT_MS) },
        run,
      );
    } catch (error) {
      // Only a lock that was never granted lands here as a DOMException; errors of `run` pass on.
      if (
        error instanceof DOMException &&
        (error.name === 'TimeoutError' || error.name === 'AbortError')
      ) {
        return run();
      }
      throw error;
    }
  }

  private adopt(issued: IssuedAccess, announce: boolean): Access {
    const receivedAt = Date.now();
    const access: Access = {
      token: issued.accessToken,
      sessionId: issued.session.id,
      receivedAt,
      lifetimeMs: lifetimeOf(issued, receivedAt),
    };
    this.take(access);
    if (announce) this.post({ type: 'access', access });
    return access;
  }

  private take(access: Access): void {
    const previous = this.access;
    this.access = access;
    // A little jitter, so the tabs' timers do not all fire at once: the first one refreshes and
    // the others receive its token before theirs fire.
    const jitter = Math.random() * Math.min(access.lifetimeMs / 20, 2_000);
    this.schedule(Math.max(0, this.dueAt(access) - Date.now()) + jitter);
    if (previous?.sessionId !== access.sessionId) this.events.onSignedIn(access);
  }

  private onTabMessage(message: TabMessage): void {
    if (message.type === 'access') {
      const current = this.access;
      const newer =
        !current ||
        current.sessionId !== message.access.sessionId ||
        this.expiresAt(message.access) > this.expiresAt(current);
      if (newer) this.take(message.access);
    } else if (message.type === 'signed-out' && message.sessionId === this.access?.sessionId) {
      this.end('OTHER_TAB_LOGOUT');
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.access) void this.refresh(this.access.token).catch(() => undefined);
    }, delayMs);
  }

  private post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }

  private expiresAt(access: Access): number {
    return access.receivedAt + access.lifetimeMs;
  }

  /** Refresh a quarter of the lifetime early (between 1 s and 1 min, never more than half of it). */
  private dueAt(access: Access): number {
    const lead = Math.min(Math.max(access.lifetimeMs / 4, 1_000), 60_000, access.lifetimeMs / 2);
    return this.expiresAt(access) - lead;
  }

  private isDue(access: Access): boolean {
    return Date.now() >= this.dueAt(access);
  }
}

/**
 * The token's lifetime from its own `iat`/`exp`, measured on the local clock from when it arrived,
 * so a browser clock that is off does not matter. Falls back to the server's expiry time.
 */
function lifetimeOf(issued: IssuedAccess, receivedAt: number): number {
  try {
    const payload = issued.accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const { iat, exp } = JSON.parse(atob(payload)) as { iat?: unknown; exp?: unknown };
    if (typeof iat === 'number' && typeof exp === 'number' && exp > iat) return (exp - iat) * 1000;
  } catch {
    // Not a JWT we can read: use the expiry the server sent.
  }
  return Math.max(1_000, Date.parse(issued.accessTokenExpiresAt) - receivedAt);
}

function endReasonOfRefreshError(code: string): EndReason {
  switch (code) {
    case 'REFRESH_TOKEN_MISSING':
      return 'NO_SESSION';
    case 'REFRESH_TOKEN_REUSED':
      return 'REUSE_DETECTED';
    case 'REFRESH_TOKEN_EXPIRED':
      return 'EXPIRED';
    default:
      return 'REVOKED';
  }
}
