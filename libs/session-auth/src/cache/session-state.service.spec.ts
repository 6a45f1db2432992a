import type { SessionRepository } from '../persistence/session.repository.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import {
  isLive,
  type SessionState,
  SessionStateService,
  toState,
} from './session-state.service.js';

const ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const MINUTE = 60_000;

function row(overrides: Partial<SessionEntity> = {}): SessionEntity {
  return sessionEntity({ id: ID, ...overrides });
}

/** A SessionRepository that knows only `findById`. */
class FakeRepository {
  readonly rows = new Map<string, SessionEntity>();
  reads = 0;
  /** Runs while a read is in flight, to stage races. */
  duringRead?: () => Promise<void>;

  async findById(id: string): Promise<SessionEntity | undefined> {
    this.reads++;
    const found = this.rows.get(id);
    await this.duringRead?.();
    return found;
  }
}

function setup(clockOffsetMs = 0) {
  const cache = new FakeSessionCache();
  const db = new FakeRepository();
  const clock = {
    now: () => Date.now() + clockOffsetMs,
    toLocal: (ms: number) => ms - clockOffsetMs,
  };
  const service = new SessionStateService(
    cache,
    db as unknown as SessionRepository,
    disabledMetrics(),
    clock,
  );
  return { cache, db, service };
}

function ttlOfLastWrite(cache: FakeSessionCache): number {
  const write = cache.calls.filter(([m]) => m === 'set' || m === 'setIfAbsent').at(-1);
  expect(write).toBeDefined();
  return write![3] as number;
}

describe('SessionStateService', () => {
  describe('get', () => {
    it('reads the row when a cached live state has passed its end (a rotation may have extended it)', async () => {
      const { cache, db, service } = setup();
      const stale: SessionState = {
        userId: 'user-1',
        revoked: false,
        expiresAt: Date.now() - 1,
        authenticatedAt: Date.now() - MINUTE,
      };
      await cache.set(`session:${ID}`, JSON.stringify(stale), MINUTE);
      db.rows.set(ID, row());

      const state = await service.get(ID);

      expect(db.reads).toBe(1);
      expect(service.isLive(state)).toBe(true);
    });

    it('answers a cached revoked state without reading the row, whatever its end', async () => {
      const { cache, db, service } = setup();
      const revoked: SessionState = {
        userId: 'user-1',
        revoked: true,
        expiresAt: 0,
        authenticatedAt: 0,
      };
      await cache.set(`session:${ID}`, JSON.stringify(revoked), MINUTE);
      db.rows.set(ID, row());

      expect(service.isLive(await service.get(ID))).toBe(false);
      expect(db.reads).toBe(0);
    });

    it('reads the row once, caches it with SET NX, then answers from the cache', async () => {
      const { cache, db, service } = setup();
      const session = row();
      db.rows.set(ID, session);

      const first = await service.get(ID);
      const second = await service.get(ID);

      expect(first).toEqual(toState(session));
      expect(second).toEqual(first);
      expect(db.reads).toBe(1);
      expect(cache.methodsCalled()).toEqual(['get', 'setIfAbsent', 'get']);
      expect(ttlOfLastWrite(cache)).toBe(5 * MINUTE);
    });

    it('caches a live session no longer than it has left to live', async () => {
      const { cache, db, service } = setup();
      db.rows.set(ID, row({ idleExpiresAt: new Date(Date.now() + MINUTE) }));

      await service.get(ID);

      const ttl = ttlOfLastWrite(cache);
      expect(ttl).toBeLessThanOrEqual(MINUTE);
      expect(ttl).toBeGreaterThan(MINUTE - 1000);
    });

    it('caches a revoked session for an hour', async () => {
      const { cache, db, service } = setup();
      db.rows.set(ID, row({ revokedAt: new Date(), revokeReason: 'LOGOUT' }));

      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true });
      expect(ttlOfLastWrite(cache)).toBe(60 * MINUTE);
    });

    it('does not cache a session that has already expired', async () => {
      const { cache, db, service } = setup();
      db.rows.set(ID, row({ absoluteExpiresAt: new Date(Date.now() - 1000) }));

      const state = await service.get(ID);

      expect(service.isLive(state)).toBe(false);
      expect(cache.methodsCalled()).toEqual(['get']);
    });

    it('answers undefined for an unknown session and caches nothing', async () => {
      const { cache, service } = setup();

      await expect(service.get(ID)).resolves.toBeUndefined();
      expect(cache.methodsCalled()).toEqual(['get']);
    });

    it('falls back to the database on every call while the cache is unavailable', async () => {
      const { cache, db, service } = setup();
      db.rows.set(ID, row({ revokedAt: new Date(), revokeReason: 'TERMINATED' }));
      cache.available = false;

      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true });
      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true });

      expect(db.reads).toBe(2);
      expect(cache.methodsCalled()).toEqual(['get', 'get']);
    });

    it('never puts "active" back over a revocation that landed during its read', async () => {
      const { db, service } = setup();
      db.rows.set(ID, row());
      // The reader saw the live row; the revocation commits and marks the cache before it writes.
      db.duringRead = async () => {
        db.duringRead = undefined;
        await service.markRevoked([{ id: ID, userId: 'user-1' }]);
      };

      await service.get(ID);

      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true });
    });
  });

  describe('markRevoked', () => {
    it('overwrites cached "active" entries with "revoked" for every session given', async () => {
      const { db, service } = setup();
      const other = '1c7f2d2f-4b63-4d2f-8e6f-3c1f4d4b0f22';
      db.rows.set(ID, row());
      db.rows.set(other, row({ id: other }));
      await service.get(ID);
      await service.get(other);

      await service.markRevoked([
        { id: ID, userId: 'user-1' },
        { id: other, userId: 'user-1' },
      ]);

      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true, userId: 'user-1' });
      await expect(service.get(other)).resolves.toMatchObject({ revoked: true });
      expect(db.reads).toBe(2);
    });

    it('deletes instead when the cache cannot take the write', async () => {
      const { cache, service } = setup();
      cache.available = false;

      await service.markRevoked([{ id: ID, userId: 'user-1' }]);

      expect(cache.calls).toContainEqual(['delete', `session:${ID}`]);
    });
  });

  describe('forget', () => {
    it('drops the cached entry so the next read sees the row', async () => {
      const { db, service } = setup();
      db.rows.set(ID, row());
      await service.get(ID);
      const later = new Date(Date.now() + 60 * MINUTE);
      db.rows.set(ID, row({ idleExpiresAt: later }));

      await service.forget(ID);

      await expect(service.get(ID)).resolves.toMatchObject({ expiresAt: later.getTime() });
      expect(db.reads).toBe(2);
    });

    it('leaves a "revoked" entry alone (a revocation that committed after the rotation)', async () => {
      const { cache, db, service } = setup();
      db.rows.set(ID, row());
      await service.markRevoked([{ id: ID, userId: 'user-1' }]);

      await service.forget(ID);

      await expect(cache.get(`session:${ID}`)).resolves.toMatch(/"revoked":true/);
      await expect(service.get(ID)).resolves.toMatchObject({ revoked: true });
      expect(db.reads).toBe(0);
    });
  });

  describe('on the database clock', () => {
    it('judges liveness by the database clock, not the process clock', async () => {
      // The database's clock is 10 minutes ahead of this process's.
      const { db, service } = setup(10 * MINUTE);
      db.rows.set(ID, row({ idleExpiresAt: new Date(Date.now() + 5 * MINUTE) }));

      const state = await service.get(ID);

      expect(isLive(state, Date.now())).toBe(true);
      expect(service.isLive(state)).toBe(false);
    });
  });
});

describe('toState', () => {
  describe('followDrops', () => {
    it('forgets the local copies of the sessions handed over before it reads any local copy', async () => {
      const { cache, service } = setup();
      Object.assign(cache, {
        dropLocalCopy: (key: string) => cache.calls.push(['dropLocalCopy', key]),
        dropAllLocalCopies: () => cache.calls.push(['dropAllLocalCopies']),
      });
      const handed: (readonly string[] | 'all')[] = [[ID], [], 'all'];
      service.followDrops(() => handed.shift() ?? []);

      service.peek(ID);
      await service.get(ID);
      await service.forget(ID);

      expect(cache.methodsCalled()).toEqual([
        'dropLocalCopy',
        'peek',
        'get',
        'dropAllLocalCopies',
        'get',
      ]);
      expect(cache.calls[0]).toEqual(['dropLocalCopy', `session:${ID}`]);
    });
  });

  it('takes the earlier of the idle and absolute expiry', () => {
    const idle = new Date('2030-01-09T00:00:00Z');
    const absolute = new Date('2030-01-05T00:00:00Z');

    expect(toState(row({ idleExpiresAt: idle, absoluteExpiresAt: absolute })).expiresAt).toBe(
      absolute.getTime(),
    );
    expect(toState(row({ idleExpiresAt: absolute, absoluteExpiresAt: idle })).expiresAt).toBe(
      absolute.getTime(),
    );
  });
});

describe('isLive', () => {
  const live: SessionState = { userId: 'u', revoked: false, expiresAt: 2000, authenticatedAt: 0 };

  it('is true only for an unrevoked state that has not expired', () => {
    expect(isLive(live, 1999)).toBe(true);
    expect(isLive(live, 2000)).toBe(false);
    expect(isLive({ ...live, revoked: true }, 1000)).toBe(false);
    expect(isLive(undefined, 1000)).toBe(false);
  });
});
