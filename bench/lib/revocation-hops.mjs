// Where a revocation's time goes, seen from outside the instances: this process LISTENs on the
// revocation channel of PostgreSQL (the NOTIFY sent when A's UPDATE commits) and subscribes to
// the revocation channels of Redis (A's signed announcement, B's signed ack), and stamps each
// message with performance.now() as it arrives. A trial's hops are then: DELETE sent -> commit
// heard -> announcement heard -> ack heard -> 204 received. Messages are only read, never checked
// or answered (the observer holds no key); it is one more subscriber, so A waits for nobody new.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REDIS_URL } from './context.mjs';

const REVOCATION_CHANNEL = 'session_auth_revoked';

export class RevocationHops {
  /** session id -> time its revoking UPDATE's NOTIFY arrived. */
  #commits = new Map();
  /** session id -> { requestId, at } of the first announcement that named it. */
  #announcements = new Map();
  /** request id -> time of the first ack. */
  #acks = new Map();
  #pg;
  #redis;

  static async start(scenario) {
    const hops = new RevocationHops();
    await hops.#listen(scenario);
    return hops;
  }

  async #listen({ databaseUrl, redisPrefix }) {
    this.#pg = new pg.Client({ connectionString: databaseUrl });
    this.#pg.on('error', () => undefined);
    await this.#pg.connect();
    this.#pg.on('notification', ({ channel, payload = '' }) => {
      if (channel !== REVOCATION_CHANNEL) return;
      const at = performance.now();
      for (const id of payload.split(',')) if (!this.#commits.has(id)) this.#commits.set(id, at);
    });
    await this.#pg.query(`LISTEN ${REVOCATION_CHANNEL}`);

    this.#redis = new Redis(REDIS_URL, { lazyConnect: true });
    this.#redis.on('error', () => undefined);
    await this.#redis.connect();
    const announce = `${redisPrefix}revocation:announce`;
    this.#redis.on('pmessage', (_pattern, channel, message) => {
      const at = performance.now();
      // "<request id> <instance id> <ids>" (announce) or "<request id> <instance id>" (ack), then the MAC.
      const [requestId, , ids] = message.split(' ');
      if (channel === announce) {
        for (const id of ids.split(','))
          if (!this.#announcements.has(id)) this.#announcements.set(id, { requestId, at });
      } else if (!this.#acks.has(requestId)) {
        this.#acks.set(requestId, at);
      }
    });
    await this.#redis.psubscribe(`${redisPrefix}revocation:*`);
  }

  /**
   * The hops of the revocation of `sessionId` whose DELETE was sent at `sentAt` and answered at
   * `answeredAt` (performance.now() ms), or the part seen (a missing message leaves its hops out).
   */
  of(sessionId, sentAt, answeredAt) {
    const committed = this.#commits.get(sessionId);
    const announced = this.#announcements.get(sessionId);
    const acked = announced && this.#acks.get(announced.requestId);
    const between = (from, to) => (from !== undefined && to !== undefined ? to - from : undefined);
    return {
      toCommit: between(sentAt, committed),
      commitToAnnounce: between(committed, announced?.at),
      announceToAck: between(announced?.at, acked),
      ackToAnswer: between(acked, answeredAt),
    };
  }

  async stop() {
    await Promise.allSettled([this.#pg?.end(), this.#redis?.quit()]);
  }
}
