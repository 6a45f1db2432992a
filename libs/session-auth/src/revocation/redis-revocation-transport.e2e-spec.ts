import { randomUUID } from 'node:crypto';
import { testPeer } from '../test-fakes/revocation-peer.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnection } from '../redis/redis-connection.js';
import type { SessionCache } from '../cache/session-cache.interface.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { SessionStateService } from '../cache/session-state.service.js';
import { RedisRevocationTransport } from './redis-revocation-transport.js';
import type { RevocationPeer } from './revocation-peer.js';

/**
 * Two "instances" in one process, each with its own connection, talking through the real Redis the
 * e2e tests use (REDIS_URL, default 127.0.0.1:6379) under a prefix of their own.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sa-unit-${randomBytes(6).toString('hex')}:`;
const PRESENCE_KEY = `${PREFIX}revocation:instances`;

interface Instance {
  transport: RedisRevocationTransport;
  peer: RevocationPeer;
  dropped: string[][];
  redis: Redis;
}

const started: Instance[] = [];

async function startInstance(): Promise<Instance> {
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const options = resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32), redisKeyPrefix: PREFIX });
  const dropped: string[][] = [];
  const cache = { kind: 'redis', isAvailable: () => true } as unknown as SessionCache;
  const state = {
    dropLocalStates: (ids: string[]) => dropped.push(ids),
  } as unknown as SessionStateService;
  const peer = testPeer();
  const transport = new RedisRevocationTransport(
    new RedisConnection(redis, false),
    options,
    cache,
    state,
    peer,
  );
  await transport.onApplicationBootstrap();
  const instance = { transport, peer, dropped, redis };
  started.push(instance);
  return instance;
}

async function stopInstance(instance: Instance): Promise<void> {
  started.splice(started.indexOf(instance), 1);
  await instance.transport.beforeApplicationShutdown();
  await instance.transport.onApplicationShutdown();
  if (instance.redis.status !== 'end') await instance.redis.quit();
}

afterAll(async () => {
  await Promise.all([...started].map(stopInstance));
  const admin = new Redis(REDIS_URL);
  await admin.del(PRESENCE_KEY);
  await admin.quit();
});

describe('RedisRevocationTransport', () => {
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await Promise.all([startInstance(), startInstance()]);
  });

  it('is ready and present once bootstrapped', async () => {
    expect(a.transport.isReady()).toBe(true);
    const members = await a.redis.zrange(PRESENCE_KEY, 0, -1);
    expect(members.sort()).toEqual([a.peer.instanceId, b.peer.instanceId].sort());
  });

  it('announces to every other present instance, which drops its copies and acks', async () => {
    const acks = a.peer.acks.open('r1');

    const ids = [randomUUID(), randomUUID()];
    const expected = await a.transport.announce('r1', [...ids, '../../y']);

    expect(expected).toEqual([b.peer.instanceId]);
    await expect(acks.wait(expected!, 2000)).resolves.toEqual([]);
    // Only uuids name a cache key.
    expect(b.dropped).toContainEqual(ids);
    // The announcer itself dropped its copies before announcing: it does not answer itself.
    expect(a.dropped).toEqual([]);
  });

  it('leaves out an entry whose heartbeat lapsed (a crashed instance)', async () => {
    await a.redis.zadd(PRESENCE_KEY, 1, 'crashed-long-ago');

    const expected = await a.transport.announce('r2', ['s3']);

    expect(expected).toEqual([b.peer.instanceId]);
    expect(await a.redis.zscore(PRESENCE_KEY, 'crashed-long-ago')).toBeNull();
  });

  it('lists an instance that is present but does not answer, so the barrier can time it out', async () => {
    const future = Date.now() + 60_000;
    await a.redis.zadd(PRESENCE_KEY, future, 'frozen');
    const acks = a.peer.acks.open('r3');

    const expected = await a.transport.announce('r3', ['s4']);

    expect(expected!.sort()).toEqual([b.peer.instanceId, 'frozen'].sort());
    await expect(acks.wait(expected!, 200)).resolves.toEqual(['frozen']);
    await a.redis.zrem(PRESENCE_KEY, 'frozen');
  });

  it('takes itself out of the presence set on shutdown', async () => {
    const c = await startInstance();
    expect(await a.redis.zscore(PRESENCE_KEY, c.peer.instanceId)).not.toBeNull();

    await stopInstance(c);

    expect(await a.redis.zscore(PRESENCE_KEY, c.peer.instanceId)).toBeNull();
    expect(await a.transport.announce('r4', ['s5'])).toEqual([b.peer.instanceId]);
  });

  it('is not ready (so PostgreSQL carries it) without a Redis client', () => {
    const options = resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32) });
    const cache = { kind: 'memory', isAvailable: () => true } as unknown as SessionCache;
    const transport = new RedisRevocationTransport(
      new RedisConnection(undefined, false),
      options,
      cache,
      {} as SessionStateService,
      testPeer(),
    );

    expect(transport.isReady()).toBe(false);
  });
});
