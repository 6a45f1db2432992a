import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Clock } from '../clock/database-clock.js';
import type { SessionAuthError } from '../errors/session-auth.error.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { rejectionCode } from '../test-fakes/rejection-code.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import { verifierOverFakes } from '../test-fakes/verifier-over-fakes.js';
import type { AuthenticatedSession } from './session-verifier.js';

const USER = 'user-1';
const SESSION_ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const OTHER_SESSION = '1c7f2d2f-4b63-4d2f-8e6f-3c1f4d4b0f22';

function row(overrides: Partial<SessionEntity> = {}): SessionEntity {
  return sessionEntity({ id: SESSION_ID, userId: USER, ...overrides });
}

/** A live session signed in `secondsAgo` ago, in the fixture's table, and a token of it. */
function signedIn(fixture: ReturnType<typeof verifierOverFakes>, secondsAgo: number): string {
  fixture.rows.set(SESSION_ID, row({ authenticatedAt: new Date(Date.now() - secondsAgo * 1000) }));
  return fixture.tokenFor(USER, SESSION_ID);
}

/** The verifier's answer as a promise, whether it decided at once (or threw) or waited. */
function settle<T>(answer: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(answer);
}

/** The code of what `answer` throws at once; fails the test when it does not throw synchronously. */
function thrownCode(answer: () => unknown): string {
  try {
    answer();
  } catch (error) {
    return (error as SessionAuthError).code;
  }
  throw new Error('expected a synchronous throw');
}

/** Lets the not-awaited activity write run. */
const settleActivity = () => new Promise((resolve) => setImmediate(resolve));

describe('SessionVerifier', () => {
  describe('check', () => {
    it('answers the principal of a live session, its sign-in time on the process clock', async () => {
      // The database's clock runs 5 s ahead of this process's.
      const clock: Clock = { now: () => Date.now() + 5000, toLocal: (ms) => ms - 5000 };
      const fixture = verifierOverFakes({}, clock);
      const authenticatedAt = new Date(Date.now() - 60_000);
      fixture.rows.set(SESSION_ID, row({ authenticatedAt }));

      const auth = await settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      expect(auth).toEqual<AuthenticatedSession>({
        userId: USER,
        sessionId: SESSION_ID,
        authenticatedAt: authenticatedAt.getTime() - 5000,
        claims: expect.objectContaining({ sub: USER, sid: SESSION_ID }) as never,
      });
    });

    it.each([[undefined], ['']])('throws ACCESS_TOKEN_MISSING at once for %p', (token) => {
      const { verifier, db } = verifierOverFakes();

      expect(thrownCode(() => verifier.check(token))).toBe('ACCESS_TOKEN_MISSING');
      expect(db.reads).toBe(0);
    });

    it('throws ACCESS_TOKEN_INVALID at once for a bad token, reading no session', () => {
      const { verifier, db, cache } = verifierOverFakes();

      expect(thrownCode(() => verifier.check('x.y.z'))).toBe('ACCESS_TOKEN_INVALID');
      expect(db.reads).toBe(0);
      expect(cache.calls).toEqual([]);
    });

    it('throws ACCESS_TOKEN_EXPIRED for a token past its exp', () => {
      const past: Clock = { now: () => Date.now() - 3_600_000, toLocal: (ms) => ms };
      const signer = verifierOverFakes({}, past);
      const { verifier } = verifierOverFakes();

      expect(thrownCode(() => verifier.check(signer.tokenFor(USER, SESSION_ID)))).toBe(
        'ACCESS_TOKEN_EXPIRED',
      );
    });

    it.each([
      ['revoked', { revokedAt: new Date(), revokeReason: 'LOGOUT' as const }],
      ['idle-expired', { idleExpiresAt: new Date(Date.now() - 1000) }],
      ['past its absolute lifetime', { absoluteExpiresAt: new Date(Date.now() - 1000) }],
    ])('refuses a %s session with SESSION_REVOKED', async (_, overrides) => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row(overrides));

      const answer = settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      expect(await rejectionCode(answer)).toBe('SESSION_REVOKED');
    });

    it('refuses an unknown session with SESSION_REVOKED', async () => {
      const fixture = verifierOverFakes();

      const answer = settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      expect(await rejectionCode(answer)).toBe('SESSION_REVOKED');
      expect(fixture.db.reads).toBe(1);
    });

    it("refuses a token whose sub is not the session's owner", async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row({ userId: 'someone-else' }));

      const answer = settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      expect(await rejectionCode(answer)).toBe('SESSION_REVOKED');
    });

    it('refuses a sid that is not a uuid at once, without a lookup', () => {
      const { verifier, db, cache, tokenFor } = verifierOverFakes();

      expect(thrownCode(() => verifier.check(tokenFor(USER, 'not-a-uuid')))).toBe(
        'SESSION_REVOKED',
      );
      expect(db.reads).toBe(0);
      expect(cache.calls).toEqual([]);
    });

    it('still refuses a revoked session while the cache is down (it reads the row)', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row({ revokedAt: new Date(), revokeReason: 'TERMINATED' }));
      fixture.cache.available = false;

      const answer = settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      expect(await rejectionCode(answer)).toBe('SESSION_REVOKED');
      expect(fixture.db.reads).toBe(1);
    });

    it('fails closed when the state lookup throws: the error, not a principal', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row());
      fixture.cache.available = false;
      fixture.db.failReads = new Error('connection terminated');

      const answer = settle(() => fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID)));

      await expect(answer).rejects.toThrow('connection terminated');
    });

    it('answers at once from a held copy of the state, without reading the row again', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row());
      const token = fixture.tokenFor(USER, SESSION_ID);

      const first = fixture.verifier.check(token);
      expect(first).toBeInstanceOf(Promise); // nothing held yet: it waits for the row
      const waited = await first;
      const second = fixture.verifier.check(token);

      expect(second).toEqual(waited);
      expect(fixture.db.reads).toBe(1);
    });

    it('throws at once what a held copy refuses (a revocation marked in the cache)', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row());
      const token = fixture.tokenFor(USER, SESSION_ID);
      await fixture.verifier.check(token);

      await fixture.state.markRevoked([{ id: SESSION_ID, userId: USER }]);

      expect(thrownCode(() => fixture.verifier.check(token))).toBe('SESSION_REVOKED');
      expect(fixture.db.reads).toBe(1);
    });

    it('leaves a held state whose end has passed to the row (a rotation may have extended it)', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row());
      const stale = { userId: USER, revoked: false, expiresAt: Date.now() - 1, authenticatedAt: 0 };
      await fixture.cache.set(`session:${SESSION_ID}`, JSON.stringify(stale), 60_000);

      const answer = fixture.verifier.check(fixture.tokenFor(USER, SESSION_ID));

      expect(answer).toBeInstanceOf(Promise);
      await expect(answer).resolves.toMatchObject({ sessionId: SESSION_ID });
      expect(fixture.db.reads).toBe(1);
    });
  });

  describe('admit', () => {
    it('lets a sign-in younger than freshSeconds through', async () => {
      const fixture = verifierOverFakes();
      const token = signedIn(fixture, 60);

      await expect(settle(() => fixture.verifier.admit(token, 300))).resolves.toMatchObject({
        sessionId: SESSION_ID,
      });
    });

    it('refuses a sign-in older than freshSeconds with SESSION_NOT_FRESH, recording no activity', async () => {
      const fixture = verifierOverFakes();
      const token = signedIn(fixture, 301);

      expect(await rejectionCode(settle(() => fixture.verifier.admit(token, 300)))).toBe(
        'SESSION_NOT_FRESH',
      );
      await settleActivity();
      expect(fixture.touch).not.toHaveBeenCalled();
    });

    it('ignores the sign-in age without freshSeconds', async () => {
      const fixture = verifierOverFakes();
      const token = signedIn(fixture, 30 * 86_400);

      await expect(settle(() => fixture.verifier.admit(token, undefined))).resolves.toMatchObject({
        sessionId: SESSION_ID,
      });
    });

    it("measures freshness on the database's clock", async () => {
      // The database's clock is 60 s behind: a sign-in it stamped 250 s ago reads as 310 s old
      // against this process's clock if the stamp is not converted.
      const clock: Clock = { now: () => Date.now() - 60_000, toLocal: (ms) => ms + 60_000 };
      const fixture = verifierOverFakes({}, clock);
      fixture.rows.set(SESSION_ID, row({ authenticatedAt: new Date(clock.now() - 250_000) }));

      const answer = settle(() => fixture.verifier.admit(fixture.tokenFor(USER, SESSION_ID), 300));

      await expect(answer).resolves.toMatchObject({ sessionId: SESSION_ID });
    });

    it('applies freshness to a state held locally too', async () => {
      const fixture = verifierOverFakes();
      const token = signedIn(fixture, 3600);
      await fixture.verifier.check(token); // now held

      expect(thrownCode(() => fixture.verifier.admit(token, 300))).toBe('SESSION_NOT_FRESH');
    });

    it('refuses what check refuses (revoked, unknown) before freshness', async () => {
      const fixture = verifierOverFakes();
      fixture.rows.set(SESSION_ID, row({ revokedAt: new Date(), revokeReason: 'LOGOUT' }));

      const revoked = settle(() => fixture.verifier.admit(fixture.tokenFor(USER, SESSION_ID), 300));
      const unknown = settle(() =>
        fixture.verifier.admit(fixture.tokenFor(USER, OTHER_SESSION), 300),
      );

      expect([await rejectionCode(revoked), await rejectionCode(unknown)]).toEqual([
        'SESSION_REVOKED',
        'SESSION_REVOKED',
      ]);
    });

    it('records activity once per debounce window, not waited for, and only logs a failed write', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const fixture = verifierOverFakes({ touchDebounceSeconds: 60 });
        fixture.touch.mockImplementation(async () => {
          throw new Error('database is slow');
        });
        const token = signedIn(fixture, 60);

        await fixture.verifier.admit(token, undefined);
        expect(fixture.verifier.admit(token, undefined)).toMatchObject({ sessionId: SESSION_ID });
        await settleActivity();

        expect(fixture.touch).toHaveBeenCalledTimes(1);
        expect(fixture.touch).toHaveBeenCalledWith(SESSION_ID);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('database is slow'));
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('touch', () => {
    it('writes no row when another instance already did within the window (its mark is in the cache)', async () => {
      const fixture = verifierOverFakes({ touchDebounceSeconds: 60 });
      await fixture.cache.setIfAbsent(`touch:${SESSION_ID}`, '1', 60_000);
      fixture.cache.calls.length = 0;

      await fixture.verifier.touch(SESSION_ID);
      await fixture.verifier.touch(SESSION_ID);

      expect(fixture.touch).not.toHaveBeenCalled();
      // The second call is debounced in process: one look at the store per window.
      expect(fixture.cache.methodsCalled()).toEqual(['setIfAbsent']);
    });

    it('writes the row once per window while the cache is down (debounced in process)', async () => {
      const fixture = verifierOverFakes({ touchDebounceSeconds: 60 });
      fixture.cache.available = false;

      await fixture.verifier.touch(SESSION_ID);
      await fixture.verifier.touch(SESSION_ID);
      await fixture.verifier.touch(OTHER_SESSION);

      expect(fixture.touch.mock.calls).toEqual([[SESSION_ID], [OTHER_SESSION]]);
    });
  });
});
