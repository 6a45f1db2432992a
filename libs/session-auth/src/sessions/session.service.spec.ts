import { DeviceProofService } from '../binding/device-proof.service.js';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { type SessionAuthOptions } from '../config/session-auth.options.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import type { SessionRepository } from '../persistence/session.repository.js';
import { SessionVerifier } from './session-verifier.js';
import { SessionService } from './session.service.js';
import { SessionStateService } from '../cache/session-state.service.js';
import { SYSTEM_CLOCK } from '../clock/database-clock.js';
import { rejectionCode } from '../test-fakes/rejection.js';

const SECRET = 'session-service-spec-secret-long-enough';
const USER = 'user-1';
const SESSION_ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const AUTHENTICATED_AT = new Date('2030-01-01T10:00:00Z');

function row(overrides: Partial<SessionEntity> = {}): SessionEntity {
  const now = Date.now();
  return sessionEntity({
    id: SESSION_ID,
    userId: USER,
    createdAt: AUTHENTICATED_AT,
    authenticatedAt: AUTHENTICATED_AT,
    idleExpiresAt: new Date(now + 3_600_000),
    absoluteExpiresAt: new Date(now + 7_200_000),
    ...overrides,
  });
}

/**
 * SessionService with its real token and state logic over a fake cache and an in-memory "table";
 * collaborators these tests do not reach are left out.
 */
function setup(extra: SessionAuthOptions = {}) {
  const options = resolveSessionAuthOptions({ jwtSecret: SECRET, bcryptRounds: 4, ...extra });
  const cache = new FakeSessionCache();
  const rows = new Map<string, SessionEntity>();
  let reads = 0;
  const findById = async (id: string) => {
    reads++;
    return rows.get(id);
  };
  const touch = jest.fn(async (_sessionId: string) => undefined);
  const revoke = jest.fn(async () => [] as { id: string; userId: string }[]);
  const repository = { touch, revoke, findById } as unknown as SessionRepository;
  const metrics = disabledMetrics();
  const state = new SessionStateService(cache, repository, metrics, SYSTEM_CLOCK);
  const accessTokens = new AccessTokenService(options, SYSTEM_CLOCK);
  const verifier = new SessionVerifier(
    options,
    cache,
    repository,
    state,
    accessTokens,
    SYSTEM_CLOCK,
  );
  const reaffirm = jest.fn(async (_ids: string[], _userId: string) => undefined);
  const service = new SessionService(
    options,
    repository,
    state,
    { reaffirm } as never,
    accessTokens,
    verifier,
    {} as never,
    {} as never,
    {} as never,
    metrics,
    new DeviceProofService(options, cache),
    SYSTEM_CLOCK,
  );
  /** The verifier's answer when it decides without waiting; `undefined` when it must wait. */
  const local = (raw: string) => {
    const checked = verifier.check(raw);
    if (!(checked instanceof Promise)) return checked;
    checked.catch(() => undefined);
    return undefined;
  };
  return {
    service,
    verifier,
    local,
    cache,
    rows,
    touch,
    revoke,
    reaffirm,
    accessTokens,
    reads: () => reads,
  };
}

describe('SessionService', () => {
  describe('verifyAccessToken', () => {
    it('answers the principal for a valid token of a live session', async () => {
      const { service, rows, accessTokens } = setup();
      rows.set(SESSION_ID, row());
      const { token } = accessTokens.sign(USER, SESSION_ID);

      await expect(service.verifyAccessToken(token)).resolves.toEqual({
        userId: USER,
        sessionId: SESSION_ID,
        authenticatedAt: AUTHENTICATED_AT.getTime(),
        claims: expect.objectContaining({ sub: USER, sid: SESSION_ID }),
      });
    });

    it.each([[undefined], ['']])('answers ACCESS_TOKEN_MISSING for %p', async (token) => {
      expect(await rejectionCode(setup().service.verifyAccessToken(token))).toBe(
        'ACCESS_TOKEN_MISSING',
      );
    });

    it('answers ACCESS_TOKEN_INVALID for a bad token without reading any session', async () => {
      const { service, reads, cache } = setup();

      expect(await rejectionCode(service.verifyAccessToken('x.y.z'))).toBe('ACCESS_TOKEN_INVALID');
      expect(reads()).toBe(0);
      expect(cache.calls).toEqual([]);
    });

    it.each([
      ['revoked', { revokedAt: new Date(), revokeReason: 'LOGOUT' as const }],
      ['idle-expired', { idleExpiresAt: new Date(Date.now() - 1000) }],
      ['past its absolute lifetime', { absoluteExpiresAt: new Date(Date.now() - 1000) }],
    ])('answers SESSION_REVOKED for a %s session', async (_, overrides) => {
      const { service, rows, accessTokens } = setup();
      rows.set(SESSION_ID, row(overrides));

      expect(
        await rejectionCode(service.verifyAccessToken(accessTokens.sign(USER, SESSION_ID).token)),
      ).toBe('SESSION_REVOKED');
    });

    it('answers SESSION_REVOKED for a session that does not exist', async () => {
      const { service, accessTokens } = setup();

      expect(
        await rejectionCode(service.verifyAccessToken(accessTokens.sign(USER, SESSION_ID).token)),
      ).toBe('SESSION_REVOKED');
    });

    it('refuses a token whose sub is not the session owner', async () => {
      const { service, rows, accessTokens } = setup();
      rows.set(SESSION_ID, row({ userId: 'someone-else' }));

      expect(
        await rejectionCode(service.verifyAccessToken(accessTokens.sign(USER, SESSION_ID).token)),
      ).toBe('SESSION_REVOKED');
    });

    it('refuses a sid that is not a uuid without a lookup', async () => {
      const { service, accessTokens, reads } = setup();

      expect(
        await rejectionCode(service.verifyAccessToken(accessTokens.sign(USER, 'not-a-uuid').token)),
      ).toBe('SESSION_REVOKED');
      expect(reads()).toBe(0);
    });

    it('still refuses a revoked session while the cache is down (it reads the database)', async () => {
      const { service, rows, accessTokens, cache, reads } = setup();
      rows.set(SESSION_ID, row({ revokedAt: new Date(), revokeReason: 'TERMINATED' }));
      cache.available = false;

      expect(
        await rejectionCode(service.verifyAccessToken(accessTokens.sign(USER, SESSION_ID).token)),
      ).toBe('SESSION_REVOKED');
      expect(reads()).toBe(1);
    });
  });

  describe('SessionVerifier.check without waiting', () => {
    it('answers from the cached state without a database read, like verifyAccessToken', async () => {
      const { service, local, rows, accessTokens, reads } = setup();
      rows.set(SESSION_ID, row());
      const { token } = accessTokens.sign(USER, SESSION_ID);

      expect(local(token)).toBeUndefined(); // nothing cached yet: it must wait
      const waited = await service.verifyAccessToken(token); // reads the row, fills the cache
      const readsBefore = reads();
      expect(local(token)).toEqual(waited);
      expect(reads()).toBe(readsBefore);
    });

    it('throws what verifyAccessToken rejects with, at once', async () => {
      const { service, local, rows, accessTokens, cache } = setup();
      const { token } = accessTokens.sign(USER, SESSION_ID);
      rows.set(SESSION_ID, row());
      await service.verifyAccessToken(token);
      await cache.set(
        `session:${SESSION_ID}`,
        JSON.stringify({ userId: USER, revoked: true }),
        60_000,
      );

      const codeOf = (raw: string) => {
        try {
          local(raw);
        } catch (error) {
          return (error as SessionAuthError).code;
        }
      };
      expect([codeOf(token), codeOf(''), codeOf('x.y.z')]).toEqual([
        'SESSION_REVOKED',
        'ACCESS_TOKEN_MISSING',
        'ACCESS_TOKEN_INVALID',
      ]);
    });

    it('leaves a cached state whose end has passed to the row (a rotation may have extended it)', async () => {
      const { local, accessTokens, cache } = setup();
      const stale = { userId: USER, revoked: false, expiresAt: Date.now() - 1, authenticatedAt: 0 };
      await cache.set(`session:${SESSION_ID}`, JSON.stringify(stale), 60_000);

      expect(local(accessTokens.sign(USER, SESSION_ID).token)).toBe(undefined);
    });

    it('leaves the decision to verifyAccessToken while the cache is down', () => {
      const { local, accessTokens, cache } = setup();
      cache.available = false;

      expect(local(accessTokens.sign(USER, SESSION_ID).token)).toBe(undefined);
    });
  });

  describe('SessionVerifier.admit', () => {
    it('refuses SESSION_NOT_FRESH past freshSeconds since the last sign-in, and records no activity', async () => {
      const { verifier, rows, accessTokens, touch } = setup();
      rows.set(SESSION_ID, row({ authenticatedAt: new Date(Date.now() - 600_000) }));
      const { token } = accessTokens.sign(USER, SESSION_ID);

      expect(await rejectionCode(Promise.resolve().then(() => verifier.admit(token, 300)))).toBe(
        'SESSION_NOT_FRESH',
      );
      expect(touch).not.toHaveBeenCalled();
      await expect(Promise.resolve(verifier.admit(token, 900))).resolves.toMatchObject({
        sessionId: SESSION_ID,
      });
      await new Promise((resolve) => setImmediate(resolve)); // the write is not waited for
      expect(touch).toHaveBeenCalledTimes(1);
    });

    it('records activity like touchSession (debounced), and only logs a failed write', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { verifier, rows, accessTokens, touch } = setup({ touchDebounceSeconds: 60 });
      touch.mockImplementation(async () => {
        throw new Error('database is slow');
      });
      rows.set(SESSION_ID, row());
      const { token } = accessTokens.sign(USER, SESSION_ID);

      await verifier.admit(token, undefined);
      expect(verifier.admit(token, undefined)).toMatchObject({ sessionId: SESSION_ID });
      await new Promise((resolve) => setImmediate(resolve));

      expect(touch).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('database is slow'));
      warn.mockRestore();
    });
  });

  describe('touchSession', () => {
    it('writes last activity at most once per debounce window, through the cache', async () => {
      const { service, touch, cache } = setup({ touchDebounceSeconds: 60 });

      await service.touchSession(SESSION_ID);
      await service.touchSession(SESSION_ID);
      await service.touchSession(SESSION_ID);

      expect(touch).toHaveBeenCalledTimes(1);
      expect(touch).toHaveBeenCalledWith(SESSION_ID);
      expect(cache.calls[0]).toEqual(['setIfAbsent', `touch:${SESSION_ID}`, '1', 60_000]);
    });

    it('debounces per session', async () => {
      const { service, touch } = setup();
      const other = '1c7f2d2f-4b63-4d2f-8e6f-3c1f4d4b0f22';

      await service.touchSession(SESSION_ID);
      await service.touchSession(other);

      expect(touch).toHaveBeenCalledTimes(2);
    });

    it('debounces in process while the cache is down', async () => {
      const { service, touch, cache } = setup({ touchDebounceSeconds: 60 });
      cache.available = false;

      await service.touchSession(SESSION_ID);
      await service.touchSession(SESSION_ID);

      expect(touch).toHaveBeenCalledTimes(1);
    });

    it('writes every time with touchDebounceSeconds 0', async () => {
      jest.useFakeTimers({ now: 0 });
      try {
        const { service, touch } = setup({ touchDebounceSeconds: 0 });

        await service.touchSession(SESSION_ID);
        jest.advanceTimersByTime(1);
        await service.touchSession(SESSION_ID);

        expect(touch).toHaveBeenCalledTimes(2);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('terminateSession', () => {
    it.each(['not-a-uuid', '', "' OR 1=1 --"])(
      'answers SESSION_NOT_FOUND for the id %j without touching the database',
      async (id) => {
        const { service, revoke } = setup();

        expect(await rejectionCode(service.terminateSession(id, USER))).toBe('SESSION_NOT_FOUND');
        expect(revoke).not.toHaveBeenCalled();
      },
    );

    it('answers SESSION_NOT_FOUND when nothing was revoked (another user or already ended), after propagating it again', async () => {
      const { service, revoke, reaffirm } = setup();

      expect(await rejectionCode(service.terminateSession(SESSION_ID, USER))).toBe(
        'SESSION_NOT_FOUND',
      );
      expect(revoke).toHaveBeenCalledWith(
        undefined,
        USER,
        { kind: 'one', sessionId: SESSION_ID },
        'TERMINATED',
      );
      // A retry of a revocation whose news never went out (security round 3, L4).
      expect(reaffirm).toHaveBeenCalledWith([SESSION_ID], USER);
    });
  });
});
