import { DeviceProofService } from '../binding/device-proof.service.js';
import { jest } from '@jest/globals';
import { type SessionAuthOptions } from '../config/session-auth.options.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { SessionService } from './session.service.js';
import { SYSTEM_CLOCK } from '../clock/database-clock.js';
import { rejectionCode } from '../test-fakes/rejection-code.js';
import { verifierOverFakes } from '../test-fakes/verifier-over-fakes.js';

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
 * SessionService with its real verifier, token and state logic over a fake cache and an in-memory
 * "table"; collaborators these tests do not reach are left out.
 */
function setup(extra: SessionAuthOptions = {}) {
  const fixture = verifierOverFakes(extra);
  const { options, repository, state, accessTokens, verifier, metrics, cache } = fixture;
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
  return { ...fixture, service, reaffirm, reads: () => fixture.db.reads };
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

    it('rejects (never throws) what the verifier refuses', async () => {
      const { service, rows, accessTokens } = setup();
      rows.set(SESSION_ID, row({ revokedAt: new Date(), revokeReason: 'LOGOUT' }));

      const answer = service.verifyAccessToken(accessTokens.sign(USER, SESSION_ID).token);

      expect(await rejectionCode(answer)).toBe('SESSION_REVOKED');
      expect(await rejectionCode(service.verifyAccessToken(undefined))).toBe(
        'ACCESS_TOKEN_MISSING',
      );
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
        USER,
        { kind: 'one', sessionId: SESSION_ID },
        'TERMINATED',
      );
      // A retry of a revocation whose news never went out (security round 3, L4).
      expect(reaffirm).toHaveBeenCalledWith([SESSION_ID], USER);
    });
  });
});
