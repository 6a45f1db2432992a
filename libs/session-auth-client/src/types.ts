import type { SessionEndReason, SessionView } from './contract.js';

/**
 * A session as the server sends it. SESSIONS_UPDATED goes once to all of a user's devices, so its
 * items carry no `current` flag; GET /auth/sessions does. The client never relies on it.
 */
export type SessionPayload = Omit<SessionView, 'current'> & { current?: boolean };

/** A session in the client's lists: `current` marks this device's session (by session id). */
export type SessionItem = Omit<SessionView, 'current'> & { current: boolean };

/** What sign-in, sign-up and refresh answer with (a refresh token in the body is ignored). */
export interface IssuedSession {
  accessToken: string;
  accessTokenExpiresAt: string;
  session: SessionPayload;
}

/** Why this device is no longer signed in. */
export type SignedOutReason =
  /** The server's reasons (SESSION_TERMINATED): `TERMINATED`, `REUSE_DETECTED` (theft), `EXPIRED`... */
  | SessionEndReason
  /** Another tab of this browser signed this device out. */
  | 'OTHER_TAB_LOGOUT'
  /** The server refused the session without saying why (e.g. it ended while this page was offline). */
  | 'REVOKED';

/** The signed-in user and session, or why there is none; `unknown` until `restore()` settles. */
export type SessionState =
  | { readonly status: 'unknown' }
  | { readonly status: 'signed-in'; readonly userId: string; readonly sessionId: string }
  | {
      readonly status: 'signed-out';
      readonly reason?: SignedOutReason;
      /**
       * Set while a sign-out has not reached the server (offline, server down): the session may
       * still be alive there. The client sends it again when the network returns and before any
       * `restore()` or sign-in.
       */
      readonly signOutPending?: true;
    };

/** The live socket: `live` once connected, `reconnecting` after a loss, `closed` when signed out. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** The client's events and their payloads. */
export interface SessionClientEvents {
  /** Another sign-in of this user (SESSION_NEW). */
  sessionNew: { session: SessionItem };
  /** The user's live sessions: pushed after any change, and reloaded after every (re)connect. */
  sessionsUpdated: { sessions: SessionItem[] };
  /** This device's session ended: terminated elsewhere, expired, theft, signed out in another tab. */
  signedOut: { reason: SignedOutReason; sessionId: string };
  /** A refresh token of one of the user's sessions was replayed; that session has been ended. */
  theftDetected: { sessionId: string; current: boolean };
  /** The live socket's status. */
  connection: ConnectionStatus;
}
