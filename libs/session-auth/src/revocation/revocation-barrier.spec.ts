import { testPeer } from '../test-fakes/revocation-peer.js';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { SessionMetrics } from '../metrics/session-metrics.js';
import type { DirectConnection } from '../persistence/direct-connection.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { PostgresRevocationTransport } from './postgres-revocation-transport.js';
import type { RedisRevocationTransport } from './redis-revocation-transport.js';
import { RevocationBarrier } from './revocation-barrier.js';
import type { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';

/**
 * A transport whose peers are simulated: `answering` ack each announcement after `delayMs`, the
 * others never do; `expected` is what the announcement reports as present.
 */
class FakeTransport implements RevocationTransport {
  ready = true;
  fails = false;
  expected: string[] = [];
  answering: string[] = [];
  delayMs = 0;
  readonly announced: { requestId: string; sessionIds: string[] }[] = [];

  constructor(
    readonly name: 'redis' | 'postgres',
    private readonly peer: RevocationPeer,
  ) {}

  isReady(): boolean {
    return this.ready;
  }

  async announce(requestId: string, sessionIds: string[]): Promise<string[] | undefined> {
    this.announced.push({ requestId, sessionIds });
    if (this.fails) return undefined;
    for (const id of this.answering) {
      setTimeout(() => this.peer.acks.ack(requestId, id), this.delayMs);
    }
    return this.expected;
  }
}

function setup({ timeoutMs = 250, singleConnection = false } = {}) {
  const peer = testPeer();
  const redis = new FakeTransport('redis', peer);
  const postgres = new FakeTransport('postgres', peer);
  const unconfirmed = jest.fn((_labels?: object) => undefined);
  const metrics = { revocationsUnconfirmed: { inc: unconfirmed } } as unknown as SessionMetrics;
  const options = resolveSessionAuthOptions({
    jwtSecret: 'x'.repeat(32),
    revocationAckTimeoutMs: timeoutMs,
  });
  const barrier = new RevocationBarrier(
    options,
    peer,
    redis as unknown as RedisRevocationTransport,
    postgres as unknown as PostgresRevocationTransport,
    metrics,
    { isSingleConnection: singleConnection } as DirectConnection,
  );
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return { barrier, peer, redis, postgres, unconfirmed, warn };
}

/** Milliseconds `promise` took. */
async function timed(promise: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await promise;
  return performance.now() - started;
}

afterEach(() => jest.restoreAllMocks());

describe('RevocationBarrier', () => {
  it('answers once every present instance has acked, through Redis first', async () => {
    const { barrier, peer, redis, postgres, unconfirmed, warn } = setup();
    redis.expected = ['b', 'c'];
    redis.answering = ['b', 'c'];
    redis.delayMs = 20;

    const ms = await timed(barrier.confirm(['s1', 's2']));

    expect(ms).toBeGreaterThanOrEqual(15);
    expect(ms).toBeLessThan(200);
    expect(redis.announced).toEqual([{ requestId: expect.any(String), sessionIds: ['s1', 's2'] }]);
    expect(postgres.announced).toEqual([]);
    expect(unconfirmed).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(peer.acks.openRequests).toBe(0);
  });

  it('answers after the bounded wait when an instance never acks, and logs and counts it', async () => {
    const { barrier, redis, unconfirmed, warn } = setup({ timeoutMs: 100 });
    redis.expected = ['b', 'ghost'];
    redis.answering = ['b'];

    const ms = await timed(barrier.confirm(['s1']));

    expect(ms).toBeGreaterThanOrEqual(95);
    expect(ms).toBeLessThan(400);
    expect(unconfirmed).toHaveBeenCalledWith({ transport: 'redis' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/1 of 2 instance\(s\).*ghost/));
  });

  it.each([
    ['is not ready', (redis: FakeTransport) => (redis.ready = false), 0],
    ['fails to announce', (redis: FakeTransport) => (redis.fails = true), 1],
  ])('uses PostgreSQL when Redis %s', async (_case, breakRedis, redisAnnouncements) => {
    const { barrier, redis, postgres, unconfirmed } = setup();
    breakRedis(redis);
    postgres.expected = ['b'];
    postgres.answering = ['b'];

    await barrier.confirm(['s1']);

    expect(redis.announced).toHaveLength(redisAnnouncements);
    expect(postgres.announced).toHaveLength(1);
    expect(unconfirmed).not.toHaveBeenCalled();
  });

  it('counts a revocation that no transport could announce', async () => {
    const { barrier, redis, postgres, unconfirmed, warn } = setup();
    redis.ready = false;
    postgres.fails = true;

    await barrier.confirm(['s1']);

    expect(unconfirmed).toHaveBeenCalledWith({ transport: 'none' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/announcing through postgres failed/));
  });

  it('waits for nobody with no other instance present', async () => {
    const { barrier, unconfirmed } = setup();

    expect(await timed(barrier.confirm(['s1']))).toBeLessThan(50);
    expect(unconfirmed).not.toHaveBeenCalled();
  });

  it('waits for nobody on a single-connection database without Redis (one process)', async () => {
    const { barrier, redis, postgres, unconfirmed } = setup({ singleConnection: true });
    redis.ready = false;
    postgres.ready = false;

    await barrier.confirm(['s1']);

    expect(unconfirmed).not.toHaveBeenCalled();
  });

  it('does not wait at all with revocationAckTimeoutMs 0, or for no sessions', async () => {
    const off = setup({ timeoutMs: 0 });
    off.redis.expected = ['ghost'];
    await off.barrier.confirm(['s1']);
    expect(off.redis.announced).toEqual([]);

    const none = setup();
    await none.barrier.confirm([]);
    expect(none.redis.announced).toEqual([]);
  });

  it('keeps the whole wait within the bound even when the announcement itself hangs', async () => {
    const { barrier, redis, postgres, unconfirmed } = setup({ timeoutMs: 80 });
    redis.announce = () => new Promise<string[] | undefined>(() => undefined);
    postgres.expected = ['b'];

    const ms = await timed(barrier.confirm(['s1']));

    expect(ms).toBeLessThan(300);
    expect(unconfirmed).toHaveBeenCalledTimes(1);
  });
});
