import { DeviceProofService } from '../binding/device-proof.service.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { SessionAuthOptions } from '../config/session-auth.options.js';
import { SessionEvents } from '../events/session-events.js';
import type { SessionNotifier } from '../events/session-notifier.js';
import type { RevokeReason } from '../persistence/revoke-reason.js';
import type { RotationRepository, RotationRequest } from '../persistence/rotation.repository.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { sessionEnd } from '../persistence/session-lifetime.js';
import type {
  RevokedSession,
  RevokeScope,
  SessionRepository,
} from '../persistence/session.repository.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { rejectionCode } from '../test-fakes/rejection-code.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import { readRefreshToken } from '../tokens/refresh-token.crypto.js';
import { RefreshRotationService } from './refresh-rotation.service.js';

const USER = 'user-1';
const SESSION_ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const OTHER_SESSION = '1c7f2d2f-4b63-4d2f-8e6f-3c1f4d4b0f22';

/**
 * The table the two repositories stand for, in memory. `advance` spends the presented generation
 * of a live session whose nonce matches (and, with bindDevice, on its device); the SQL itself is
 * tested against PostgreSQL in persistence/rotation.repository.e2e-spec.ts.
 */
class FakeTable {
  readonly rows = new Map<string, SessionEntity>();
  readonly revocations: { ids: string[]; reason: RevokeReason; scope?: RevokeScope['kind'] }[] = [];
  /** Runs before a revocation, to stage a race (another request ending the session first). */
  beforeRevoke?: () => void;

  readonly rotations = {
    advance: async (request: RotationRequest) => {
      const row = this.rows.get(request.sessionId);
      const spendable =
        row &&
        row.refreshGeneration === request.generation &&
        row.refreshNonce.equals(request.nonce) &&
        row.revokedAt === null &&
        sessionEnd(row) > Date.now() &&
        !(request.rules.bindDevice && row.deviceId && row.deviceId !== request.context.deviceId);
      if (!spendable) return undefined;
      Object.assign(row, {
        refreshGeneration: row.refreshGeneration + 1,
        rotatedAt: new Date(),
        lastActiveAt: new Date(),
      });
      return { ...row };
    },
    find: async (sessionId: string) => {
      const row = this.rows.get(sessionId);
      return { session: row && { ...row }, now: new Date() };
    },
  } satisfies Pick<RotationRepository, 'advance' | 'find'>;

  readonly sessions = {
    revokeByIds: async (ids: string[], reason: RevokeReason) => this.revoke(ids, reason),
    revoke: async (userId: string, scope: RevokeScope, reason: RevokeReason) => {
      const ids = [...this.rows.values()].filter((r) => r.userId === userId).map((r) => r.id);
      return this.revoke(ids, reason, scope.kind);
    },
  } satisfies Pick<SessionRepository, 'revokeByIds' | 'revoke'>;

  private revoke(ids: string[], reason: RevokeReason, scope?: RevokeScope['kind']) {
    this.beforeRevoke?.();
    this.revocations.push({ ids, reason, scope });
    const ended: RevokedSession[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row || row.revokedAt) continue;
      Object.assign(row, { revokedAt: new Date(), revokeReason: reason });
      ended.push({ id, userId: row.userId });
    }
    return ended;
  }
}

/** A SessionNotifier that records what it is told, in order. */
function recordingNotifier() {
  const log: (
    { emit: string; payload: Record<string, unknown> } | { revoked: string[]; reason: RevokeReason }
  )[] = [];
  const notifier = {
    emit: (event: string, payload: Record<string, unknown>) => log.push({ emit: event, payload }),
    revoked: async (sessions: RevokedSession[], reason: RevokeReason) => {
      log.push({ revoked: sessions.map((s) => s.id).sort(), reason });
    },
  };
  return { notifier: notifier as unknown as SessionNotifier, log };
}

function setup(extra: SessionAuthOptions = {}) {
  const options = resolveSessionAuthOptions({
    jwtSecret: 'rotation-spec-secret-that-is-long-enough',
    deviceBinding: 'off',
    reuseGraceSeconds: 30,
    ...extra,
  });
  const table = new FakeTable();
  const { notifier, log } = recordingNotifier();
  const service = new RefreshRotationService(
    options,
    table.rotations as unknown as RotationRepository,
    table.sessions as unknown as SessionRepository,
    notifier,
    disabledMetrics(),
    new DeviceProofService(options, new FakeSessionCache()),
  );
  /** A session in the table, and the token of its generation `generation` (default: the live one). */
  const seed = (overrides: Partial<SessionEntity> = {}) => {
    const row = sessionEntity({ id: SESSION_ID, userId: USER, ...overrides });
    table.rows.set(row.id, row);
    return (generation = row.refreshGeneration) =>
      service.tokenOf({ ...row, refreshGeneration: generation });
  };
  const generationOf = (token: string) =>
    readRefreshToken(token, options.refreshTokenKeys)!.generation;
  return { service, table, log, seed, generationOf };
}

describe('RefreshRotationService', () => {
  describe('rotate', () => {
    it.each([[undefined], [null], [''], [[]], [['', null]]])(
      'answers REFRESH_TOKEN_MISSING for %p',
      async (raw) => {
        expect(await rejectionCode(setup().service.rotate(raw, {}))).toBe('REFRESH_TOKEN_MISSING');
      },
    );

    it('answers REFRESH_TOKEN_INVALID for tokens it did not issue, reading no row', async () => {
      const { service, table, seed } = setup();
      // A well-formed token of another server's keys, for a session id this table knows.
      const foreign = setup({ jwtSecret: 'another-servers-secret-that-is-long-enough' }).seed();
      seed();
      const reads: string[] = [];
      table.rotations.find = async (id) => {
        reads.push(id);
        return { session: undefined, now: new Date() };
      };

      for (const raw of ['junk', 'A'.repeat(94), foreign(), 42, { token: 'x' }]) {
        expect(await rejectionCode(service.rotate(raw, {}))).toBe('REFRESH_TOKEN_INVALID');
      }
      expect(reads).toEqual([]);
    });

    it("spends the live generation once and hands out the next one's token, announcing the rotation", async () => {
      const { service, seed, log, generationOf, table } = setup();
      const token = seed({ refreshGeneration: 4 })();

      const rotation = await service.rotate(token, {});

      expect(rotation.session).toMatchObject({ id: SESSION_ID, refreshGeneration: 5 });
      expect(generationOf(rotation.refreshToken)).toBe(5);
      expect(table.rows.get(SESSION_ID)!.refreshGeneration).toBe(5);
      expect(log).toEqual([
        { emit: SessionEvents.ROTATED, payload: { userId: USER, sessionId: SESSION_ID } },
      ]);
    });

    it('of several tokens presented, spends the newest of their session (a stale duplicate is not reuse)', async () => {
      const { service, seed, table } = setup();
      const tokenOf = seed({ refreshGeneration: 3 });

      const rotation = await service.rotate(['junk', tokenOf(2), tokenOf(3)], {});

      expect(rotation.session.refreshGeneration).toBe(4);
      expect(table.revocations).toEqual([]);
    });

    it('hands the live token again to a retry of the previous generation within the grace window', async () => {
      const { service, seed, table, log } = setup();
      const tokenOf = seed({ refreshGeneration: 0 });
      const first = await service.rotate(tokenOf(0), {});
      log.length = 0;

      const retry = await service.rotate(tokenOf(0), {});

      expect(retry.refreshToken).toBe(first.refreshToken);
      expect(table.rows.get(SESSION_ID)!.refreshGeneration).toBe(1);
      expect(table.revocations).toEqual([]);
      expect(log).toEqual([]);
    });

    it('treats the previous generation after the grace window as reuse', async () => {
      const { service, seed } = setup();
      const tokenOf = seed({ refreshGeneration: 1, rotatedAt: new Date(Date.now() - 31_000) });

      expect(await rejectionCode(service.rotate(tokenOf(0), {}))).toBe('REFRESH_TOKEN_REUSED');
    });

    it('on reuse of an older generation: ends the session, alerts first, then propagates, and refuses', async () => {
      const { service, seed, table, log } = setup({ revokeAllOnReuse: false });
      const tokenOf = seed({ refreshGeneration: 3, rotatedAt: new Date() });
      table.rows.set(OTHER_SESSION, sessionEntity({ id: OTHER_SESSION, userId: USER }));

      const code = await rejectionCode(
        service.rotate(tokenOf(1), { ip: '10.0.0.66', userAgent: 'thief' }),
      );

      expect(code).toBe('REFRESH_TOKEN_REUSED');
      expect(table.revocations).toEqual([{ ids: [SESSION_ID], reason: 'REUSE_DETECTED' }]);
      expect(table.rows.get(OTHER_SESSION)!.revokedAt).toBeNull();
      expect(log).toEqual([
        {
          emit: SessionEvents.REUSE_DETECTED,
          payload: {
            userId: USER,
            sessionId: SESSION_ID,
            revokedSessionIds: [SESSION_ID],
            cause: 'token-reused',
            ip: '10.0.0.66',
            userAgent: 'thief',
          },
        },
        { revoked: [SESSION_ID], reason: 'REUSE_DETECTED' },
      ]);
    });

    it("with revokeAllOnReuse, ends all of the user's sessions", async () => {
      const { service, seed, table, log } = setup({ revokeAllOnReuse: true });
      const tokenOf = seed({ refreshGeneration: 3, rotatedAt: new Date() });
      table.rows.set(OTHER_SESSION, sessionEntity({ id: OTHER_SESSION, userId: USER }));

      expect(await rejectionCode(service.rotate(tokenOf(0), {}))).toBe('REFRESH_TOKEN_REUSED');

      expect(table.revocations).toMatchObject([{ scope: 'all', reason: 'REUSE_DETECTED' }]);
      expect(log.at(-1)).toEqual({
        revoked: [SESSION_ID, OTHER_SESSION].sort(),
        reason: 'REUSE_DETECTED',
      });
    });

    it('ends an outlived session as EXPIRED and answers REFRESH_TOKEN_EXPIRED', async () => {
      const { service, seed, table, log } = setup();
      const token = seed({ idleExpiresAt: new Date(Date.now() - 1000) })();

      expect(await rejectionCode(service.rotate(token, {}))).toBe('REFRESH_TOKEN_EXPIRED');

      expect(table.rows.get(SESSION_ID)!.revokeReason).toBe('EXPIRED');
      expect(log).toEqual([{ revoked: [SESSION_ID], reason: 'EXPIRED' }]);
    });

    it('answers as the request that ended the session first decided, without announcing it twice', async () => {
      const { service, seed, table, log } = setup();
      const token = seed({ idleExpiresAt: new Date(Date.now() - 1000) })();
      // The cleanup job ends it between this request's read and its revocation.
      table.beforeRevoke = () => {
        table.beforeRevoke = undefined;
        Object.assign(table.rows.get(SESSION_ID)!, {
          revokedAt: new Date(),
          revokeReason: 'EXPIRED',
        });
      };

      expect(await rejectionCode(service.rotate(token, {}))).toBe('REFRESH_TOKEN_EXPIRED');
      expect(log).toEqual([]);
    });

    it.each([
      [
        'a revoked session',
        { revokedAt: new Date(), revokeReason: 'LOGOUT' as const },
        'SESSION_REVOKED',
      ],
      [
        'a session whose nonce differs (re-created id)',
        { refreshNonce: Buffer.alloc(16, 9) },
        'REFRESH_TOKEN_INVALID',
      ],
    ])('refuses the live token of %s, revoking nothing', async (_, overrides, code) => {
      const { service, seed, table } = setup();
      const token = seed()();
      Object.assign(table.rows.get(SESSION_ID)!, overrides);

      expect(await rejectionCode(service.rotate(token, {}))).toBe(code);
      expect(table.revocations).toEqual([]);
    });

    it('refuses a token of an unknown session with REFRESH_TOKEN_INVALID', async () => {
      const { service, seed, table } = setup();
      const token = seed()();
      table.rows.clear();

      expect(await rejectionCode(service.rotate(token, {}))).toBe('REFRESH_TOKEN_INVALID');
    });

    it('refuses the live token from another device with DEVICE_MISMATCH when bound', async () => {
      const { service, seed, table } = setup({ bindDevice: true });
      const token = seed({ deviceId: 'device-1' })();

      expect(await rejectionCode(service.rotate(token, { deviceId: 'device-2' }))).toBe(
        'DEVICE_MISMATCH',
      );
      expect(table.rows.get(SESSION_ID)!.refreshGeneration).toBe(0);
    });
  });

  describe('sessionOf', () => {
    it('answers the session for any generation it issued, spending nothing', async () => {
      const { service, seed, table } = setup();
      const tokenOf = seed({ refreshGeneration: 2 });

      await expect(service.sessionOf(tokenOf(0))).resolves.toMatchObject({ id: SESSION_ID });
      await expect(service.sessionOf(tokenOf(2))).resolves.toMatchObject({ id: SESSION_ID });
      expect(table.rows.get(SESSION_ID)!.refreshGeneration).toBe(2);
    });

    it('refuses a generation never issued, another nonce, or junk with REFRESH_TOKEN_INVALID', async () => {
      const { service, seed, table } = setup();
      const tokenOf = seed({ refreshGeneration: 2 });
      const renonced = service.tokenOf({
        id: SESSION_ID,
        refreshGeneration: 1,
        refreshNonce: Buffer.alloc(16, 9),
      });

      for (const raw of [tokenOf(3), renonced, 'junk']) {
        expect(await rejectionCode(service.sessionOf(raw))).toBe('REFRESH_TOKEN_INVALID');
      }
      expect(table.revocations).toEqual([]);
    });

    it('answers REFRESH_TOKEN_MISSING without a token', async () => {
      expect(await rejectionCode(setup().service.sessionOf(''))).toBe('REFRESH_TOKEN_MISSING');
    });
  });
});
