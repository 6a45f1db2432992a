import { jest } from '@jest/globals';
import { SessionStateService } from '../cache/session-state.service.js';
import { type Clock, SYSTEM_CLOCK } from '../clock/database-clock.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { SessionAuthOptions } from '../config/session-auth.options.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import type { SessionRepository } from '../persistence/session.repository.js';
import { SessionVerifier } from '../sessions/session-verifier.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { disabledMetrics } from './disabled-metrics.js';
import { FakeSessionCache } from './fake-session-cache.js';

/** The secret of the fixture's access tokens. */
export const TEST_JWT_SECRET = 'verifier-fixture-secret-that-is-long-enough';

/**
 * The real SessionVerifier, SessionStateService and AccessTokenService (HS256 under a test
 * secret) over a FakeSessionCache and an in-memory "table" that stands in for the two methods of
 * SessionRepository the verifier reaches (`findById`, `touch`). `failReads` makes every row read
 * throw (a database that does not answer).
 */
export function verifierOverFakes(extra: SessionAuthOptions = {}, clock: Clock = SYSTEM_CLOCK) {
  const options = resolveSessionAuthOptions({
    jwtSecret: TEST_JWT_SECRET,
    bcryptRounds: 4,
    ...extra,
  });
  const cache = new FakeSessionCache();
  const rows = new Map<string, SessionEntity>();
  const db = { reads: 0, failReads: undefined as Error | undefined };
  const findById = async (id: string) => {
    db.reads++;
    if (db.failReads) throw db.failReads;
    return rows.get(id);
  };
  const touch = jest.fn<SessionRepository['touch']>(async () => undefined);
  const revoke = jest.fn<SessionRepository['revoke']>(async () => []);
  const repository = { touch, revoke, findById } as unknown as SessionRepository;
  const metrics = disabledMetrics();
  const state = new SessionStateService(cache, repository, metrics, clock);
  const accessTokens = new AccessTokenService(options, clock);
  const verifier = new SessionVerifier(options, cache, repository, state, accessTokens, clock);
  return {
    verifier,
    options,
    cache,
    rows,
    db,
    repository,
    touch,
    revoke,
    state,
    metrics,
    accessTokens,
    /** A valid access token of `userId`'s session `sessionId`. */
    tokenFor: (userId: string, sessionId: string) => accessTokens.sign(userId, sessionId).token,
  };
}
