import type { RevokeReason } from '../persistence/revoke-reason.js';
import type { SessionView } from '../sessions/session-view.type.js';
import type { TheftCause } from '../binding/theft-cause.js';

/** Names of the application events emitted through `@nestjs/event-emitter`. */
export const SessionEvents = {
  CREATED: 'session.created',
  ROTATED: 'session.rotated',
  TERMINATED: 'session.terminated',
  REUSE_DETECTED: 'session.reuse_detected',
} as const;

/** Payload of `session.created`: a sign-in. */
export interface SessionCreatedEvent {
  userId: string;
  session: SessionView;
  /** Sessions evicted by `maxSessionsPerUser` to make room for this one. */
  evictedSessionIds: string[];
}

/** Payload of `session.rotated`: a refresh token was rotated. */
export interface SessionRotatedEvent {
  userId: string;
  sessionId: string;
}

/** Payload of `session.terminated`: sessions of one user ended, and why. */
export interface SessionTerminatedEvent {
  userId: string;
  sessionIds: string[];
  reason: RevokeReason;
}

/**
 * Payload of `session.reuse_detected`: a spent refresh token came back after the grace window, or a
 * bound session's token came without its device key (likely theft).
 */
export interface SessionReuseDetectedEvent {
  userId: string;
  /** The session whose spent token was presented again. */
  sessionId: string;
  /** Every session revoked in response (one, or all of the user's with `revokeAllOnReuse`). */
  revokedSessionIds: string[];
  /** Why: a spent token came back, or a bound session's token came without its device key. */
  cause: TheftCause;
  ip?: string;
  userAgent?: string;
}
