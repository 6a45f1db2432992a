import type { Access } from './access-token.js';
import { Emitter, type Observable, Store } from './emitter.js';
import type { DeviceKeySupport } from './device-key.js';
import { readJson, urlOf } from './http-transport.js';
import { callWithProof } from './proof-call.js';
import { LiveSocket } from './live-socket.js';
import { PendingSignOut } from './pending-sign-out.js';
import { SessionClientError, signedOutError } from './session-client.error.js';
import { resolveOptions, type SessionClientOptions } from './session-client.options.js';
import { TokenKeeper } from './token-keeper.js';
import type {
  IssuedSession,
  SessionClientEvents,
  SessionItem,
  SessionPayload,
  SessionState,
  SignedOutReason,
} from './types.js';

/** The browser side of nestjs-session-auth for one API (create one per page). */
export interface SessionClient {
  /** Signed in (user and session id), signed out (and why), or `unknown` until `restore()` settles. */
  readonly state: Observable<SessionState>;
  /**
   * Whether this page can bind its sessions to a device key (WebCrypto and IndexedDB), and if not,
   * why; `{ supported: false }` too with the option `deviceKey: false`.
   */
  readonly deviceKey: DeviceKeySupport;
  /** On page load: resumes the session from the refresh cookie, if there is one. */
  restore(): Promise<SessionState>;
  /**
   * POSTs `body` as JSON to the app's sign-in route (option `signInPath`); resolves with its
   * answer (without any refresh token). Sends a pending sign-out first.
   */
  signIn<T extends IssuedSession = IssuedSession>(body: object): Promise<T>;
  /** POSTs `body` as JSON to the app's sign-up route (option `signUpPath`), like `signIn`. */
  signUp<T extends IssuedSession = IssuedSession>(body: object): Promise<T>;
  /** Takes a session that an app's own route issued (its JSON body: `accessToken`, `session`...). */
  accept(issued: IssuedSession): void;
  /**
   * POST `/auth/logout`, then signed out here and in the other tabs. If the server cannot be
   * reached, the state says `signOutPending: true` and the sign-out is kept (in `storage`) and sent
   * again when the network returns and before any `restore()` or sign-in, in any tab.
   */
  signOut(): Promise<void>;
  /**
   * `fetch` with `Authorization: Bearer <access token>` for the API's origin (and `tokenOrigins`);
   * other URLs are fetched as they are, without the token. After a 401 `ACCESS_TOKEN_EXPIRED` it
   * refreshes (one refresh shared by concurrent calls) and retries, once per request.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** A current access token, for calls the client does not make itself. */
  accessToken(): Promise<string>;
  /** GET `/auth/sessions`, this device's session marked `current`. */
  sessions(): Promise<SessionItem[]>;
  /** Signs another device out (DELETE `/auth/sessions/:id`). */
  signOutDevice(sessionId: string): Promise<void>;
  /** Signs every other device out. */
  signOutOthers(): Promise<void>;
  /** Signs every device out, this one too. */
  signOutAll(): Promise<void>;
  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof SessionClientEvents>(
    event: K,
    listener: (payload: SessionClientEvents[K]) => void,
  ): () => void;
  /** Stops timers, the socket and the tab channel (the session itself lives on). */
  close(): void;
}

const RETRYABLE_CODES = new Set(['ACCESS_TOKEN_EXPIRED', 'ACCESS_TOKEN_INVALID']);

export function createSessionClient(options: SessionClientOptions = {}): SessionClient {
  const config = resolveOptions(options);
  const { transport, authPath } = config;
  const state = new Store<SessionState>({ status: 'unknown' });
  const signOuts = new PendingSignOut(
    transport,
    `${authPath}/logout`,
    config.storage,
    `nestjs-session-auth:sign-out:${config.scope}`,
  );
  const events = new Emitter<SessionClientEvents>();
  let live: LiveSocket | undefined;
  /** Counts pushed lists, so a list reloaded over HTTP never overwrites a newer pushed one. */
  let pushedLists = 0;

  const mark = (session: SessionPayload): SessionItem => ({
    ...session,
    current: session.id === keeper.current?.sessionId,
  });

  const keeper: TokenKeeper = new TokenKeeper(config, {
    onAccess(access: Access, previous: Access | undefined) {
      if (previous?.sessionId === access.sessionId) return live?.tokenRefreshed();
      live?.close();
      live = undefined;
      state.set({ status: 'signed-in', userId: access.userId, sessionId: access.sessionId });
      if (config.socket && keeper.current === access) live = openSocket(config.socket);
    },
    onEnded(reason, sessionId) {
      live?.close();
      live = undefined;
      // The key was this session's: a thief who copies it from here later finds nothing.
      if (sessionId) void config.deviceKey?.forget();
      signedOut(reason);
      if (!reason || !sessionId) return;
      // Theft of this session, whether the socket or a refused refresh told it.
      if (reason === 'REUSE_DETECTED') events.emit('theftDetected', { sessionId, current: true });
      events.emit('signedOut', { reason, sessionId });
    },
  });

  function openSocket(socket: NonNullable<typeof config.socket>): LiveSocket {
    return new LiveSocket(socket.io, socket.url, socket.options, {
      freshToken: () => keeper.freshToken(),
      checkWithServer: () =>
        keeper.current ? keeper.refresh(keeper.current.token) : Promise.reject(signedOutError()),
      currentSessionId: () => keeper.current?.sessionId,
      status: (status) => events.emit('connection', status),
      connected: () => {
        const at = pushedLists;
        client.sessions().then(
          (sessions) => at === pushedLists && events.emit('sessionsUpdated', { sessions }),
          () => undefined,
        );
      },
      sessionNew: (session) => events.emit('sessionNew', { session: mark(session) }),
      sessionsUpdated: (sessions) => {
        pushedLists++;
        events.emit('sessionsUpdated', { sessions: sessions.map(mark) });
      },
      theftDetected: (sessionId) => {
        if (sessionId === keeper.current?.sessionId) keeper.end('REUSE_DETECTED');
        else events.emit('theftDetected', { sessionId, current: false });
      },
      ended: (reason) => keeper.end(reason),
    });
  }

  /** Signed out, and whether a sign-out still waits for the server (the state shows it). */
  function signedOut(reason: SignedOutReason | undefined): void {
    state.set({ status: 'signed-out', reason, ...(signOuts.pending && { signOutPending: true }) });
  }

  /** Sends a pending sign-out again; rejects with its failure while it stays pending. */
  async function settleSignOut(): Promise<void> {
    // Nothing pending: no state change to announce (a signed-out page must not redraw its form).
    if (!signOuts.pending) return;
    const failed = await signOuts.flush();
    const now = state.get();
    if (now.status === 'signed-out') signedOut(now.reason);
    else if (failed && now.status === 'unknown') signedOut(undefined);
    if (failed) throw failed;
  }

  async function issue<T extends IssuedSession>(
    path: string | undefined,
    option: string,
    body: object,
  ): Promise<T> {
    if (path === undefined) {
      throw new TypeError(`Set the ${option} option to the app's route (the library serves none).`);
    }
    // A retried sign-out after this sign-in would end the new session (it goes by the cookie).
    await settleSignOut();
    const generation = keeper.generation;
    const key = config.deviceKey;
    const { refreshToken: _dropped, ...answer } = await callWithProof<
      T & { refreshToken?: string }
    >(transport, key, await key?.forSignIn(), 'POST', path, { body });
    // A sign-out or another sign-in meanwhile wins over this late answer.
    if (generation === keeper.generation) {
      await key?.adopted();
      adopt(answer);
    }
    return answer as unknown as T;
  }

  function adopt(issued: IssuedSession): void {
    signOuts.forget();
    keeper.adopt(issued);
  }

  /** Ends this device's session after a call that ended it, unless its socket already told it. */
  function endIfStill(sessionId: string | undefined, reason: SignedOutReason): void {
    if (sessionId !== undefined && keeper.current?.sessionId === sessionId)
      keeper.end(reason, true);
  }

  async function authorized(method: string, path: string): Promise<Response> {
    return client.fetch(urlOf(transport, path), { method, credentials: transport.credentials });
  }

  // Background tabs' timers are throttled, and retries back off while offline: catch up as soon
  // as the tab is seen again or the network returns.
  const onOnline = (): void => {
    keeper.networkBack();
    live?.online();
    settleSignOut().catch(() => undefined);
  };
  const onVisible = (): void => {
    if (globalThis.document?.visibilityState === 'visible') keeper.catchUp();
  };
  globalThis.addEventListener?.('online', onOnline);
  globalThis.document?.addEventListener('visibilitychange', onVisible);

  const client: SessionClient = {
    state,
    deviceKey: config.deviceKey?.support ?? { supported: false, reason: 'deviceKey: false' },

    async restore() {
      if (keeper.current) return state.get();
      // Restoring before an owed sign-out reached the server would revive the ended session.
      await settleSignOut();
      try {
        await keeper.refresh(undefined);
      } catch (error) {
        if (state.get().status === 'unknown') state.set({ status: 'signed-out' });
        if (!(error instanceof SessionClientError) || error.transient) throw error;
      }
      return state.get();
    },

    signIn: (body) => issue(config.signInPath, 'signInPath', body),
    signUp: (body) => issue(config.signUpPath, 'signUpPath', body),
    accept: (issued) => adopt(issued),

    async signOut() {
      if (!keeper.current) return settleSignOut().catch(() => undefined);
      // This device's own SESSION_TERMINATED is no news to it.
      live?.close();
      // No refresh first: the server ends the session from the refresh cookie if the token expired.
      await signOuts.send(keeper.current.token);
      keeper.end('LOGOUT', true);
    },

    async fetch(input, init) {
      const request = new Request(
        typeof input === 'string' ? urlOf(transport, input) : input,
        init,
      );
      if (!config.tokenAllowed(request.url)) return transport.fetch(request);
      const send = (token: string): Promise<Response> => {
        const attempt = request.clone();
        attempt.headers.set('Authorization', `Bearer ${token}`);
        return transport.fetch(attempt);
      };
      const token = await keeper.freshToken();
      const first = await send(token);
      if (first.status !== 401) return first;
      const code = await first
        .clone()
        .json()
        .then((body: { code?: unknown } | null) => body?.code)
        .catch(() => undefined);
      if (typeof code === 'string' && RETRYABLE_CODES.has(code)) {
        return send((await keeper.refresh(token)).token);
      }
      if (code === 'SESSION_REVOKED' && keeper.current?.token === token) keeper.end('REVOKED');
      return first;
    },

    accessToken: () => keeper.freshToken(),

    async sessions() {
      const list = await readJson<SessionPayload[]>(
        await authorized('GET', `${authPath}/sessions`),
      );
      return list.map(mark);
    },

    async signOutDevice(sessionId) {
      await readJson(
        await authorized('DELETE', `${authPath}/sessions/${encodeURIComponent(sessionId)}`),
      );
      endIfStill(sessionId, 'LOGOUT');
    },

    async signOutOthers() {
      await readJson(await authorized('DELETE', `${authPath}/sessions?scope=others`));
    },

    async signOutAll() {
      // The socket stays open until the server has answered: if the call fails, nothing ended.
      const sessionId = keeper.current?.sessionId;
      await readJson(await authorized('DELETE', `${authPath}/sessions?scope=all`));
      endIfStill(sessionId, 'TERMINATED_ALL');
    },

    on: (event, listener) => events.on(event, listener),

    close() {
      live?.close();
      live = undefined;
      keeper.close();
      globalThis.removeEventListener?.('online', onOnline);
      globalThis.document?.removeEventListener('visibilitychange', onVisible);
    },
  };
  return client;
}
