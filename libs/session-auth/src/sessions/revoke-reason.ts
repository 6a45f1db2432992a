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
