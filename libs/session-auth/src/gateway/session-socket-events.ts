/**
 * The socket contract of the `/sessions` namespace, as types only: browser code and any app can
 * import this file (`import type`) to type a socket.io client without retyping payloads.
 */
import type { TheftCause } from '../binding/theft-cause.js';
import type { RevokeReason } from '../persistence/revoke-reason.js';
import type { SessionListItem, SessionView } from '../sessions/session-view.type.js';

export type { SessionListItem, SessionView, TheftCause };

/** Namespace of the session gateway. */
export const SESSIONS_NAMESPACE = '/sessions';

/** Why a session ended, as sent in SESSION_TERMINATED. */
export type SessionEndReason = RevokeReason;

/** Server-to-client events (a `socket.io` `ServerToClientEvents` map). */
export interface SessionServerToClientEvents {
  /** A new sign-in of the same user, to all of the user's devices. */
  SESSION_NEW: (payload: { session: SessionView }) => void;
  /** This socket's session ended; the server disconnects the socket right after. */
  SESSION_TERMINATED: (payload: { sessionId: string; reason: SessionEndReason }) => void;
  /**
   * The user's live sessions after any change: one message to all of the user's devices, so the
   * items carry no `current`; each client marks its own session by id.
   */
  SESSIONS_UPDATED: (payload: { sessions: SessionListItem[] }) => void;
  /**
   * A spent refresh token was presented again, or a device-bound session's token came without its
   * device key (`cause: 'device-key-mismatch'`): likely theft; that session has been ended.
   */
  SESSION_REUSE_DETECTED: (payload: { sessionId: string; cause?: TheftCause }) => void;
}

/** Client-to-server events: none; the gateway never trusts ids sent by a client. */
export type SessionClientToServerEvents = Record<string, never>;

/** The handshake: `io(url + '/sessions', { auth: { token: accessToken } })`. */
export interface SessionSocketAuth {
  token: string;
}
