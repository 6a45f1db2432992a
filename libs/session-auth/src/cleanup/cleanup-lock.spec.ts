import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DirectClient, DirectConnection } from '../persistence/direct-connection.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { CleanupLock } from './cleanup-lock.js';

const TTL_MS = 30_000;

/** A PostgreSQL connection that answers the advisory-lock statements as told, and logs them. */
class FakeClient implements DirectClient {
  readonly statements: string[] = [];
  released: boolean | undefined;
  locked = true;
  failOn: RegExp | undefined;

  async query(sql: string): Promise<{ rows: any[] }> {
    this.statements.push(sql);
    if (this.failOn?.test(sql)) throw new Error('connection terminated');
    return { rows: sql.includes('pg_try_advisory_lock') ? [{ locked: this.locked }] : [] };
  }

  on(): void {}

  release(destroy = false): void {
    this.released = destroy;
  }
}

function setup() {
  const cache = new FakeSessionCache();
  const client = new FakeClient();
  const direct = { connect: async () => client } as unknown as DirectConnection;
  return { cache, client, lock: new CleanupLock(cache, direct) };
}

describe('CleanupLock', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  describe('with the cache answering (Redis)', () => {
    it('takes the key with a random token for the TTL, and only one holder at a time', async () => {
      const { cache, lock } = setup();

      const first = await lock.tryAcquire(TTL_MS);
      const second = await lock.tryAcquire(TTL_MS);

      expect(first?.via).toBe('redis');
      expect(second).toBeUndefined();
      const [, key, token, ttl] = cache.calls.find(([method]) => method === 'setIfAbsent')!;
      expect(key).toBe('lock:cleanup');
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(ttl).toBe(TTL_MS);
      await first?.release();
    });

    it('release frees it for the next run, by compare-and-delete of its own token', async () => {
      const { cache, lock } = setup();
      const held = (await lock.tryAcquire(TTL_MS))!;

      await held.release();

      const token = cache.calls.find(([method]) => method === 'setIfAbsent')![2];
      expect(cache.calls).toContainEqual(['compareAndDelete', 'lock:cleanup', token]);
      const next = await lock.tryAcquire(TTL_MS);
      expect(next?.via).toBe('redis');
      await next?.release();
    });

    it('stillHeld extends the TTL while the token is ours', async () => {
      const { cache, lock } = setup();
      const held = (await lock.tryAcquire(TTL_MS))!;

      await expect(held.stillHeld()).resolves.toBe(true);

      expect(cache.methodsCalled()).toContain('compareAndExpire');
      await held.release();
    });

    it('stillHeld answers false for good once another holder took the key', async () => {
      const { cache, lock } = setup();
      const held = (await lock.tryAcquire(TTL_MS))!;
      await cache.set('lock:cleanup', 'someone-else', TTL_MS);

      await expect(held.stillHeld()).resolves.toBe(false);
      await cache.delete('lock:cleanup');
      await expect(held.stillHeld()).resolves.toBe(false);

      // Releasing must not delete the other holder's key either.
      await cache.set('lock:cleanup', 'someone-else', TTL_MS);
      await held.release();
      await expect(cache.get('lock:cleanup')).resolves.toBe('someone-else');
    });

    it('stillHeld answers false when the cache cannot tell (stopping early is safe)', async () => {
      const { cache, lock } = setup();
      const held = (await lock.tryAcquire(TTL_MS))!;
      cache.available = false;

      await expect(held.stillHeld()).resolves.toBe(false);
      await held.release();
    });

    it('renews the lock in the background about every third of the TTL until released', async () => {
      jest.useFakeTimers();
      try {
        const { cache, lock } = setup();
        const held = (await lock.tryAcquire(300))!;
        const renewals = () => cache.methodsCalled().filter((m) => m === 'compareAndExpire').length;

        await jest.advanceTimersByTimeAsync(100);
        expect(renewals()).toBe(1);
        await held.release();
        await jest.advanceTimersByTimeAsync(1000);
        expect(renewals()).toBe(1);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('with the cache unavailable (PostgreSQL advisory lock)', () => {
    it('takes the session-level advisory lock on a direct connection', async () => {
      const { cache, client, lock } = setup();
      cache.available = false;

      const held = await lock.tryAcquire(TTL_MS);

      expect(held?.via).toBe('postgres');
      expect(client.statements).toEqual(['SELECT pg_try_advisory_lock($1) AS locked']);
      expect(client.released).toBeUndefined();
      await expect(held!.stillHeld()).resolves.toBe(true);

      await held!.release();
      expect(client.statements).toContain('SELECT pg_advisory_unlock($1)');
      expect(client.released).toBe(false);
    });

    it('answers undefined and hands the connection back when another instance holds it', async () => {
      const { cache, client, lock } = setup();
      cache.available = false;
      client.locked = false;

      await expect(lock.tryAcquire(TTL_MS)).resolves.toBeUndefined();
      expect(client.released).toBe(false);
    });

    it('closes the connection and rethrows when the lock statement fails', async () => {
      const { cache, client, lock } = setup();
      cache.available = false;
      client.failOn = /pg_try_advisory_lock/;

      await expect(lock.tryAcquire(TTL_MS)).rejects.toThrow('connection terminated');
      expect(client.released).toBe(true);
    });

    it('is no longer held once its connection fails', async () => {
      const { cache, client, lock } = setup();
      cache.available = false;
      const held = (await lock.tryAcquire(TTL_MS))!;

      client.failOn = /SELECT 1/;

      await expect(held.stillHeld()).resolves.toBe(false);
    });

    it('closes the connection (the server then drops the lock) when the unlock fails', async () => {
      const { cache, client, lock } = setup();
      cache.available = false;
      const held = (await lock.tryAcquire(TTL_MS))!;
      client.failOn = /pg_advisory_unlock/;

      await held.release();

      expect(client.released).toBe(true);
    });
  });
});
