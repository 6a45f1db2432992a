import type { RevokedSession } from '../persistence/session.repository.js';
import type { RevokeReason } from '../persistence/revoke-reason.js';

/** Sessions another instance revoked, as this one learned them (from the rows, never the message). */
export type RevokedElsewhere = (sessions: (RevokedSession & { reason: RevokeReason })[]) => void;

/**
 * Revocation as one capability: everything that must happen after a revocation commits so that
 * every instance refuses the sessions by the time the revoking request answers. It owns marking
 * the cache, when this process's own copies of session state may be trusted (only while it hears
 * every revocation), the announcements and the instances' presence and acknowledgements (signed),
 * the relay to local sockets, and catching up after a gap (re-marking from PostgreSQL). Messages
 * from other instances are hints: what they name is re-read from PostgreSQL before anything is
 * marked.
 *
 * Two implementations: one for a single process (an embedded PostgreSQL with one connection and
 * no Redis: nobody else to tell), one for several instances (PostgreSQL LISTEN/NOTIFY, and Redis
 * when configured).
 */
export interface RevocationPropagator {
  /**
   * After `sessions` were revoked (committed): marks them revoked in the cache and waits, bounded
   * by `revocationAckTimeoutMs`, until every other live instance confirms it refuses them; an
   * instance that does not (or stopped listening moments ago) is logged and counted.
   */
  propagate(sessions: RevokedSession[]): Promise<void>;
  /**
   * `sessionIds` were found already revoked (a retried revoke): their news may never have gone
   * out, so those that PostgreSQL says are revoked (and belong to `userId`) are propagated again.
   */
  reaffirm(sessionIds: string[], userId: string): Promise<void>;
  /** Registers `listener` for revocations made by other instances (the gateway ends their sockets). */
  onRevokedElsewhere(listener: RevokedElsewhere): void;
}

/** Injection token of the RevocationPropagator. */
export const RevocationPropagator = Symbol('RevocationPropagator');
