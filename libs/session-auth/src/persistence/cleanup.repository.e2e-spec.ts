import { type ScratchDataSource, scratchDataSource } from '../test-fakes/scratch-data-source.js';
import { CleanupRepository } from './cleanup.repository.js';

/** The cleanup's statements against a real PostgreSQL (a database of this file's own, emptied per test). */
let db: ScratchDataSource;
let repository: CleanupRepository;

beforeAll(async () => {
  db = await scratchDataSource('cleanup_repo');
  repository = new CleanupRepository(db.dataSource);
});

beforeEach(() => db.query('DELETE FROM sessions'));

afterAll(() => db?.drop());

describe('CleanupRepository (PostgreSQL)', () => {
  describe('endExpired', () => {
    it('ends sessions past their idle or absolute end as EXPIRED, and no live or already-ended one', async () => {
      const idle = await db.insertSession({ userId: 'u-1', idleEndSeconds: -1 });
      const absolute = await db.insertSession({ userId: 'u-2', absoluteEndSeconds: -1 });
      const live = await db.insertSession();
      const ended = await db.insertSession({
        idleEndSeconds: -1,
        revokedSeconds: -100,
        revokeReason: 'LOGOUT',
      });

      const result = await repository.endExpired(100);

      expect(result.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [
          { id: idle, userId: 'u-1' },
          { id: absolute, userId: 'u-2' },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );
      expect((await db.row(idle)).revoke_reason).toBe('EXPIRED');
      expect((await db.row(live)).revoked_at).toBeNull();
      expect((await db.row(ended)).revoke_reason).toBe('LOGOUT');
    });

    it('ends at most `limit` per call', async () => {
      for (let i = 0; i < 5; i++) await db.insertSession({ idleEndSeconds: -1 });

      expect(await repository.endExpired(3)).toHaveLength(3);
      expect(await repository.endExpired(3)).toHaveLength(2);
      expect(await repository.endExpired(3)).toHaveLength(0);
    });

    it('skips a session whose row is locked right now (a refresh in flight)', async () => {
      const locked = await db.insertSession({ idleEndSeconds: -1 });
      const free = await db.insertSession({ idleEndSeconds: -1 });

      const ended = await db.dataSource.transaction(async (manager) => {
        await manager.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [locked]);
        return repository.endExpired(100);
      });

      expect(ended.map((s) => s.id)).toEqual([free]);
      expect((await db.row(locked)).revoked_at).toBeNull();
    });
  });

  describe('deleteEndedSessions', () => {
    it('deletes sessions ended longer ago than the retention, at most `limit`, and answers how many', async () => {
      await Promise.all(
        [-7200, -7300, -7400].map((s) =>
          db.insertSession({ revokedSeconds: s, revokeReason: 'LOGOUT' }),
        ),
      );
      const recent = await db.insertSession({ revokedSeconds: -60, revokeReason: 'LOGOUT' });
      const live = await db.insertSession();

      expect(await repository.deleteEndedSessions(3600, 2)).toBe(2);
      expect(await repository.deleteEndedSessions(3600, 2)).toBe(1);
      expect(await repository.deleteEndedSessions(3600, 2)).toBe(0);

      const left = (await db.query<{ id: string }>('SELECT id FROM sessions')).map((r) => r.id);
      expect(left.sort()).toEqual([recent, live].sort());
    });
  });
});
