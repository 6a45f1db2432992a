import { randomUUID } from 'node:crypto';
import { type ScratchDataSource, scratchDataSource } from '../test-fakes/scratch-data-source.js';
import { type RotationRequest, RotationRepository } from './rotation.repository.js';

/** RotationRepository's one-row rotation against a real PostgreSQL (a database of this file's own). */
let db: ScratchDataSource;
let repository: RotationRepository;

beforeAll(async () => {
  db = await scratchDataSource('rotation_repo');
  repository = new RotationRepository(db.dataSource);
});

afterAll(() => db?.drop());

const NONCE = Buffer.alloc(16, 7);
const KEY = 'k'.repeat(43);

function request(sessionId: string, overrides: Partial<RotationRequest> = {}): RotationRequest {
  return {
    sessionId,
    generation: 0,
    nonce: NONCE,
    context: { ip: '10.0.0.9', deviceId: 'device-1', userAgent: 'jest' },
    idleTtlSeconds: 3600,
    rules: { bindDevice: false, bindUserAgent: false },
    deviceKey: null,
    keyRules: { enforce: false, required: false },
    ...overrides,
  };
}

describe('RotationRepository (PostgreSQL)', () => {
  describe('advance', () => {
    it('spends the presented generation once: the next, extends the idle end, records ip and time', async () => {
      const id = await db.insertSession({ idleEndSeconds: 60, lastActiveSeconds: -600 });

      const advanced = await repository.advance(request(id));

      expect(advanced).toMatchObject({ id, refreshGeneration: 1, ip: '10.0.0.9' });
      expect(advanced!.rotatedAt).not.toBeNull();
      expect(advanced!.lastActiveAt.getTime()).toBe(advanced!.rotatedAt!.getTime());
      expect(advanced!.idleExpiresAt.getTime()).toBe(advanced!.rotatedAt!.getTime() + 3600_000);
      await expect(repository.advance(request(id))).resolves.toBeUndefined();
      expect((await db.row(id)).refresh_generation).toBe(1);
    });

    it('never extends the idle end past the absolute end', async () => {
      const id = await db.insertSession({ absoluteEndSeconds: 120 });

      const advanced = await repository.advance(request(id));

      expect(advanced!.idleExpiresAt.getTime()).toBe(advanced!.absoluteExpiresAt.getTime());
    });

    it('lets exactly one of concurrent rotations of one generation through', async () => {
      const id = await db.insertSession();

      const results = await Promise.all(
        Array.from({ length: 6 }, () => repository.advance(request(id))),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await db.row(id)).refresh_generation).toBe(1);
    });

    it.each([
      ['another nonce', {}, { nonce: Buffer.alloc(16, 8) }],
      ['a revoked session', { revokedSeconds: -1, revokeReason: 'LOGOUT' as const }, {}],
      ['an idle-expired session', { idleEndSeconds: -1 }, {}],
      ['a session past its absolute end', { absoluteEndSeconds: -1 }, {}],
      ['an unknown session', {}, { sessionId: randomUUID() }],
      [
        'another device, when bound to it',
        { deviceId: 'device-1' },
        { context: { deviceId: 'device-2' }, rules: { bindDevice: true, bindUserAgent: false } },
      ],
      [
        'another user agent, when bound to it',
        { userAgent: 'jest' },
        { context: { userAgent: 'curl' }, rules: { bindDevice: false, bindUserAgent: true } },
      ],
      [
        'another device key, when enforced',
        { keyThumbprint: KEY },
        {
          deviceKey: { thumbprint: 'x'.repeat(43), alg: 'ES256', source: 'dpop' as const },
          keyRules: { enforce: true, required: false },
        },
      ],
      [
        'no device key on an unbound session, when required',
        {},
        { keyRules: { enforce: true, required: true } },
      ],
    ])('spends nothing for %s', async (_, row, overrides) => {
      const id = await db.insertSession(row);

      await expect(repository.advance(request(id, overrides))).resolves.toBeUndefined();
      expect((await db.row(id)).refresh_generation).toBe(0);
    });

    it('advances a session with no device recorded whatever the device (binding applies to recorded ones)', async () => {
      const id = await db.insertSession({ deviceId: null });

      const advanced = await repository.advance(
        request(id, { rules: { bindDevice: true, bindUserAgent: false } }),
      );

      expect(advanced).toMatchObject({ refreshGeneration: 1 });
    });

    it('binds an unbound session to the proved key, once, when enforced', async () => {
      const id = await db.insertSession();
      const proved = { thumbprint: KEY, alg: 'ES256', source: 'dpop' as const };
      const other = { thumbprint: 'x'.repeat(43), alg: 'ES256', source: 'dpop' as const };
      const keyRules = { enforce: true, required: false };

      const bound = await repository.advance(request(id, { deviceKey: proved, keyRules }));
      const stolen = await repository.advance(
        request(id, { generation: 1, deviceKey: other, keyRules }),
      );

      expect(bound).toMatchObject({ keyThumbprint: KEY, keyAlg: 'ES256', keySource: 'dpop' });
      expect(stolen).toBeUndefined();
      expect((await db.row(id)).key_thumbprint).toBe(KEY);
    });
  });

  describe('find', () => {
    it("answers the session and the database's clock in one round trip", async () => {
      const id = await db.insertSession({ generation: 3 });
      const [{ now }] = await db.query<{ now: Date }>('SELECT now() AS now');

      const found = await repository.find(id);

      expect(found.session).toMatchObject({ id, refreshGeneration: 3 });
      expect(found.now.getTime()).toBeGreaterThanOrEqual(now.getTime());
    });

    it("answers no session, still with the database's clock, for an unknown id", async () => {
      const found = await repository.find(randomUUID());

      expect(found.session).toBeUndefined();
      expect(found.now).toBeInstanceOf(Date);
    });
  });
});
