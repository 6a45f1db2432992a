import { randomUUID } from 'node:crypto';
import { type ScratchDataSource, scratchDataSource } from '../test-fakes/scratch-data-source.js';
import { type NewSession, REVOCATION_CHANNEL, SessionRepository } from './session.repository.js';

/** SessionRepository's statements against a real PostgreSQL (a database of this file's own). */
let db: ScratchDataSource;
let repository: SessionRepository;

beforeAll(async () => {
  db = await scratchDataSource('session_repo');
  repository = new SessionRepository(db.dataSource);
});

afterAll(() => db?.drop());

/** A user of its own per test, so no test counts another's rows. */
const newUser = () => `user-${randomUUID()}`;

function newSession(userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    userId,
    context: { deviceId: 'device-1', userAgent: 'jest', ip: '10.0.0.1' },
    deviceName: 'Laptop',
    refreshNonce: Buffer.alloc(16, 3),
    idleTtl: 3600,
    absoluteTtl: 86_400,
    ...overrides,
  };
}

const ids = (sessions: { id: string }[]) => sessions.map((s) => s.id).sort();

describe('SessionRepository (PostgreSQL)', () => {
  describe('createWithinLimit', () => {
    it('inserts a session at generation 0, stamped and given its lifetimes on the database clock', async () => {
      const userId = newUser();
      const [{ now }] = await db.query<{ now: Date }>('SELECT now() AS now');

      const { session, evicted } = await repository.createWithinLimit(
        newSession(userId, {
          deviceKey: { thumbprint: 'a'.repeat(43), alg: 'ES256', source: 'dpop' },
        }),
        10,
      );

      expect(evicted).toEqual([]);
      expect(session).toMatchObject({
        userId,
        deviceId: 'device-1',
        deviceName: 'Laptop',
        userAgent: 'jest',
        ip: '10.0.0.1',
        refreshGeneration: 0,
        refreshNonce: Buffer.alloc(16, 3),
        revokedAt: null,
        keyThumbprint: 'a'.repeat(43),
        keyAlg: 'ES256',
        keySource: 'dpop',
      });
      expect(session.createdAt.getTime()).toBe(session.authenticatedAt.getTime());
      expect(session.createdAt.getTime()).toBe(session.lastActiveAt.getTime());
      const created = session.createdAt.getTime();
      expect(created).toBeGreaterThanOrEqual(now.getTime());
      expect(session.idleExpiresAt.getTime()).toBe(created + 3600_000);
      expect(session.absoluteExpiresAt.getTime()).toBe(created + 86_400_000);
    });

    it('never sets the idle end past the absolute end', async () => {
      const { session } = await repository.createWithinLimit(
        newSession(newUser(), { idleTtl: 7200, absoluteTtl: 60 }),
        10,
      );

      expect(session.idleExpiresAt.getTime()).toBe(session.absoluteExpiresAt.getTime());
    });

    it("ends the user's least recently active sessions beyond the limit, with SESSION_LIMIT", async () => {
      const userId = newUser();
      const oldest = await db.insertSession({ userId, lastActiveSeconds: -300 });
      const older = await db.insertSession({ userId, lastActiveSeconds: -200 });
      const recent = await db.insertSession({ userId, lastActiveSeconds: -100 });
      const otherUsers = await db.insertSession({ lastActiveSeconds: -900 });

      const { session, evicted } = await repository.createWithinLimit(newSession(userId), 2);

      expect(ids(evicted)).toEqual([oldest, older].sort());
      expect(evicted.every((e) => e.userId === userId)).toBe(true);
      expect((await db.row(oldest)).revoke_reason).toBe('SESSION_LIMIT');
      expect(ids(await repository.findLive(userId))).toEqual([recent, session.id].sort());
      expect((await db.row(otherUsers)).revoked_at).toBeNull();
    });

    it('lets no two sign-ins at once slip under the limit (per-user lock)', async () => {
      const userId = newUser();

      await Promise.all(
        Array.from({ length: 6 }, () => repository.createWithinLimit(newSession(userId), 2)),
      );

      expect(await repository.findLive(userId)).toHaveLength(2);
    });
  });

  describe('findById', () => {
    it('answers the row as an entity, and undefined for an unknown id', async () => {
      const id = await db.insertSession({ generation: 4 });

      await expect(repository.findById(id)).resolves.toMatchObject({ id, refreshGeneration: 4 });
      await expect(repository.findById(randomUUID())).resolves.toBeUndefined();
    });
  });

  describe('revoke', () => {
    async function threeSessions() {
      const userId = newUser();
      const a = await db.insertSession({ userId });
      const b = await db.insertSession({ userId });
      const c = await db.insertSession({ userId });
      return { userId, a, b, c };
    }

    it.each([
      ['one', (s: { a: string }) => ({ kind: 'one' as const, sessionId: s.a }), ['a']],
      ['all-but', (s: { a: string }) => ({ kind: 'all-but' as const, sessionId: s.a }), ['b', 'c']],
      ['all', () => ({ kind: 'all' as const }), ['a', 'b', 'c']],
    ])('ends %s, names them in a NOTIFY, and never ends one twice', async (_, scopeOf, names) => {
      const sessions = await threeSessions();
      const all = [sessions.a, sessions.b, sessions.c];
      const expected = names.map((n) => sessions[n as 'a' | 'b' | 'c']).sort();

      const [revoked, payloads] = await db.notificationsDuring(REVOCATION_CHANNEL, () =>
        repository.revoke(sessions.userId, scopeOf(sessions), 'TERMINATED'),
      );

      expect(ids(revoked)).toEqual(expected);
      expect(payloads.flatMap((p) => p.split(',')).sort()).toEqual(expected);
      // A second revocation of everything ends only the rest.
      const rest = await repository.revoke(sessions.userId, { kind: 'all' }, 'LOGOUT');
      expect(ids(rest)).toEqual(all.filter((id) => !expected.includes(id)).sort());
      expect((await db.row(expected[0])).revoke_reason).toBe('TERMINATED');
    });

    it("does not touch another user's session even when named", async () => {
      const mine = newUser();
      const theirs = await db.insertSession({ userId: newUser() });

      await expect(
        repository.revoke(mine, { kind: 'one', sessionId: theirs }, 'TERMINATED'),
      ).resolves.toEqual([]);
      expect((await db.row(theirs)).revoked_at).toBeNull();
    });
  });

  describe('revokeByIds', () => {
    it('announces every reason but expiry', async () => {
      const limited = await db.insertSession();
      const expired = await db.insertSession();

      const [, payloads] = await db.notificationsDuring(REVOCATION_CHANNEL, async () => {
        await repository.revokeByIds([limited], 'SESSION_LIMIT');
        await repository.revokeByIds([expired], 'EXPIRED');
      });

      expect(payloads).toEqual([limited]);
      expect((await db.row(expired)).revoke_reason).toBe('EXPIRED');
    });

    it("runs in the caller's transaction when given its manager (rolled back with it)", async () => {
      const id = await db.insertSession();

      await db.dataSource
        .transaction(async (manager) => {
          await expect(
            repository.revokeByIds([id], 'TERMINATED', { manager }),
          ).resolves.toMatchObject([{ id }]);
          throw new Error('roll back');
        })
        .catch(() => undefined);

      expect((await db.row(id)).revoked_at).toBeNull();
    });

    it('answers [] for no ids without a statement', async () => {
      await expect(repository.revokeByIds([], 'TERMINATED')).resolves.toEqual([]);
    });
  });

  describe('findLive / findLiveOfUsers', () => {
    it('lists only live sessions, most recently active first, for several users in one query', async () => {
      const [u1, u2] = [newUser(), newUser()];
      const older = await db.insertSession({ userId: u1, lastActiveSeconds: -60 });
      const newer = await db.insertSession({ userId: u1, lastActiveSeconds: -10 });
      const other = await db.insertSession({ userId: u2, lastActiveSeconds: -30 });
      await db.insertSession({ userId: u1, revokedSeconds: -1, revokeReason: 'LOGOUT' });
      await db.insertSession({ userId: u1, idleEndSeconds: -1 });
      await db.insertSession({ userId: u2, absoluteEndSeconds: -1 });

      expect((await repository.findLive(u1)).map((s) => s.id)).toEqual([newer, older]);
      expect((await repository.findLiveOfUsers([u1, u2])).map((s) => s.id)).toEqual([
        newer,
        other,
        older,
      ]);
    });
  });

  describe('markAuthenticated', () => {
    it("moves a live session's sign-in time to now; false for a revoked one or another user's", async () => {
      const userId = newUser();
      const live = await db.insertSession({ userId });
      const revoked = await db.insertSession({
        userId,
        revokedSeconds: -1,
        revokeReason: 'LOGOUT',
      });
      await db.query(
        `UPDATE sessions SET authenticated_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`,
        [[live, revoked]],
      );

      expect(await repository.markAuthenticated(live, userId)).toBe(true);
      expect(await repository.markAuthenticated(revoked, userId)).toBe(false);
      expect(await repository.markAuthenticated(live, newUser())).toBe(false);
      const [{ age }] = await db.query<{ age: number }>(
        `SELECT extract(epoch FROM now() - authenticated_at)::float8 AS age FROM sessions WHERE id = $1`,
        [live],
      );
      expect(age).toBeLessThan(60);
    });
  });

  describe('touch', () => {
    it('records activity without extending any lifetime, and leaves a revoked session alone', async () => {
      const live = await db.insertSession({ lastActiveSeconds: -600 });
      const revoked = await db.insertSession({
        lastActiveSeconds: -600,
        revokedSeconds: -1,
        revokeReason: 'LOGOUT',
      });
      const before = await db.row(live);
      const revokedBefore = await db.row(revoked);

      await repository.touch(live);
      await repository.touch(revoked);

      const after = await db.row(live);
      expect((after.last_active_at as Date).getTime()).toBeGreaterThan(
        (before.last_active_at as Date).getTime() + 500_000,
      );
      expect(after.idle_expires_at).toEqual(before.idle_expires_at);
      expect(after.absolute_expires_at).toEqual(before.absolute_expires_at);
      expect((await db.row(revoked)).last_active_at).toEqual(revokedBefore.last_active_at);
    });
  });
});
