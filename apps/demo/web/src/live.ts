import { io, type Socket } from 'socket.io-client';
import type {
  SESSIONS_NAMESPACE,
  SessionClientToServerEvents,
  SessionServerToClientEvents,
  SessionSocketAuth,
} from 'nestjs-session-auth/socket-events';
import type { SessionKeeper } from './session-keeper.js';

/** Type-checked against the library's constant, without importing any of its runtime code. */
const NAMESPACE: typeof SESSIONS_NAMESPACE = '/sessions';

export type SessionSocket = Socket<SessionServerToClientEvents, SessionClientToServerEvents>;

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers extends SessionServerToClientEvents {
  /** (Re)connected: events may have been missed meanwhile, so reload what they would have changed. */
  onConnected(): void;
  onStatus(status: LiveStatus): void;
}

/** Handshake refusals after which a refreshed token gets in. */
const TOKEN_ERRORS = new Set([
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_INVALID',
  'ACCESS_TOKEN_MISSING',
]);
const RETRY_AFTER_REFUSAL_MS = 5_000;

/**
 * The `/sessions` socket. The server keeps it connected past the access token's expiry; the token
 * is read at each (re)connection, so a reconnect after a network loss uses the current one.
 */
export function connectLive(keeper: SessionKeeper, handlers: LiveHandlers): () => void {
  let closed = false;
  const socket: SessionSocket = io(NAMESPACE, {
    auth: (send) => {
      keeper.freshToken().then(
        (token) => send({ token } satisfies SessionSocketAuth),
        () => send({ token: '' }),
      );
    },
    reconnectionDelayMax: 10_000,
  });

  socket.on('connect', () => {
    handlers.onStatus('live');
    handlers.onConnected();
  });
  socket.on('connect_error', (error) => {
    handlers.onStatus('reconnecting');
    // A transport failure: socket.io retries by itself (and asks `auth` for the token again).
    if (socket.active) return;
    // Refused at the handshake; the message is the error code.
    const retry = (): void => {
      if (!closed) socket.connect();
    };
    if (TOKEN_ERRORS.has(error.message) || error.message === 'SESSION_REVOKED') {
      // A refresh either gets a good token or finds the session over (and the keeper ends it).
      keeper.checkWithServer().then(retry, () => setTimeout(retry, RETRY_AFTER_REFUSAL_MS));
    } else {
      setTimeout(retry, RETRY_AFTER_REFUSAL_MS);
    }
  });
  socket.on('disconnect', (reason) => {
    if (closed) return;
    handlers.onStatus('reconnecting');
    if (reason === 'io server disconnect') {
      // The server ends a socket when its session ends (SESSION_TERMINATED usually came first).
      // Ask the refresh endpoint: a live session reconnects, an ended one ends the page's session.
      keeper.checkWithServer().then(
        () => !closed && socket.connect(),
        () => undefined,
      );
    }
  });

  socket.on('SESSION_NEW', (payload) => handlers.SESSION_NEW(payload));
  socket.on('SESSIONS_UPDATED', (payload) => handlers.SESSIONS_UPDATED(payload));
  socket.on('SESSION_TERMINATED', (payload) => handlers.SESSION_TERMINATED(payload));
  socket.on('SESSION_REUSE_DETECTED', (payload) => handlers.SESSION_REUSE_DETECTED(payload));

  // Back online: try at once instead of waiting out socket.io's backoff.
  const onOnline = (): void => {
    if (closed || socket.connected) return;
    // connect() alone would wait for the pending backoff timer; a fresh start tries now.
    socket.disconnect();
    socket.connect();
  };
  window.addEventListener('online', onOnline);

  handlers.onStatus('connecting');
  return () => {
    closed = true;
    window.removeEventListener('online', onOnline);
    socket.disconnect();
  };
}
