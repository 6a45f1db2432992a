// No imports here: the socket contract (and browser code through it) uses this type.

/** Why a session ended. */
export type RevokeReason =
  | 'LOGOUT'
  | 'TERMINATED'
  | 'TERMINATED_OTHERS'
  | 'TERMINATED_ALL'
  | 'REUSE_DETECTED'
  | 'EXPIRED'
  | 'SESSION_LIMIT'
  | 'PASSWORD_CHANGED';

/**
 * A session ended for expiry needs no cache update and no announcement: every cached state carries
 * the expiry it was read with, which can only be earlier than the stored one (a refresh that
 * extends it drops the cached copy), so every instance refuses the session already. This keeps the
 * cleanup of a million expired sessions from writing a million cache entries.
 */
export function endedByExpiry(reason: RevokeReason): boolean {
  return reason === 'EXPIRED';
}
