import { createHmac, createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signHs256, verifyHs256 } from './hs256-jwt.js';

const SECRET = 'hs256-secret-that-is-long-enough-0123456789';
const KEY = createSecretKey(Buffer.from(SECRET));
const NOW = 1_800_000_000;

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signed by hand: the tests do not depend on the code under test for their tokens. */
function signed(payload: object, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const checks = { nowSeconds: NOW };

describe('signHs256 / verifyHs256', () => {
  it('signs what jsonwebtoken verifies, and verifies what jsonwebtoken signs', () => {
    const payload = { sub: 'u', sid: 's', iat: NOW, exp: NOW + 60 };
    const ours = signHs256(payload, KEY);
    const theirs = jwt.sign(payload, KEY, { algorithm: 'HS256' });

    expect(jwt.verify(ours, KEY, { algorithms: ['HS256'], clockTimestamp: NOW })).toEqual(payload);
    expect(verifyHs256(theirs, KEY, checks)).toEqual(payload);
    expect(ours).toBe(theirs);
  });

  it('refuses every other alg, none and a header without typ JWT or with crit', () => {
    const payload = { exp: NOW + 60 };
    for (const header of [
      { alg: 'none' },
      { alg: 'HS512', typ: 'JWT' },
      { alg: 'hs256', typ: 'JWT' },
      { typ: 'JWT' },
      { alg: 'HS256', typ: 'JOSE+JSON' },
      { alg: 'HS256', typ: 'JWT', crit: ['exp'] },
    ]) {
      expect(verifyHs256(signed(payload, header), KEY, checks)).toBe('invalid');
    }
    expect(verifyHs256(signed(payload, { alg: 'HS256' }), KEY, checks)).toEqual(payload);
  });

  it('refuses a signature spelled another way, cut short, or made with another key', () => {
    const token = signed({ exp: NOW + 60 });
    const [header, payload, signature] = token.split('.');

    expect(verifyHs256(`${header}.${payload}.${signature}=`, KEY, checks)).toBe('invalid');
    expect(verifyHs256(`${header}.${payload}.${signature.slice(0, -1)}`, KEY, checks)).toBe(
      'invalid',
    );
    expect(verifyHs256(token, createSecretKey(Buffer.from(`${SECRET}x`)), checks)).toBe('invalid');
  });

  it('refuses a payload that is not a JSON object, and garbage', () => {
    for (const payload of [[1, 2], 'text', null]) {
      const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      expect(verifyHs256(token, KEY, checks)).toBe('invalid');
    }
    for (const garbage of ['', 'a.b', 'a.b.c', 'a.b.c.d']) {
      expect(verifyHs256(garbage, KEY, checks)).toBe('invalid');
    }
  });

  it('checks nbf and exp against the given clock: expired only for a valid signature', () => {
    expect(verifyHs256(signed({ nbf: NOW + 1 }), KEY, checks)).toBe('invalid');
    expect(verifyHs256(signed({ nbf: NOW }), KEY, checks)).toEqual({ nbf: NOW });
    expect(verifyHs256(signed({ nbf: 'now' }), KEY, checks)).toBe('invalid');
    expect(verifyHs256(signed({ exp: NOW }), KEY, checks)).toBe('expired');
    expect(verifyHs256(signed({ exp: NOW + 1 }), KEY, checks)).toEqual({ exp: NOW + 1 });
    expect(verifyHs256(signed({ exp: String(NOW + 60) }), KEY, checks)).toBe('invalid');
    const other = createSecretKey(Buffer.from('another-secret-that-is-long-enough-000'));
    expect(verifyHs256(signed({ exp: NOW - 60 }), other, checks)).toBe('invalid');
  });

  it('checks iss and aud when asked (aud may be a list)', () => {
    const strict = { ...checks, issuer: 'https://auth.example.com', audience: 'api' };
    const good = { iss: 'https://auth.example.com', aud: 'api' };

    expect(verifyHs256(signed(good), KEY, strict)).toEqual(good);
    expect(verifyHs256(signed({ ...good, aud: ['other', 'api'] }), KEY, strict)).not.toBe(
      'invalid',
    );
    expect(verifyHs256(signed({ ...good, aud: 'other' }), KEY, strict)).toBe('invalid');
    expect(verifyHs256(signed({ ...good, iss: 'https://evil.example.com' }), KEY, strict)).toBe(
      'invalid',
    );
    expect(verifyHs256(signed({}), KEY, strict)).toBe('invalid');
  });
});
