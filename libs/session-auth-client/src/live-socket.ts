import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import {
  SESSIONS_NAMESPACE,
  type SessionClientToServerEvents,
  type SessionServerToClientEvents,
  type SessionSocketAuth,
} from './contract.js';
import type { ConnectionStatus, SessionPayload, SignedOutReason } from './types.js';

export const DEFAULT_NAMESPACE = SESSIONS_NAMESPACE;

export type SessionSocket = Socket<SessionServerToClientEvents, SessionClientToServerEvents>;

/** socket.io-client's `io` (passed in, so an app without the socket does not bundle it). */
export type IoFactory = (uri: string, options?: Partial<ManagerOptions & SocketOptions>) => Socket;

/** What the socket needs from the rest of the client. */
export interface LiveSocketHost {
  /** A token good for a while yet (refreshed if due); rejects when signed out. */
  freshToken(): Promise<string>;
  /** A real refresh now: a live session gets a new token, an ended one is signed out. */
  checkWithServer(): Promise<unknown>;
  currentSessionId(): string | undefined;
  status(status: ConnectionStatus): void;
  /** (Re)connected: events may have been missed meanwhile. */
  connected(): void;
  sessionNew(session: SessionPayload): void;
  sessionsUpdated(sessions: SessionPayload[]): void;
  theftDetected(sessionId: string): void;
  ended(reason: SignedOutReason): void;
}

/** Handshake refusals after which a refreshed token gets in. */
const TOKEN_ERRORS = new Set([
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_INVALID',
  'ACCESS_TOKEN_MISSING',
  'SESSION_REVOKED',
]);
const RETRY_AFTER_REFUSAL_MS = 5_000;

/**
 * The `/sessions` socket of one signed-in session. The server keeps a socket connected past its
 * access token's expiry, so the token only matters at the handshake: `auth` is a function, read at
 * every (re)connection, so a reconnect always presents the current token.
 */
export class LiveSocket {
  private readonly socket: SessionSocket;
  private closed = false;
  private retryTimer?: ReturnType<typeof setTimeout>;

  constructor(
    io: IoFactory,
    url: string,
    options: Partial<ManagerOptions & SocketOptions>,
    private readonly host: LiveSocketHost,
  ) {
    this.socket = io(url, {
      // WebSocket first: every tab keeps a socket, and long-polling ones would hold the browser's
      // six HTTP/1.1 connections per origin (a stalled poll after a network loss blocked the
      // reconnect for seconds in the browser tests). Polling stays the fallback.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelayMax: 10_000,
      ...options,
      auth: (send) => {
        host.freshToken().then(
          (token) => send({ token } satisfies SessionSocketAuth),
          () => send({ token: '' }),
        );
      },
    }) as SessionSocket;
    this.listen();
    host.status('connecting');
  }

  /** A new token arrived: a socket that was refused (and gave up) tries again with it. */
  tokenRefreshed(): void {
    if (!this.closed && !this.socket.connected && !this.socket.active) this.connectNow();
  }

  /** Back online: try at once instead of waiting out socket.io's backoff. */
  online(): void {
    if (this.closed || this.socket.connected) return;
    // connect() alone would wait for the pending backoff timer; a fresh start tries now.
    this.socket.disconnect();
    this.socket.connect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
    this.host.status('closed');
  }

  private listen(): void {
    const { socket, host } = this;
    socket.on('connect', () => {
      host.status('live');
      host.connected();
    });
    socket.on('connect_error', (error) => {
      host.status('reconnecting');
      // A transport failure: socket.io retries by itself (and asks `auth` for the token again).
      if (socket.active) return;
      // Refused at the handshake; the message is the error code. A refresh either gets a good
      // token (and `tokenRefreshed` reconnects) or finds the session over.
      if (TOKEN_ERRORS.has(error.message)) {
        host.checkWithServer().then(
          () => this.connectNow(),
          () => this.retryLater(),
        );
      } else {
        this.retryLater();
      }
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      host.status('reconnecting');
      // The server ends a socket when its session ends (SESSION_TERMINATED usually came first).
      // Ask the refresh endpoint: a live session reconnects, an ended one is signed out.
      if (reason === 'io server disconnect') {
        host.checkWithServer().then(
          () => this.connectNow(),
          () => this.retryLater(),
        );
      }
    });
    socket.on('SESSION_NEW', ({ session }) => host.sessionNew(session));
    socket.on('SESSIONS_UPDATED', ({ sessions }) => host.sessionsUpdated(sessions));
    socket.on('SESSION_TERMINATED', ({ sessionId, reason }) => {
      if (sessionId !== host.currentSessionId()) return;
      // This device's own sign-out reaches the other tabs of this browser as LOGOUT.
      host.ended(reason === 'LOGOUT' ? 'OTHER_TAB_LOGOUT' : reason);
    });
    socket.on('SESSION_REUSE_DETECTED', ({ sessionId }) => host.theftDetected(sessionId));
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connectNow(), RETRY_AFTER_REFUSAL_MS);
  }

  private connectNow(): void {
    if (!this.closed && !this.socket.connected) this.socket.connect();
  }
}
