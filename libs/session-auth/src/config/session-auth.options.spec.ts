import { generateKeyPairSync } from 'node:crypto';
import {
  SESSION_AUTH_DEFAULTS,
  type SessionAuthOptions,
  SessionAuthOptionsError,
} from './session-auth.options.js';
import { resolveSessionAuthOptions } from './resolve-options.js';
import {
  generateNonce,
  mintRefreshToken,
  readRefreshToken,
} from '../tokens/refresh-token.crypto.js';

const SECRET = 'a'.repeat(32);

function resolve(extra: Partial<SessionAuthOptions> = {}) {
  return resolveSessionAuthOptions({ jwtSecret: SECRET, ...extra });
}

/** Calls `fn`, expects a SessionAuthOptionsError, and returns it. */
function optionsError(fn: () => unknown): SessionAuthOptionsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionAuthOptionsError);
    return error as SessionAuthOptionsError;
  }
  throw new Error('expected a SessionAuthOptionsError, but nothing was thrown');
}

describe('resolveSessionAuthOptions', () => {
  it('fills every default, with durations in seconds', () => {
    const resolved = resolve();

    // toMatchObject: an option added later brings its own default without breaking this list.
    expect(resolved).toMatchObject({
      jwtSecret: SECRET,
      algorithm: 'HS256',
      accessTokenTtl: 15 * 60,
      idleTtl: 7 * 86_400,
      absoluteTtl: 30 * 86_400,
      reuseGraceSeconds: 10,
      revokeAllOnReuse: false,
      bindDevice: false,
      bindUserAgent: false,
      maxSessionsPerUser: 100,
      bcryptRounds: 12,
      redisKeyPrefix: 'session-auth:',
      refreshTransport: 'cookie',
      cookieName: 'refresh_token',
      cookiePath: '/auth',
      cookieSecure: true,
      touchDebounceSeconds: 60,
      cleanupCron: '0 */15 * * * *',
      // Spent tokens are kept for as long as a session could present them: absolute + grace.
      cleanupRetention: 30 * 86_400 + 10,
    });
    expect(resolved.redis).toBeUndefined();
  });

  it('does not change the shared defaults object', () => {
    resolve({ accessTokenTtl: '1m', cookieName: 'rt' });

    expect(SESSION_AUTH_DEFAULTS.accessTokenTtl).toBe('15m');
    expect(SESSION_AUTH_DEFAULTS.cookieName).toBe('refresh_token');
  });

  it('treats an option given as undefined as not given (the default applies)', () => {
    const resolved = resolve({ accessTokenTtl: undefined, bcryptRounds: undefined });

    expect(resolved.accessTokenTtl).toBe(900);
    expect(resolved.bcryptRounds).toBe(12);
  });

  it.each([
    [900, 900],
    ['900', 900],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604_800],
  ])('accepts the duration %j as %d seconds', (given, seconds) => {
    const resolved = resolve({
      accessTokenTtl: given,
      idleTtl: given,
      absoluteTtl: given,
      reuseGraceSeconds: 0,
      cleanupRetention: given,
    });

    expect(resolved.accessTokenTtl).toBe(seconds);
    expect(resolved.idleTtl).toBe(seconds);
    expect(resolved.absoluteTtl).toBe(seconds);
    expect(resolved.cleanupRetention).toBe(seconds);
  });

  it('refuses a cleanupRetention shorter than absoluteTtl plus reuseGraceSeconds', () => {
    const error = optionsError(() =>
      resolve({ absoluteTtl: '30d', reuseGraceSeconds: 10, cleanupRetention: '30d' }),
    );

    expect(error.message).toContain('"cleanupRetention"');
    expect(error.message).toContain(String(30 * 86_400 + 10));
  });

  it('accepts a cleanupRetention that covers absoluteTtl plus reuseGraceSeconds', () => {
    const resolved = resolve({ absoluteTtl: '1d', reuseGraceSeconds: 10, cleanupRetention: '2d' });

    expect(resolved.cleanupRetention).toBe(2 * 86_400);
  });

  it('keeps the given values of the other options', () => {
    const resolved = resolve({
      issuer: 'https://auth.example.com',
      audience: 'example-api',
      reuseGraceSeconds: 0,
      revokeAllOnReuse: true,
      bindDevice: true,
      maxSessionsPerUser: 5,
      bcryptRounds: 4,
      redis: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'app:',
      refreshTransport: 'both',
      cookieSecure: false,
      touchDebounceSeconds: 0,
    });

    expect(resolved).toMatchObject({
      issuer: 'https://auth.example.com',
      audience: 'example-api',
      reuseGraceSeconds: 0,
      revokeAllOnReuse: true,
      bindDevice: true,
      maxSessionsPerUser: 5,
      bcryptRounds: 4,
      redis: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'app:',
      refreshTransport: 'both',
      cookieSecure: false,
      touchDebounceSeconds: 0,
    });
  });

  describe('jwtSecret', () => {
    it('is required for HS256', () => {
      const error = optionsError(() => resolveSessionAuthOptions({}));

      expect(error.message).toContain('"jwtSecret"');
    });

    it('refuses a secret of 31 bytes and accepts one of 32', () => {
      expect(optionsError(() => resolve({ jwtSecret: 'x'.repeat(31) })).message).toContain(
        '"jwtSecret"',
      );
      expect(resolve({ jwtSecret: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
    });

    it('counts bytes, not characters', () => {
      // 16 two-byte characters: 16 characters, 32 bytes.
      expect(() => resolve({ jwtSecret: 'é'.repeat(16) })).not.toThrow();
      expect(() => resolve({ jwtSecret: 'é'.repeat(15) })).toThrow(/"jwtSecret"/);
    });

    it('refuses a value that is not a string', () => {
      const error = optionsError(() =>
        resolve({ jwtSecret: Buffer.alloc(64) as unknown as string }),
      );

      expect(error.message).toContain('"jwtSecret"');
    });
  });

  describe('refreshTokenSecrets', () => {
    it('derives one key from the JWT secret by default, distinct from it and per secret', () => {
      const [key] = resolve().refreshTokenKeys;
      expect(key.key).toHaveLength(32);
      expect(key.key.equals(Buffer.from(SECRET).subarray(0, 32))).toBe(false);
      expect(resolve({ jwtSecret: 'b'.repeat(32) }).refreshTokenKeys[0].key.equals(key.key)).toBe(
        false,
      );
    });

    it('uses the given secrets, the first signing, instead of the JWT secret', () => {
      const keys = resolve({
        refreshTokenSecrets: ['n'.repeat(32), 'o'.repeat(40)],
      }).refreshTokenKeys;
      expect(keys).toHaveLength(2);
      expect(keys[0].key.equals(resolve().refreshTokenKeys[0].key)).toBe(false);
    });

    it("acceptDerivedRefreshKey keeps an ES256 deployment's tokens valid when it moves to refreshTokenSecrets (issue 19)", () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const es256 = {
        jwtSecret: undefined,
        algorithm: 'ES256' as const,
        jwtKeys: { privateKey, publicKey },
      };
      const before = resolve(es256).refreshTokenKeys;
      const token = mintRefreshToken(
        before[0],
        '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11',
        5,
        generateNonce(),
      );
      const secrets = ['n'.repeat(32)];

      const moved = resolve({
        ...es256,
        refreshTokenSecrets: secrets,
        acceptDerivedRefreshKey: true,
      });
      const movedWithout = resolve({ ...es256, refreshTokenSecrets: secrets });

      expect({
        signsWithNew: moved.refreshTokenKeys[0].key.equals(movedWithout.refreshTokenKeys[0].key),
        oldTokenWith: readRefreshToken(token, moved.refreshTokenKeys)?.generation,
        oldTokenWithout: readRefreshToken(token, movedWithout.refreshTokenKeys),
      }).toEqual({ signsWithNew: true, oldTokenWith: 5, oldTokenWithout: undefined });
    });

    it('refuses acceptDerivedRefreshKey without refreshTokenSecrets, naming it', () => {
      expect(optionsError(() => resolve({ acceptDerivedRefreshKey: true })).message).toContain(
        '"acceptDerivedRefreshKey"',
      );
    });

    it.each([[[]], [['short']], ['x'.repeat(40)], [[42]]])('refuses %p', (value) => {
      const error = optionsError(() =>
        resolve({ refreshTokenSecrets: value as unknown as string[] }),
      );
      expect(error.message).toContain('"refreshTokenSecrets"');
    });
  });

  describe('algorithm and jwtKeys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    it('refuses an algorithm it does not support', () => {
      for (const algorithm of ['none', 'HS512', 'EdDSA', 'hs256']) {
        const error = optionsError(() =>
          resolve({ algorithm: algorithm as SessionAuthOptions['algorithm'] }),
        );
        expect(error.message).toContain('"algorithm"');
      }
    });

    it('requires both keys for RS256 and ES256', () => {
      for (const algorithm of ['RS256', 'ES256'] as const) {
        expect(optionsError(() => resolve({ algorithm })).message).toContain('"jwtKeys"');
        expect(
          optionsError(() =>
            resolve({ algorithm, jwtKeys: { privateKey, publicKey: undefined as never } }),
          ).message,
        ).toContain('"jwtKeys"');
        expect(
          optionsError(() => resolve({ algorithm, jwtKeys: { privateKey: '', publicKey: 'pem' } }))
            .message,
        ).toContain('"jwtKeys"');
      }
    });

    it('refuses at start-up a pair that does not fit the algorithm or each other', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const cases: [SessionAuthOptions, RegExp][] = [
        [{ algorithm: 'RS256', jwtKeys: { privateKey, publicKey } }, /RSA keys for RS256/],
        [{ algorithm: 'ES256', jwtKeys: rsa }, /EC keys for ES256/],
        [{ algorithm: 'ES256', jwtKeys: p384 }, /P-256/],
        [
          { algorithm: 'ES256', jwtKeys: { privateKey, publicKey: otherEc.publicKey } },
          /does not belong/,
        ],
        [{ algorithm: 'ES256', jwtKeys: { privateKey: 'not a pem', publicKey } }, /cannot be read/],
      ];
      for (const [options, problem] of cases) {
        const error = optionsError(() => resolveSessionAuthOptions(options));
        expect(error.message).toContain('"jwtKeys"');
        expect(error.message).toMatch(problem);
      }
    });

    it('names algorithm when keys are given but the algorithm is left at HS256', () => {
      const error = optionsError(() =>
        resolveSessionAuthOptions({ jwtKeys: { privateKey, publicKey } }),
      );
      expect(error.message).toContain('"algorithm"');
    });

    it('accepts a key pair without any jwtSecret', () => {
      const resolved = resolveSessionAuthOptions({
        algorithm: 'ES256',
        jwtKeys: { privateKey, publicKey },
      });

      expect(resolved.algorithm).toBe('ES256');
      expect(resolved.jwtKeys).toEqual({ privateKey, publicKey });
    });
  });

  describe.each(['accessTokenTtl', 'idleTtl', 'absoluteTtl', 'cleanupRetention'] as const)(
    '%s',
    (option) => {
      it.each([0, -60, '0', '-1m', '15x', 'soon', '', Number.NaN])('refuses %j', (value) => {
        const error = optionsError(() => resolve({ [option]: value }));

        expect(error.message).toContain(`"${option}"`);
        expect(error.message).toContain(JSON.stringify(value));
      });
    },
  );

  it('refuses an unknown refreshTransport', () => {
    const error = optionsError(() =>
      resolve({ refreshTransport: 'header' as SessionAuthOptions['refreshTransport'] }),
    );

    expect(error.message).toContain('"refreshTransport"');
  });

  describe('cookie name prefixes (issue 19, L3)', () => {
    it('gives a __Host- cookie Path=/ by default and accepts it with Secure', () => {
      const resolved = resolve({ cookieName: '__Host-refresh_token' });

      expect([resolved.cookieName, resolved.cookiePath, resolved.cookieSecure]).toEqual([
        '__Host-refresh_token',
        '/',
        true,
      ]);
    });

    it.each([
      [{ cookieName: '__Host-refresh_token', cookiePath: '/auth' }, 'cookiePath'],
      [{ cookieName: '__host-rt', cookiePath: '/auth' }, 'cookiePath'],
      [{ cookieName: '__Host-refresh_token', cookieSecure: false }, 'cookieSecure'],
      [{ cookieName: '__Secure-refresh_token', cookieSecure: false }, 'cookieSecure'],
      [{ cookieName: 'refresh token' }, 'cookieName'],
      [{ cookieName: '' }, 'cookieName'],
    ] as [Partial<SessionAuthOptions>, string][])('refuses %j, naming %s', (options, named) => {
      expect(optionsError(() => resolve(options)).message).toContain(`"${named}"`);
    });

    it('keeps /auth for an unprefixed name and accepts a __Secure- name with Secure', () => {
      expect(resolve({ cookieName: '__Secure-rt' }).cookiePath).toBe('/auth');
    });
  });

  it.each(['cookie', 'body', 'both'] as const)('accepts refreshTransport %s', (transport) => {
    expect(resolve({ refreshTransport: transport }).refreshTransport).toBe(transport);
  });

  it.each([3, 32, 10.5, Number.NaN])('refuses bcryptRounds %j', (rounds) => {
    expect(optionsError(() => resolve({ bcryptRounds: rounds })).message).toContain(
      '"bcryptRounds"',
    );
  });

  it.each([4, 31])('accepts bcryptRounds %d', (rounds) => {
    expect(resolve({ bcryptRounds: rounds }).bcryptRounds).toBe(rounds);
  });

  it.each([0, -1, 1.5, 10_001])('refuses maxSessionsPerUser %j', (max) => {
    expect(optionsError(() => resolve({ maxSessionsPerUser: max })).message).toContain(
      '"maxSessionsPerUser"',
    );
  });

  it('bounds the bcrypt queue at 32 jobs per slot by default', () => {
    expect(resolve({ passwordConcurrency: 3 }).passwordQueueLimit).toBe(96);
    expect(resolve({ passwordConcurrency: 3, passwordQueueLimit: 0 }).passwordQueueLimit).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('refuses passwordQueueLimit %j', (limit) => {
    expect(optionsError(() => resolve({ passwordQueueLimit: limit })).message).toContain(
      '"passwordQueueLimit"',
    );
  });

  it.each([-1, 301, 2.5])('refuses reuseGraceSeconds %j', (seconds) => {
    expect(optionsError(() => resolve({ reuseGraceSeconds: seconds })).message).toContain(
      '"reuseGraceSeconds"',
    );
  });

  it.each([-1, 86_401, 0.5])('refuses touchDebounceSeconds %j', (seconds) => {
    expect(optionsError(() => resolve({ touchDebounceSeconds: seconds })).message).toContain(
      '"touchDebounceSeconds"',
    );
  });

  it('refuses an empty redisKeyPrefix', () => {
    expect(optionsError(() => resolve({ redisKeyPrefix: '' })).message).toContain(
      '"redisKeyPrefix"',
    );
  });

  it('accepts a Redis Cluster URL with host:port seeds', () => {
    expect(resolve({ redis: 'redis+cluster://10.0.0.1:6379,10.0.0.2:7000' }).redis).toBe(
      'redis+cluster://10.0.0.1:6379,10.0.0.2:7000',
    );
  });

  it.each(['redis+cluster://', 'redis+cluster://host:notaport', 'redis+cluster://:6379'])(
    'refuses the Redis Cluster URL %j, naming redis',
    (url) => {
      expect(optionsError(() => resolve({ redis: url })).message).toContain('"redis"');
    },
  );

  it('accepts a postgres:// directDatabaseUrl and refuses anything else', () => {
    expect(resolve({ directDatabaseUrl: 'postgres://app@db:5432/app' }).directDatabaseUrl).toBe(
      'postgres://app@db:5432/app',
    );
    expect(optionsError(() => resolve({ directDatabaseUrl: 'db:5432' })).message).toContain(
      '"directDatabaseUrl"',
    );
  });

  it.each(['', 'every 15 minutes', '* * * *'])('refuses cleanupCron %j', (cron) => {
    expect(optionsError(() => resolve({ cleanupCron: cron })).message).toContain('"cleanupCron"');
  });

  it('accepts five- and six-field cron expressions', () => {
    expect(resolve({ cleanupCron: '*/5 * * * *' }).cleanupCron).toBe('*/5 * * * *');
    expect(resolve({ cleanupCron: '30 */5 * * * *' }).cleanupCron).toBe('30 */5 * * * *');
  });

  it('names the module in the message and has its own error name', () => {
    const error = optionsError(() => resolve({ bcryptRounds: 99 }));

    expect(error.name).toBe('SessionAuthOptionsError');
    expect(error.message).toMatch(/^SessionAuthModule option "bcryptRounds" /);
  });
});
