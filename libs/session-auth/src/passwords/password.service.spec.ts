import { jest } from '@jest/globals';
import bcrypt from 'bcrypt';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { assertPasswordLength, MAX_PASSWORD_BYTES, PasswordService } from './password.service.js';

const options = resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32), bcryptRounds: 4 });

/** 37 two-byte characters: 37 characters (under 72) but 74 bytes (over 72). */
const LONG_IN_BYTES = 'é'.repeat(37);

async function rejection(promise: Promise<unknown>): Promise<SessionAuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SessionAuthError);
  return error as SessionAuthError;
}

describe('PasswordService', () => {
  const passwords = new PasswordService(options, disabledMetrics());

  afterEach(() => jest.restoreAllMocks());

  it('hashes with bcrypt at the configured cost, never in clear', async () => {
    const hash = await passwords.hash('correct horse battery staple');

    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(hash).not.toContain('correct horse');
    expect(bcrypt.getRounds(hash)).toBe(4);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await passwords.hash('same')).not.toBe(await passwords.hash('same'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await passwords.hash('correct horse battery staple');

    await expect(passwords.verify('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(passwords.verify('correct horse battery stapl', hash)).resolves.toBe(false);
    await expect(passwords.verify('Correct horse battery staple', hash)).resolves.toBe(false);
  });

  it('accepts exactly 72 bytes and tells apart passwords that differ only in the last byte', async () => {
    const a = 'a'.repeat(71) + 'x';
    const b = 'a'.repeat(71) + 'y';
    const hash = await passwords.hash(a);

    await expect(passwords.verify(a, hash)).resolves.toBe(true);
    await expect(passwords.verify(b, hash)).resolves.toBe(false);
  });

  describe('over 72 bytes', () => {
    it('refuses to hash a password of 73 ASCII bytes', async () => {
      const error = await rejection(passwords.hash('a'.repeat(73)));

      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.getStatus()).toBe(400);
      expect(error.message).toContain('72 bytes');
    });

    it('counts bytes, not characters (37 × "é" is 74 bytes)', async () => {
      expect(LONG_IN_BYTES).toHaveLength(37);

      expect((await rejection(passwords.hash(LONG_IN_BYTES))).code).toBe('VALIDATION_FAILED');
    });

    it('refuses to verify too, instead of comparing a truncated password', async () => {
      // bcrypt itself would say true here: it reads only the first 72 bytes.
      const hash = await passwords.hash('a'.repeat(72));
      expect(await bcrypt.compare('a'.repeat(72) + 'anything', hash)).toBe(true);

      const error = await rejection(passwords.verify('a'.repeat(72) + 'anything', hash));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect((await rejection(passwords.verify(LONG_IN_BYTES, hash))).code).toBe(
        'VALIDATION_FAILED',
      );
    });
  });

  it.each([[''], [undefined], [null], [12345678]])(
    'refuses the password %p with VALIDATION_FAILED',
    async (plain) => {
      expect((await rejection(passwords.hash(plain as string))).code).toBe('VALIDATION_FAILED');
      expect((await rejection(passwords.verify(plain as string, '$2b$04$x'))).code).toBe(
        'VALIDATION_FAILED',
      );
    },
  );

  describe('verify without a hash (unknown email)', () => {
    it.each([[null], [undefined], ['']])('answers false for %p', async (hash) => {
      await expect(passwords.verify('whatever', hash)).resolves.toBe(false);
    });

    it('still spends one bcrypt compare, against a hash of the configured cost', async () => {
      const compare = jest.spyOn(bcrypt, 'compare');

      await expect(passwords.verify('whatever', null)).resolves.toBe(false);

      expect(compare).toHaveBeenCalledTimes(1);
      const [plain, dummy] = compare.mock.calls[0] as unknown as [string, string];
      expect(plain).toBe('whatever');
      expect(bcrypt.getRounds(dummy)).toBe(4);
    });

    it('does not say true even for the dummy password itself', async () => {
      await expect(passwords.verify('session-auth dummy password', null)).resolves.toBe(false);
    });
  });
});

describe('assertPasswordLength', () => {
  it('passes 1 to 72 bytes', () => {
    expect(() => assertPasswordLength('a')).not.toThrow();
    expect(() => assertPasswordLength('a'.repeat(MAX_PASSWORD_BYTES))).not.toThrow();
    expect(() => assertPasswordLength('é'.repeat(36))).not.toThrow();
  });

  it('throws a SessionAuthError over 72 bytes', () => {
    expect(() => assertPasswordLength('😀'.repeat(19))).toThrow(SessionAuthError);
  });
});

describe('PasswordService queue', () => {
  const slow = resolveSessionAuthOptions({
    jwtSecret: 'x'.repeat(32),
    bcryptRounds: 4,
    passwordConcurrency: 1,
    passwordQueueLimit: 1,
  });

  /** Holds bcrypt's only slot until the returned function is called. */
  function holdTheSlot(passwords: PasswordService): {
    release: () => void;
    done: Promise<unknown>;
  } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = bcrypt.hash;
    jest.spyOn(bcrypt, 'hash').mockImplementationOnce((async (...args: [string, number]) => {
      await gate;
      return original(...args);
    }) as never);
    return { release, done: passwords.hash('first') };
  }

  afterEach(() => jest.restoreAllMocks());

  it('answers SERVER_BUSY (503) with a retry delay when the queue is full', async () => {
    const passwords = new PasswordService(slow, disabledMetrics());
    const first = holdTheSlot(passwords);
    const queued = passwords.hash('second');

    const error = await rejection(passwords.verify('third', '$2b$04$invalidinvalidinvalidinv'));

    expect(error.code).toBe('SERVER_BUSY');
    expect(error.getStatus()).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    first.release();
    await Promise.all([first.done, queued]);
  });

  it('drops a queued job whose client went away (CLIENT_CLOSED_REQUEST) without running bcrypt', async () => {
    const passwords = new PasswordService(slow, disabledMetrics());
    const first = holdTheSlot(passwords);
    const compare = jest.spyOn(bcrypt, 'compare');
    const gone = new AbortController();
    const queued = passwords.verify('second', '$2b$04$invalidinvalidinvalidinv', {
      signal: gone.signal,
    });

    gone.abort();

    expect((await rejection(queued)).code).toBe('CLIENT_CLOSED_REQUEST');
    first.release();
    await first.done;
    expect(compare).not.toHaveBeenCalled();
  });
});
