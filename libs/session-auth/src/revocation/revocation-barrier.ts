import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { DirectConnection } from '../persistence/direct-connection.js';
import { PostgresRevocationTransport } from './postgres-revocation-transport.js';
import { RedisRevocationTransport } from './redis-revocation-transport.js';
import { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';

/** What became of one confirmation through one transport. */
type Outcome = { missing: string[]; expected: number } | 'not-announced';

/**
 * Makes a revocation read-your-writes across instances: after the sessions are revoked in
 * PostgreSQL and marked in the shared cache, it announces them to every other live instance and
 * waits until each one confirms that it dropped its in-process copies, so that once the revoking
 * request answers, every instance refuses them. The wait is bounded by `revocationAckTimeoutMs`:
 * an instance that does not answer in time (frozen, partitioned, crashed but still counted as
 * present) is named in a warning and counted in `session_auth_revocation_unconfirmed_total`, and
 * the request answers anyway (the instance still learns it through the invalidation feeds).
 *
 * Redis is asked first (while the shared cache answers), PostgreSQL otherwise. An embedded
 * single-connection database has no peers: nothing to wait for.
 */
@Injectable()
export class RevocationBarrier {
  private readonly logger = new Logger('SessionAuthRevocations');
  private readonly transports: RevocationTransport[];

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly peer: RevocationPeer,
    redis: RedisRevocationTransport,
    postgres: PostgresRevocationTransport,
    private readonly metrics: SessionMetrics,
    private readonly database: DirectConnection,
  ) {
    this.transports = [redis, postgres];
  }

  /** Resolves once every other live instance refuses `sessionIds`, or after the bounded wait. */
  async confirm(sessionIds: string[]): Promise<void> {
    const timeoutMs = this.options.revocationAckTimeoutMs;
    if (sessionIds.length === 0 || timeoutMs === 0) return;
    const deadline = performance.now() + timeoutMs;
    const tried: string[] = [];
    for (const transport of this.transports) {
      if (!transport.isReady()) continue;
      const outcome = await this.via(transport, sessionIds, deadline);
      if (outcome === 'not-announced') {
        tried.push(transport.name);
        continue;
      }
      if (outcome.missing.length > 0) {
        this.unconfirmed(
          transport.name,
          sessionIds.length,
          `${outcome.missing.length} of ${outcome.expected} instance(s) did not confirm within ` +
            `${timeoutMs} ms (${outcome.missing.join(', ')})`,
        );
      }
      return;
    }
    // One database connection (an embedded PostgreSQL): one process, nobody else to ask.
    if (tried.length === 0 && this.database.isSingleConnection) return;
    this.unconfirmed(
      'none',
      sessionIds.length,
      tried.length > 0
        ? `announcing through ${tried.join(', then ')} failed or took over ${timeoutMs} ms`
        : 'neither Redis nor PostgreSQL could carry the announcement',
    );
  }

  private async via(
    transport: RevocationTransport,
    sessionIds: string[],
    deadline: number,
  ): Promise<Outcome> {
    const requestId = randomBytes(8).toString('hex');
    // Open before announcing: an ack can come back before the announcement's own reply.
    const acks = this.peer.acks.open(requestId);
    const expected = await beforeDeadline(transport.announce(requestId, sessionIds), deadline);
    if (expected === undefined) {
      acks.close();
      return 'not-announced';
    }
    const missing = await acks.wait(expected, deadline - performance.now());
    return { missing, expected: expected.length };
  }

  private unconfirmed(transport: string, sessions: number, why: string): void {
    this.metrics.revocationsUnconfirmed.inc({ transport });
    this.logger.warn(
      `revocation of ${sessions} session(s) answered unconfirmed via ${transport}: ${why}; ` +
        `those instances may accept the sessions until their invalidation arrives`,
    );
  }
}

/** `promise`'s value, or `undefined` once `deadline` (performance.now() ms) has passed. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - performance.now()), undefined);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
