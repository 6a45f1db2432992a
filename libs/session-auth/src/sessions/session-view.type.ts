// No imports here: browser code type-checks the socket contract through this file.

/** A session as clients see it: no token material, no other user's data. */
export interface SessionView {
  id: string;
  deviceName: string | null;
  browser: string | null;
  os: string | null;
  ip: string | null;
  createdAt: string;
  lastActiveAt: string;
  /** Bound to a device key (DPoP or DBSC): its refresh token is worthless off that device. */
  deviceBound: boolean;
  /**
   * How the key was registered: `'dpop'` (the client package's WebCrypto key) or `'dbsc'` (the
   * browser's own key, Device Bound Session Credentials); `null` when not bound.
   */
  deviceKeySource: 'dpop' | 'dbsc' | null;
  current: boolean;
}

/**
 * A session as listed to all of a user's devices at once (SESSIONS_UPDATED): the same view without
 * `current`, since one message serves every device; each client marks its own session by id.
 */
export type SessionListItem = Omit<SessionView, 'current'>;
