import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisSessionCache } from './redis-session-cache.js';
import { eventually, sleep } from '../test-fakes/timing.js';

/**
 * Runs against the real Redis the e2e tests use (REDIS_URL, default 127.0.0.1:6379), under a key
 * prefix of its own that is deleted afterwards.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sa-unit-${randomBytes(6).toString('hex')}:`;

/** Every client this file opens, including the adapter's own subscriber connections. */
const opened: Redis[] = [];

/** A client tuned like the library's own: no offline queue, one retry, fast reconnects. */
function client(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 500,
    retryStrategy: () => 20,
    // A socket that does not close after disconnect() is destroyed after this, not after 2 s.
    disconnectTimeout: 50,
    ...options,
  });
  redis.on('error', () => undefined);
  track(redis);
  return redis;
}

/** Records the connections the adapter duplicates from `redis`, so none outlives the file. */
function track(redis: Redis): void {
  opened.push(redis);
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    const copy = duplicate(...args);
    opened.push(copy);
    return copy;
  };
}

function ready(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis at ${REDIS_URL} is not reachable`)),
      3000,
    );
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Polls `check` every 10 ms until it answers true (this file's conditions are predicates). */
function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  return eventually(
    async () => {
      if (!(await check())) throw new Error('condition not met in time');
    },
    { timeoutMs, intervalMs: 10 },
  );
}

/** The adapter's shutdown hook, bounded so a test cannot hang on it. */
/** A cache over a connected client answers once it has reconciled (here: nothing to reconcile). */
async function started(cache: RedisSessionCache): Promise<RedisSessionCache> {
  await cache.ping();
  await until(async () => cache.isAvailable());
  return cache;
}

async function shutdown(cache: RedisSessionCache): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((resolve) => (timer = setTimeout(resolve, 500)));
  await Promise.race([cache.onApplicationShutdown(), bound]);
  clearTimeout(timer);
}

async function deleteRunKeys(redis: Redis): Promise<void> {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
}

describe('RedisSessionCache', () => {
  let admin: Redis;

  beforeAll(async () => {
    // The outage tests make the adapter log warnings on purpose; keep the output readable.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    admin = client(REDIS_URL, { enableOfflineQueue: true });
    await ready(admin);
  });

  afterAll(async () => {
    await deleteRunKeys(admin);
    for (const redis of opened) if (redis.status !== 'end') redis.disconnect();
    jest.restoreAllMocks();
  });

  describe('against a live Redis', () => {
    let redis: Redis;
    let cache: RedisSessionCache;

    beforeAll(async () => {
      redis = client(REDIS_URL);
      await ready(redis);
      cache = await started(new RedisSessionCache(redis, PREFIX));
    });

    afterAll(async () => {
      await shutdown(cache);
      await redis.quit();
    });

    it('is the available redis backend once the client is ready', async () => {
      expect(cache.kind).toBe('redis');
      expect(cache.isAvailable()).toBe(true);
      await expect(cache.ping()).resolves.toBe(true);
    });

    it('reconciles before answering when the reconciler is registered after it connected', async () => {
      const late = await started(new RedisSessionCache(redis, PREFIX));
      let finish!: () => void;
      const reconciling = new Promise<void>((resolve) => (finish = resolve));
      await late.set('session:late', 'active', 60_000);

      late.reconcileWith(() => reconciling);

      await expect(late.get('session:late')).resolves.toBeUndefined();
      finish();
      await until(async () => late.isAvailable());
      await expect(late.get('session:late')).resolves.toBe('active');
      await shutdown(late);
    });

    it('sets with a millisecond TTL under the prefix and gets it back', async () => {
      await expect(cache.set('session:a', 'value-a', 60_000)).resolves.toBe(true);

      await expect(cache.get('session:a')).resolves.toBe('value-a');
      await expect(admin.get(`${PREFIX}session:a`)).resolves.toBe('value-a');
      const ttl = await admin.pttl(`${PREFIX}session:a`);
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('answers null (not undefined) for a missing key', async () => {
      await expect(cache.get('missing')).resolves.toBeNull();
      await expect(cache.get('session:missing')).resolves.toBeNull();
    });

    it('lets a short TTL expire', async () => {
      await cache.set('short', 'v', 20);
      await sleep(60);

      await expect(cache.get('short')).resolves.toBeNull();
    });

    it('rounds a fractional or zero TTL up instead of failing', async () => {
      await expect(cache.set('fraction', 'v', 1500.4)).resolves.toBe(true);
      await expect(cache.set('zero', 'v', 0)).resolves.toBe(true);
      expect(await admin.pttl(`${PREFIX}fraction`)).toBeGreaterThan(1400);
    });

    it('setIfAbsent sets once, then refuses while the key exists', async () => {
      await expect(cache.setIfAbsent('lock', 'me', 60_000)).resolves.toBe(true);
      await expect(cache.setIfAbsent('lock', 'you', 60_000)).resolves.toBe(false);

      await expect(cache.get('lock')).resolves.toBe('me');
    });

    it('deletes several keys at once', async () => {
      await cache.set('d1', '1', 60_000);
      await cache.set('session:d2', '2', 60_000);
      await cache.set('d3', '3', 60_000);

      await cache.delete('d1', 'session:d2', 'never-set');

      expect(await admin.exists(`${PREFIX}d1`, `${PREFIX}session:d2`, `${PREFIX}d3`)).toBe(1);
      await expect(cache.get('session:d2')).resolves.toBeNull();
    });

    it('compareAndDelete deletes only while the key holds the value', async () => {
      await cache.set('cad', 'token-a', 60_000);

      await expect(cache.compareAndDelete('cad', 'token-b')).resolves.toBe(false);
      await expect(cache.get('cad')).resolves.toBe('token-a');
      await expect(cache.compareAndDelete('cad', 'token-a')).resolves.toBe(true);
      await expect(cache.get('cad')).resolves.toBeNull();
      await expect(cache.compareAndDelete('cad', 'token-a')).resolves.toBe(false);
    });

    it('compareAndExpire sets a new TTL only while the key holds the value', async () => {
      await cache.set('cae', 'token-a', 1000);

      await expect(cache.compareAndExpire('cae', 'token-b', 60_000)).resolves.toBe(false);
      expect(await admin.pttl(`${PREFIX}cae`)).toBeLessThanOrEqual(1000);

      await expect(cache.compareAndExpire('cae', 'token-a', 60_000)).resolves.toBe(true);
      expect(await admin.pttl(`${PREFIX}cae`)).toBeGreaterThan(59_000);

      await expect(cache.compareAndExpire('never-set', 'x', 60_000)).resolves.toBe(false);
    });

    it('a reply error answers undefined without declaring an outage', async () => {
      await admin.set(`${PREFIX}not-a-counter`, 'text');

      await expect(cache.increment('not-a-counter', 60_000)).resolves.toBeUndefined();
      expect(cache.isAvailable()).toBe(true);
    });

    it('increment counts with the TTL set by the first hit only', async () => {
      const first = await cache.increment('counter', 60_000);
      await admin.pexpire(`${PREFIX}counter`, 30_000);
      const second = await cache.increment('counter', 60_000);

      expect(first?.count).toBe(1);
      expect(first?.ttlMs).toBeGreaterThan(59_000);
      expect(second?.count).toBe(2);
      expect(second?.ttlMs).toBeGreaterThan(29_000);
      expect(second?.ttlMs).toBeLessThanOrEqual(30_000);
    });

    it('reads keys outside session:* from Redis every time (no in-process copy)', async () => {
      await cache.set('touch:x', '1', 60_000);
      await expect(cache.get('touch:x')).resolves.toBe('1');

      await admin.set(`${PREFIX}touch:x`, '2', 'PX', 60_000);

      await expect(cache.get('touch:x')).resolves.toBe('2');
    });
  });

  describe('two instances sharing one Redis', () => {
    let clientA: Redis;
    let clientB: Redis;
    let a: RedisSessionCache;
    let b: RedisSessionCache;

    beforeAll(async () => {
      clientA = client(REDIS_URL);
      clientB = client(REDIS_URL);
      await Promise.all([ready(clientA), ready(clientB)]);
      a = await started(new RedisSessionCache(clientA, PREFIX));
      b = await started(new RedisSessionCache(clientB, PREFIX));
      // Let both subscribe to the invalidation channel, so B really keeps in-process copies.
      await sleep(100);
    });

    afterAll(async () => {
      await Promise.all([shutdown(a), shutdown(b)]);
      await Promise.all([clientA.quit(), clientB.quit()]);
    });

    it('shows a revocation written on one instance to the other within a second', async () => {
      await a.set('session:shared', '{"revoked":false}', 60_000);
      await expect(b.get('session:shared')).resolves.toBe('{"revoked":false}');
      await expect(b.get('session:shared')).resolves.toBe('{"revoked":false}');

      const written = Date.now();
      await a.set('session:shared', '{"revoked":true}', 60_000);

      await until(async () => (await b.get('session:shared')) === '{"revoked":true}', 1000);
      expect(Date.now() - written).toBeLessThan(1000);
    });

    it('shows a delete on one instance to the other within a second', async () => {
      await a.set('session:gone', 'active', 60_000);
      await expect(b.get('session:gone')).resolves.toBe('active');

      await a.delete('session:gone');

      await until(async () => (await b.get('session:gone')) === null, 1000);
    });

    it('shows a compare-and-delete on one instance to the other (and drops its own copy)', async () => {
      await a.set('session:cad', 'active', 60_000);
      await expect(a.get('session:cad')).resolves.toBe('active');
      await expect(b.get('session:cad')).resolves.toBe('active');

      await expect(a.compareAndDelete('session:cad', 'active')).resolves.toBe(true);

      await expect(a.get('session:cad')).resolves.toBeNull();
      await until(async () => (await b.get('session:cad')) === null, 1000);
    });

    it('never lets a reader put back a value that a concurrent writer replaced', async () => {
      await a.set('session:race', 'active', 60_000);
      // B's read and A's write race; afterwards B must agree with Redis.
      await Promise.all([b.get('session:race'), a.set('session:race', 'revoked', 60_000)]);

      await until(async () => (await b.get('session:race')) === 'revoked', 1000);
    });
  });

  describe('with Redis unreachable', () => {
    let redis: Redis;
    let cache: RedisSessionCache;

    beforeAll(() => {
      redis = new Redis('redis://127.0.0.1:1', {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        lazyConnect: false,
        retryStrategy: () => null,
        disconnectTimeout: 50,
      });
      redis.on('error', () => undefined);
      track(redis);
      cache = new RedisSessionCache(redis, PREFIX);
    });

    afterAll(() => shutdown(cache));

    it('answers every method at once with "could not answer", never throwing', async () => {
      const started = Date.now();

      await expect(cache.get('session:k')).resolves.toBeUndefined();
      await expect(cache.get('k')).resolves.toBeUndefined();
      await expect(cache.set('k', 'v', 1000)).resolves.toBe(false);
      await expect(cache.setIfAbsent('k', 'v', 1000)).resolves.toBeUndefined();
      await expect(cache.delete('k', 'session:l')).resolves.toBeUndefined();
      await expect(cache.compareAndDelete('k', 'v')).resolves.toBeUndefined();
      await expect(cache.compareAndExpire('k', 'v', 1000)).resolves.toBeUndefined();
      await expect(cache.increment('k', 1000)).resolves.toBeUndefined();
      await expect(cache.ping()).resolves.toBe(false);
      expect(cache.isAvailable()).toBe(false);
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('stays that way after the connection attempt has failed', async () => {
      await until(async () => redis.status === 'end' || redis.status === 'close');

      await expect(cache.get('session:k')).resolves.toBeUndefined();
      await expect(cache.increment('k', 1000)).resolves.toBeUndefined();
      expect(cache.isAvailable()).toBe(false);
    });
  });

  describe('with a Redis that accepts connections but never answers', () => {
    let server: Server;
    let redis: Redis;
    const sockets = new Set<Socket>();
    let firstOpened: number;

    beforeAll(async () => {
      firstOpened = opened.length;
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      // Without the ready check and CLIENT SETINFO, the client is "ready" once the socket connects.
      redis = client(`redis://127.0.0.1:${port}`, {
        enableReadyCheck: false,
        disableClientInfo: true,
      });
      await ready(redis);
    });

    afterAll(async () => {
      // QUIT would never be answered here: drop this block's connections outright.
      for (const redis of opened.slice(firstOpened)) redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up after commandTimeoutMs and reports itself unavailable', async () => {
      const cache = new RedisSessionCache(redis, PREFIX, 50);

      await expect(cache.ping()).resolves.toBe(false);
      await expect(cache.get('k')).resolves.toBeUndefined();
      await expect(cache.set('k', 'v', 1000)).resolves.toBe(false);

      expect(cache.isAvailable()).toBe(false);
    });
  });

  describe('through an outage and back', () => {
    let proxy: Server;
    let port: number;
    const links = new Set<Socket>();
    let redis: Redis;
    let cache: RedisSessionCache;

    /** A TCP proxy to the real Redis that the test can cut and restore. */
    function startProxy(listenPort: number): Promise<void> {
      const { hostname, port: redisPort } = new URL(REDIS_URL);
      proxy = createServer((inbound) => {
        const outbound = connect(Number(redisPort || 6379), hostname);
        for (const [from, to] of [
          [inbound, outbound],
          [outbound, inbound],
        ]) {
          links.add(from);
          from.pipe(to);
          from.on('error', () => to.destroy());
          from.on('close', () => {
            links.delete(from);
            to.destroy();
          });
        }
      });
      return new Promise((resolve) => proxy.listen(listenPort, '127.0.0.1', resolve));
    }

    function cutProxy(): Promise<void> {
      for (const socket of links) socket.destroy();
      return new Promise((resolve) => proxy.close(() => resolve()));
    }

    beforeAll(async () => {
      await startProxy(0);
      port = (proxy.address() as { port: number }).port;
      redis = client(`redis://127.0.0.1:${port}`);
      await ready(redis);
      cache = new RedisSessionCache(redis, PREFIX);
      cache.reconcileWith(() => reconciler());
      await started(cache);
    });

    /** What the cache runs before answering again; a test may swap in one that waits. */
    let reconciler: () => Promise<void> = async () => undefined;

    afterAll(async () => {
      await shutdown(cache);
      redis.disconnect();
      if (proxy.listening) await cutProxy();
    });

    it('replays deletes that failed during the outage once Redis is back', async () => {
      await cache.set('session:revoked-meanwhile', 'active', 60_000);
      await expect(cache.get('session:revoked-meanwhile')).resolves.toBe('active');

      await cutProxy();
      await until(async () => redis.status !== 'ready');

      await expect(cache.get('session:revoked-meanwhile')).resolves.toBeUndefined();
      await cache.delete('session:revoked-meanwhile');
      expect(cache.isAvailable()).toBe(false);
      // The delete did not reach Redis: the stale entry is still there.
      await expect(admin.get(`${PREFIX}session:revoked-meanwhile`)).resolves.toBe('active');

      await startProxy(port);
      await until(async () => cache.isAvailable());
      await until(async () => (await admin.get(`${PREFIX}session:revoked-meanwhile`)) === null);

      await expect(cache.get('session:revoked-meanwhile')).resolves.toBeNull();
      await expect(cache.set('after', 'v', 60_000)).resolves.toBe(true);
    });

    it('answers no read from Redis after an outage until the reconciler has finished', async () => {
      await cache.set('session:kept-through-outage', 'active', 60_000);
      await expect(cache.get('session:kept-through-outage')).resolves.toBe('active');
      let finish!: () => void;
      const reconciling = new Promise<void>((resolve) => (finish = resolve));
      let reconcilerRan = false;
      reconciler = async () => {
        reconcilerRan = true;
        await reconciling;
      };

      await cutProxy();
      await until(async () => redis.status !== 'ready');
      await expect(cache.get('session:kept-through-outage')).resolves.toBeUndefined();
      await startProxy(port);
      await until(async () => redis.status === 'ready' && reconcilerRan);

      // Redis is back and still holds the entry, but nothing is served from it yet.
      await expect(admin.get(`${PREFIX}session:kept-through-outage`)).resolves.toBe('active');
      await expect(cache.get('session:kept-through-outage')).resolves.toBeUndefined();
      expect(cache.isAvailable()).toBe(false);

      finish();
      await until(async () => cache.isAvailable());
      await expect(cache.get('session:kept-through-outage')).resolves.toBe('active');
      reconciler = async () => undefined;
    });

    it('retries a reconciliation that failed, and serves only once one has succeeded', async () => {
      let attempts = 0;
      reconciler = async () => {
        attempts++;
        if (attempts === 1) throw new Error('PostgreSQL is away');
      };
      await cutProxy();
      await until(async () => redis.status !== 'ready');
      await startProxy(port);

      await until(async () => {
        await cache.get('session:any');
        return cache.isAvailable();
      });
      expect(attempts).toBe(2);
      reconciler = async () => undefined;
    });
  });
});
