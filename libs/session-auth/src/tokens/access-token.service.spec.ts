import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { type SessionAuthOptions } from '../config/session-auth.options.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { SYSTEM_CLOCK } from '../clock/database-clock.js';
import { AccessTokenService } from './access-token.service.js';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const USER = 'user-1';
const SESSION = '7f1c6f1e-4a52-4c1e-9d5e-2b0f3c3a9e11';

function service(options: SessionAuthOptions = { jwtSecret: SECRET }): AccessTokenService {
  return new AccessTokenService(resolveSessionAuthOptions(options), SYSTEM_CLOCK);
}

function b64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));
}

/** An HS256 JWT signed by hand, so the tests do not depend on the library's own signing. */
function hs256(
  payload: object,
  key: string | Buffer,
  header: object = { alg: 'HS256', typ: 'JWT' },
) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

function validPayload(overrides: object = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: USER, sid: SESSION, jti: randomUUID(), iat: now, exp: now + 900, ...overrides };
}

/** Runs `fn`, expects a SessionAuthError, and returns its code. */
function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionAuthError);
    expect((error as SessionAuthError).getStatus()).toBe(401);
    return (error as SessionAuthError).code;
  }
  throw new Error('expected a SessionAuthError, but verification succeeded');
}

describe('AccessTokenService', () => {
  it("carries the session's device key as cnf.jkt (RFC 9449), and nothing for an unbound one", () => {
    const tokens = service();
    const bound = tokens.verify(tokens.sign('u', 's', 'k'.repeat(43)).token);
    const unbound = tokens.verify(tokens.sign('u', 's', null).token);

    expect(bound.cnf).toEqual({ jkt: 'k'.repeat(43) });
    expect(unbound).not.toHaveProperty('cnf');
  });

  afterEach(() => jest.restoreAllMocks());

  describe('with HS256 (the default)', () => {
    const tokens = service();

    it('signs a token that verifies to sub, sid, jti, iat and exp', () => {
      const before = Math.floor(Date.now() / 1000);
      const { token, expiresAt } = tokens.sign(USER, SESSION);
      const claims = tokens.verify(token);

      expect(claims.sub).toBe(USER);
      expect(claims.sid).toBe(SESSION);
      expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.exp - claims.iat).toBe(900);
      expect(expiresAt.getTime()).toBe(claims.exp * 1000);
    });

    it('pins HS256 in the header and sets no iss or aud by default', () => {
      const { token } = tokens.sign(USER, SESSION);

      expect(decodePart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(decodePart(token, 1)).not.toHaveProperty('iss');
      expect(decodePart(token, 1)).not.toHaveProperty('aud');
    });

    it('gives every token its own jti', () => {
      const a = tokens.verify(tokens.sign(USER, SESSION).token);
      const b = tokens.verify(tokens.sign(USER, SESSION).token);

      expect(a.jti).not.toBe(b.jti);
    });

    it('uses the configured lifetime', () => {
      const short = service({ jwtSecret: SECRET, accessTokenTtl: '2m' });
      const claims = short.verify(short.sign(USER, SESSION).token);

      expect(claims.exp - claims.iat).toBe(120);
    });

    it('accepts a token signed by hand with the same secret (the secret is used as utf-8 bytes)', () => {
      expect(tokens.verify(hs256(validPayload(), SECRET)).sid).toBe(SESSION);
    });

    it('refuses alg none, whatever the case of "none"', () => {
      for (const alg of ['none', 'None', 'NONE']) {
        const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(validPayload())}.`;
        expect(errorCode(() => tokens.verify(unsigned))).toBe('ACCESS_TOKEN_INVALID');
      }
    });

    it('refuses a token whose payload was changed after signing', () => {
      const [header, , signature] = tokens.sign(USER, SESSION).token.split('.');
      const forged = `${header}.${b64url(validPayload({ sub: 'admin' }))}.${signature}`;

      expect(errorCode(() => tokens.verify(forged))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('refuses a token whose signature was changed', () => {
      const { token } = tokens.sign(USER, SESSION);
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;

      expect(errorCode(() => tokens.verify(tampered))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('refuses a token signed with another secret', () => {
      const other = service({ jwtSecret: 'another-secret-that-is-long-enough-987654' });

      expect(errorCode(() => tokens.verify(other.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });

    it('refuses an HS512 token made with the right secret (the algorithm list is pinned)', () => {
      const input = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url(validPayload())}`;
      const token = `${input}.${createHmac('sha512', SECRET).update(input).digest('base64url')}`;

      expect(errorCode(() => tokens.verify(token))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('answers ACCESS_TOKEN_EXPIRED once exp has passed', () => {
      const { token } = tokens.sign(USER, SESSION);
      const signedAt = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(signedAt + 901_000);

      expect(errorCode(() => tokens.verify(token))).toBe('ACCESS_TOKEN_EXPIRED');
    });

    it('answers ACCESS_TOKEN_EXPIRED for a token it verified earlier, once exp has passed', () => {
      const { token, expiresAt } = tokens.sign(USER, SESSION);
      expect(tokens.verify(token).sid).toBe(SESSION);
      jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime() + 1000);

      expect(errorCode(() => tokens.verify(token))).toBe('ACCESS_TOKEN_EXPIRED');
      expect(errorCode(() => tokens.verify(token))).toBe('ACCESS_TOKEN_EXPIRED');
    });

    it('refuses a tampered copy of a token it verified earlier', () => {
      const { token } = tokens.sign(USER, SESSION);
      expect(tokens.verify(token).sub).toBe(USER);
      const [header, , signature] = token.split('.');
      const forged = `${header}.${b64url(validPayload({ sub: 'admin' }))}.${signature}`;

      expect(errorCode(() => tokens.verify(forged))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('still accepts the token just before exp', () => {
      const { token, expiresAt } = tokens.sign(USER, SESSION);
      jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime() - 1000);

      expect(tokens.verify(token).sub).toBe(USER);
    });

    it('refuses a correctly signed token that lacks sub, sid or exp', () => {
      for (const missing of ['sub', 'sid', 'exp']) {
        const payload = validPayload();
        delete payload[missing];
        expect(errorCode(() => tokens.verify(hs256(payload, SECRET)))).toBe('ACCESS_TOKEN_INVALID');
      }
    });

    it('refuses a correctly signed token issued an hour in the future, or without iat', () => {
      const now = Math.floor(Date.now() / 1000);
      const future = validPayload({ iat: now + 3600, exp: now + 7200 });
      const noIat = validPayload();
      delete noIat.iat;

      expect(errorCode(() => tokens.verify(hs256(future, SECRET)))).toBe('ACCESS_TOKEN_INVALID');
      expect(errorCode(() => tokens.verify(hs256(noIat, SECRET)))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('refuses a correctly signed token whose sub or sid is not a string', () => {
      expect(errorCode(() => tokens.verify(hs256(validPayload({ sub: 42 }), SECRET)))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
      expect(errorCode(() => tokens.verify(hs256(validPayload({ sid: null }), SECRET)))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });

    it.each(['', 'not-a-jwt', 'a.b.c', 'Bearer x.y.z'])('refuses the garbage %j', (garbage) => {
      expect(errorCode(() => tokens.verify(garbage))).toBe('ACCESS_TOKEN_INVALID');
    });
  });

  describe('with issuer and audience', () => {
    const options = {
      jwtSecret: SECRET,
      issuer: 'https://auth.example.com',
      audience: 'example-api',
    };
    const tokens = service(options);

    it('sets and checks iss and aud', () => {
      const { token } = tokens.sign(USER, SESSION);

      expect(decodePart(token, 1)).toMatchObject({ iss: options.issuer, aud: options.audience });
      expect(tokens.verify(token).sub).toBe(USER);
    });

    it('refuses a token from another issuer', () => {
      const other = service({ ...options, issuer: 'https://evil.example.com' });

      expect(errorCode(() => tokens.verify(other.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });

    it('refuses a token for another audience', () => {
      const other = service({ ...options, audience: 'another-api' });

      expect(errorCode(() => tokens.verify(other.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });

    it('refuses a token without iss and aud, even with the right secret', () => {
      const plain = service({ jwtSecret: SECRET });

      expect(errorCode(() => tokens.verify(plain.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });
  });

  describe('with RS256', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const tokens = service({ algorithm: 'RS256', jwtKeys: { privateKey, publicKey } });

    it('signs with the private key and verifies with the public key', () => {
      const { token } = tokens.sign(USER, SESSION);

      expect(decodePart(token, 0)).toMatchObject({ alg: 'RS256' });
      expect(tokens.verify(token)).toMatchObject({ sub: USER, sid: SESSION });
    });

    it('refuses an HS256 token whose HMAC key is the public key PEM (algorithm confusion)', () => {
      const forged = hs256(validPayload(), publicKey);

      expect(errorCode(() => tokens.verify(forged))).toBe('ACCESS_TOKEN_INVALID');
    });

    it('refuses an RS256 token signed with another key pair', () => {
      const other = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const foreign = service({ algorithm: 'RS256', jwtKeys: other });

      expect(errorCode(() => tokens.verify(foreign.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });

    it('is refused by an HS256 service, and the other way round', () => {
      const hmac = service();

      expect(errorCode(() => hmac.verify(tokens.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
      expect(errorCode(() => tokens.verify(hmac.sign(USER, SESSION).token))).toBe(
        'ACCESS_TOKEN_INVALID',
      );
    });
  });

  describe('with ES256 and KeyObjects', () => {
    it('round-trips a token', () => {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const tokens = service({ algorithm: 'ES256', jwtKeys: keys });
      const { token } = tokens.sign(USER, SESSION);

      expect(decodePart(token, 0)).toMatchObject({ alg: 'ES256' });
      expect(tokens.verify(token).sid).toBe(SESSION);
    });
  });
});
