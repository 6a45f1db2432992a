import { randomUUID } from 'node:crypto';
import { type ScratchDataSource, scratchDataSource } from '../test-fakes/scratch-data-source.js';
import { RevocationRepository } from './revocation.repository.js';
import { REVOCATION_CHANNEL } from './session.repository.js';

/** What revocation reads back from the table, against a real PostgreSQL (a database of its own). */
let db: ScratchDataSource;
let repository: RevocationRepository;

beforeAll(async () => {
  db = await scratchDataSource('revocation_repo');
  repository = new RevocationRepository(db.dataSource);
});

afterAll(() => db?.drop());

describe('RevocationRepository (PostgreSQL)', () => {
  describe('findRevoked', () => {
    it('answers which of the ids are revoked, with user and reason, ignoring live ones and non-uuids', async () => {
      const revoked = await db.insertSession({
        userId: 'u-1',
        revokedSeconds: -1,
        revokeReason: 'TERMINATED',
      });
      const live = await db.insertSession();

      const found = await repository.findRevoked([revoked, live, randomUUID(), "' OR 1=1 --"]);

      expect(found).toEqual([{ id: revoked, userId: 'u-1', reason: 'TERMINATED' }]);
    });

    it('answers [] for ids none of which is a uuid', async () => {
      await expect(repository.findRevoked(['*', '../x'])).resolves.toEqual([]);
    });
  });

  describe('findRecentlyRevoked', () => {
    it('pages through the revocations within the window in id order, leaving out expiry and older ones', async () => {
      const userId = `user-${randomUUID()}`;
      const recent = await Promise.all(
        [-5, -10, -20].map((s) =>
          db.insertSession({ userId, revokedSeconds: s, revokeReason: 'LOGOUT' }),
        ),
      );
      await db.insertSession({ userId, revokedSeconds: -5, revokeReason: 'EXPIRED' });
      await db.insertSession({ userId, revokedSeconds: -600, revokeReason: 'LOGOUT' });
      await db.insertSession({ userId });
      const ordered = [...recent].sort();

      // Other tests of this file revoke sessions too: only this test's count.
      const mine = (page: { id: string; userId: string }[]) =>
        page.filter((s) => s.userId === userId).map((s) => s.id);
      const all = mine(await repository.findRecentlyRevoked(60, undefined, 1000));
      const first = await repository.findRecentlyRevoked(60, undefined, 1);
      const next = await repository.findRecentlyRevoked(60, first[0].id, 1000);

      expect(all).toEqual(ordered);
      expect(next.every((s) => s.id > first[0].id)).toBe(true);
      expect([...mine(first), ...mine(next)]).toEqual(ordered);
    });
  });

  describe('notifyRevoked', () => {
    it('names the ids on the revocation channel again, 150 per message', async () => {
      const ids = Array.from({ length: 151 }, () => randomUUID());

      const [, payloads] = await db.notificationsDuring(REVOCATION_CHANNEL, () =>
        repository.notifyRevoked(ids),
      );

      expect(payloads.map((p) => p.split(',').length).sort((a, b) => a - b)).toEqual([1, 150]);
      expect(payloads.flatMap((p) => p.split(',')).sort()).toEqual([...ids].sort());
    });

    it('sends nothing for no ids', async () => {
      const [, payloads] = await db.notificationsDuring(REVOCATION_CHANNEL, () =>
        repository.notifyRevoked([]),
      );

      expect(payloads).toEqual([]);
    });
  });
});
