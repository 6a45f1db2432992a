import { jest } from '@jest/globals';
import { MemorySessionCache } from './memory-session-cache.js';

describe('MemorySessionCache', () => {
  let cache: MemorySessionCache;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    cache = new MemorySessionCache();
  });

  afterEach(() => jest.useRealTimers());

  it('is the always-available memory backend', async () => {
    expect(cache.kind).toBe('memory');
    expect(cache.isAvailable()).toBe(true);
    await expect(cache.ping()).resolves.toBe(true);
  });

  describe('get / set', () => {
    it('answers null for a key never set', async () => {
      await expect(cache.get('missing')).resolves.toBeNull();
    });

    it('returns what was set until the TTL runs out, then null', async () => {
      await expect(cache.set('k', 'v', 1000)).resolves.toBe(true);

      jest.advanceTimersByTime(999);
      await expect(cache.get('k')).resolves.toBe('v');

      jest.advanceTimersByTime(1);
      await expect(cache.get('k')).resolves.toBeNull();
    });

    it('overwrites the value and the TTL', async () => {
      await cache.set('k', 'old', 100);
      await cache.set('k', 'new', 5000);

      jest.advanceTimersByTime(1000);
      await expect(cache.get('k')).resolves.toBe('new');
    });

    it('keeps keys apart', async () => {
      await cache.set('a', '1', 1000);
      await cache.set('b', '2', 1000);

      await expect(cache.get('a')).resolves.toBe('1');
      await expect(cache.get('b')).resolves.toBe('2');
    });

    it('expires with real time too (no fake timers)', async () => {
      jest.useRealTimers();
      const real = new MemorySessionCache();
      // Wide margins: a loaded machine may take tens of ms between two statements.
      await real.set('k', 'v', 500);

      await expect(real.get('k')).resolves.toBe('v');
      await new Promise((resolve) => setTimeout(resolve, 600));
      await expect(real.get('k')).resolves.toBeNull();
    });
  });

  describe('peek', () => {
    it('answers a live value at once (no promise), and nothing once it expired', async () => {
      await cache.set('k', 'v', 1000);

      expect(cache.peek('k')).toBe('v');
      expect(cache.peek('missing')).toBeUndefined();
      jest.advanceTimersByTime(1000);
      expect(cache.peek('k')).toBeUndefined();
    });
  });

  describe('setIfAbsent', () => {
    it('sets a missing key and refuses while it exists', async () => {
      await expect(cache.setIfAbsent('lock', 'me', 1000)).resolves.toBe(true);
      await expect(cache.setIfAbsent('lock', 'you', 1000)).resolves.toBe(false);

      await expect(cache.get('lock')).resolves.toBe('me');
    });

    it('sets again once the previous value expired', async () => {
      await cache.setIfAbsent('lock', 'me', 1000);
      jest.advanceTimersByTime(1000);

      await expect(cache.setIfAbsent('lock', 'you', 1000)).resolves.toBe(true);
      await expect(cache.get('lock')).resolves.toBe('you');
    });
  });

  describe('delete', () => {
    it('deletes every key given and ignores missing ones', async () => {
      await cache.set('a', '1', 1000);
      await cache.set('b', '2', 1000);
      await cache.set('c', '3', 1000);

      await cache.delete('a', 'b', 'missing');

      await expect(cache.get('a')).resolves.toBeNull();
      await expect(cache.get('b')).resolves.toBeNull();
      await expect(cache.get('c')).resolves.toBe('3');
    });
  });

  describe('compareAndDelete', () => {
    it('deletes only while the key holds the value', async () => {
      await cache.set('lock', 'token-a', 1000);

      await expect(cache.compareAndDelete('lock', 'token-b')).resolves.toBe(false);
      await expect(cache.get('lock')).resolves.toBe('token-a');

      await expect(cache.compareAndDelete('lock', 'token-a')).resolves.toBe(true);
      await expect(cache.get('lock')).resolves.toBeNull();
    });

    it('answers false for a missing or expired key', async () => {
      await expect(cache.compareAndDelete('lock', 'x')).resolves.toBe(false);

      await cache.set('lock', 'x', 10);
      jest.advanceTimersByTime(10);
      await expect(cache.compareAndDelete('lock', 'x')).resolves.toBe(false);
    });
  });

  describe('compareAndExpire', () => {
    it('extends the TTL only while the key holds the value', async () => {
      await cache.set('lock', 'token-a', 1000);

      await expect(cache.compareAndExpire('lock', 'token-b', 10_000)).resolves.toBe(false);
      await expect(cache.compareAndExpire('lock', 'token-a', 10_000)).resolves.toBe(true);

      jest.advanceTimersByTime(9_999);
      await expect(cache.get('lock')).resolves.toBe('token-a');
      jest.advanceTimersByTime(1);
      await expect(cache.get('lock')).resolves.toBeNull();
    });

    it('can shorten the TTL', async () => {
      await cache.set('lock', 'a', 10_000);
      await cache.compareAndExpire('lock', 'a', 100);

      jest.advanceTimersByTime(100);
      await expect(cache.get('lock')).resolves.toBeNull();
    });

    it('does not revive an expired key', async () => {
      await cache.set('lock', 'a', 100);
      jest.advanceTimersByTime(100);

      await expect(cache.compareAndExpire('lock', 'a', 10_000)).resolves.toBe(false);
      await expect(cache.get('lock')).resolves.toBeNull();
    });
  });

  describe('bounded size', () => {
    it('drops the oldest entry beyond maxEntries', async () => {
      const small = new MemorySessionCache(3);
      await small.set('a', '1', 60_000);
      await small.set('b', '2', 60_000);
      await small.set('c', '3', 60_000);
      await small.set('d', '4', 60_000);

      await expect(small.get('a')).resolves.toBeNull();
      await expect(small.get('b')).resolves.toBe('2');
      await expect(small.get('c')).resolves.toBe('3');
      await expect(small.get('d')).resolves.toBe('4');
    });

    it('counts a rewrite as the newest entry', async () => {
      const small = new MemorySessionCache(2);
      await small.set('a', '1', 60_000);
      await small.set('b', '2', 60_000);
      await small.set('a', '1 again', 60_000);
      await small.set('c', '3', 60_000);

      await expect(small.get('b')).resolves.toBeNull();
      await expect(small.get('a')).resolves.toBe('1 again');
      await expect(small.get('c')).resolves.toBe('3');
    });

    it('never holds more than maxEntries, however many keys are written', async () => {
      const small = new MemorySessionCache(10);
      for (let i = 0; i < 1000; i++) await small.setIfAbsent(`k${i}`, String(i), 60_000);

      let present = 0;
      for (let i = 0; i < 1000; i++) if ((await small.get(`k${i}`)) !== null) present++;
      expect(present).toBe(10);
      await expect(small.get('k999')).resolves.toBe('999');
    });
  });

  it('drops session states (copies of rows) but keeps its own entries on dropAllLocalCopies', async () => {
    const cache = new MemorySessionCache();
    await cache.set('session:a', '{"revoked":false}', 60_000);
    await cache.set('rate:login', '1', 60_000);

    cache.dropAllLocalCopies();

    await expect(cache.get('session:a')).resolves.toBeNull();
    await expect(cache.get('rate:login')).resolves.toBe('1');
  });

  it('answers no session state while its copies are not trusted (the revocation feed is not live): reads go to PostgreSQL', async () => {
    const cache = new MemorySessionCache();
    await cache.set('session:a', '{"revoked":false}', 60_000);
    await cache.set('rate:login', '1', 60_000);

    cache.trustLocalCopies(false);

    expect(cache.peek('session:a')).toBeUndefined();
    await expect(cache.get('session:a')).resolves.toBeUndefined();
    await expect(cache.setIfAbsent('session:b', '{}', 60_000)).resolves.toBeUndefined();
    await expect(cache.get('rate:login')).resolves.toBe('1');

    cache.trustLocalCopies(true);
    await expect(cache.get('session:b')).resolves.toBeNull();
  });

  it('holds a copy named by an unconfirmed revocation: none answers or is stored until released', async () => {
    const cache = new MemorySessionCache();
    await cache.set('session:a', '{"revoked":false}', 60_000);

    const release = cache.holdLocalCopy('session:a');

    expect(cache.peek('session:a')).toBeUndefined();
    await expect(
      cache.setIfAbsent('session:a', '{"revoked":false}', 60_000),
    ).resolves.toBeUndefined();
    release();
    await expect(cache.get('session:a')).resolves.toBeNull();
    await expect(cache.setIfAbsent('session:a', '{"revoked":true}', 60_000)).resolves.toBe(true);
  });
});
