import { type Access, accessOf, dueAt, expiresAt } from './access-token.js';
import type { DeviceKey } from './device-key.js';
import type { HttpTransport } from './http-transport.js';
import { callWithProof } from './proof-call.js';
import { SessionClientError, signedOutError } from './session-client.error.js';
import { TabChannel, type TabMessage } from './tab-channel.js';
import type { IssuedSession, SignedOutReason } from './types.js';

export interface TokenKeeperEvents {
  /** A new access token: sign-in, refresh, restore, or one handed over by another tab. */
  onAccess(access: Access, previous: Access | undefined): void;
  /** The session is over (or, on restore, there is none); `reason` is unset when there was none. */
  onEnded(reason: SignedOutReason | undefined, sessionId: string | undefined): void;
}

export interface TokenKeeperOptions {
  transport: HttpTransport;
  refreshPath: string;
  lockName: string;
  channelName: string;
  /** Signs every refresh's proof, when the session has a device key. */
  deviceKey?: DeviceKey;
}

/** Holding the lock a moment longer lets the token reach the other tabs before the next is granted it. */
const HANDOVER_MS = 50;
const RETRY_MIN_MS = 1_000;
/** Abort reason of a refresh request sent again because the network came back. */
const NETWORK_BACK = 'network-back';
const RETRY_MAX_MS = 30_000;

/**
 * The access token's life: held in memory only, refreshed before it expires (with jitter, so tabs
 * do not all wake at once), one refresh at a time per tab and across tabs, retried with backoff
 * while the network is gone, and forgotten when the server refuses the session.
 */
export class TokenKeeper {
  private access?: Access;
  private inFlight?: Promise<Access>;
  private timer?: ReturnType<typeof setTimeout>;
  private retries = 0;
  /** After a transient failure: no new refresh before this time (the last failure is repeated). */
  private backoffUntil = 0;
  private lastFailure?: unknown;
  /** Aborts the refresh request on the wire, if any. */
  private pending?: AbortController;
  /** Bumped when a session ends, so an answer that arrives later cannot bring it back. */
  private epoch = 0;
  private readonly tabs: TabChannel;

  constructor(
    private readonly options: TokenKeeperOptions,
    private readonly events: TokenKeeperEvents,
  ) {
    this.tabs = new TabChannel(options.lockName, options.channelName, (message) =>
      this.onTabMessage(message),
    );
  }

  get current(): Access | undefined {
    return this.access;
  }

  /** Takes a freshly issued session (sign-in, sign-up, an app's own route) and tells the other tabs. */
  adopt(issued: IssuedSession): Access {
    this.epoch++;
    return this.take(accessOf(issued, Date.now()), true);
  }

  /** Changes whenever a session starts or ends: a late answer compares it before it counts. */
  get generation(): number {
    return this.epoch;
  }

  /** A token that is good for a while yet: the current one, or a refreshed one. */
  async freshToken(): Promise<string> {
    if (!this.access) throw signedOutError();
    if (Date.now() < dueAt(this.access)) return this.access.token;
    return (await this.refresh(this.access.token)).token;
  }

  /**
   * Refreshes unless another tab (or an earlier call) already replaced `staleToken` with a token
   * that is not yet due. Concurrent callers share one refresh.
   */
  refresh(staleToken: string | undefined): Promise<Access> {
    // A struggling or unreachable server gets one refresh per backoff step, not one per call.
    if (!this.inFlight && this.access && Date.now() < this.backoffUntil) {
      return Promise.reject(this.lastFailure);
    }
    this.inFlight ??= this.refreshExclusive(staleToken).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Refreshes now if the token is due (timers of background tabs are throttled; the network may be back). */
  catchUp(): void {
    if (this.access && Date.now() >= dueAt(this.access)) this.refreshQuietly();
  }

  /**
   * The network is back. A refresh request sent around the loss may hang on a dead connection
   * (holding the tabs' lock) until it times out: send it again now, and refresh if one is due.
   */
  networkBack(): void {
    this.retries = 0;
    this.backoffUntil = 0;
    if (this.pending) this.pending.abort(NETWORK_BACK);
    else this.catchUp();
  }

  /** Forgets the session; `announce` tells this browser's other tabs that it signed out. */
  end(reason: SignedOutReason | undefined, announce = false): void {
    const sessionId = this.access?.sessionId;
    if (announce && sessionId) this.tabs.post({ type: 'signed-out', sessionId });
    this.epoch++;
    this.access = undefined;
    this.retries = 0;
    this.backoffUntil = 0;
    clearTimeout(this.timer);
    this.events.onEnded(reason, sessionId);
  }

  close(): void {
    clearTimeout(this.timer);
    this.epoch++;
    this.tabs.close();
  }

  private async refreshExclusive(staleToken: string | undefined): Promise<Access> {
    const epoch = this.epoch;
    const work = async (): Promise<Access> => {
      // While this tab waited for the lock, another tab may have refreshed and sent its token.
      const current = this.access;
      if (current && current.token !== staleToken && Date.now() < dueAt(current)) return current;
      const issued = await this.requestRefresh();
      if (epoch !== this.epoch) throw signedOutError();
      const access = this.take(accessOf(issued, Date.now()), true);
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_MS));
      return access;
    };
    try {
      return await this.tabs.exclusive(work);
    } catch (error) {
      if (epoch !== this.epoch) throw error;
      if (error instanceof SessionClientError && !error.transient) {
        this.end(reasonOfRefusal(error.code, this.access !== undefined));
      } else if (this.access) {
        // Offline, overloaded or rate limited: the session stays; try again with backoff.
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.retries++);
        this.backoffUntil = Date.now() + delay;
        this.lastFailure = error;
        this.schedule(delay);
      }
      throw error;
    }
  }

  /** POST to the refresh route; sent again (not failed) when `networkBack` aborts it. */
  private async requestRefresh(): Promise<IssuedSession> {
    for (;;) {
      const controller = new AbortController();
      this.pending = controller;
      try {
        const key = this.options.deviceKey;
        return await callWithProof<IssuedSession>(
          this.options.transport,
          key,
          await key?.current(),
          'POST',
          this.options.refreshPath,
          { signal: controller.signal },
        );
      } catch (error) {
        if (controller.signal.reason !== NETWORK_BACK) throw error;
      } finally {
        if (this.pending === controller) this.pending = undefined;
      }
    }
  }

  private take(access: Access, announce: boolean): Access {
    const previous = this.access;
    this.access = access;
    // A new token (this tab's or another's) ends any backoff: the server answers again.
    this.retries = 0;
    this.backoffUntil = 0;
    // Jitter, so the tabs' timers do not fire together: the first refreshes, the rest get its token.
    const jitter = Math.random() * Math.min(access.lifetimeMs / 20, 2_000);
    this.schedule(Math.max(0, dueAt(access) - Date.now()) + jitter);
    if (announce) this.tabs.post({ type: 'access', access });
    this.events.onAccess(access, previous);
    return access;
  }

  private onTabMessage(message: TabMessage): void {
    const current = this.access;
    if (message.type === 'access') {
      const newer =
        !current ||
        current.sessionId !== message.access.sessionId ||
        (message.access.token !== current.token && expiresAt(message.access) >= expiresAt(current));
      if (newer) {
        if (current?.sessionId !== message.access.sessionId) this.epoch++;
        this.take(message.access, false);
      }
    } else if (message.sessionId === current?.sessionId) {
      this.end('OTHER_TAB_LOGOUT');
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refreshQuietly(), delayMs);
  }

  /** A refresh nobody awaits: its failures already end the session or schedule a retry. */
  private refreshQuietly(): void {
    if (this.access) this.refresh(this.access.token).catch(() => undefined);
  }
}

/** Why a refused refresh ends the session. With no session yet (restore), a missing cookie is no news. */
function reasonOfRefusal(code: string, signedIn: boolean): SignedOutReason | undefined {
  switch (code) {
    case 'REFRESH_TOKEN_MISSING':
      return signedIn ? 'REVOKED' : undefined;
    case 'REFRESH_TOKEN_REUSED':
      return 'REUSE_DETECTED';
    case 'REFRESH_TOKEN_EXPIRED':
      return 'EXPIRED';
    default:
      return 'REVOKED';
  }
}
