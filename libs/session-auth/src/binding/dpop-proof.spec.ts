import { generateKeyPairSync } from 'node:crypto';
import { hs256Jws, ProofSigner } from '../test-fakes/proof-signer.js';
import { accessTokenHash, type ProofTarget, verifyDpopProof } from './dpop-proof.js';
import { jwkThumbprint } from './device-jwk.js';
import { ProofNonces } from './proof-nonce.js';

const URL = 'https://app.example/auth/refresh';
const target: ProofTarget = {
  method: 'POST',
  path: '/auth/refresh',
  host: 'app.example',
  protocol: 'https',
};
const nonces = new ProofNonces([Buffer.alloc(32, 1)], 300);
const expect_ = (extra = {}) => ({
  nowMs: Date.now(),
  maxAgeSeconds: 60,
  nonceIsFresh: (n: unknown) => nonces.isFresh(n),
  ...extra,
});
const device = new ProofSigner();
const nonce = () => nonces.issue();
const problem = (raw: unknown, extra = {}) => verifyDpopProof(raw, target, expect_(extra));

describe('verifyDpopProof', () => {
  it('accepts a proof for this request, signed by the key it carries, with a fresh nonce', () => {
    const result = problem(device.proof('POST', URL, { nonce: nonce() }));

    expect(result).toEqual({
      key: expect.objectContaining({ thumbprint: jwkThumbprint(device.jwk as never) }),
      jti: expect.any(String),
      iat: expect.any(Number),
    });
  });

  it('computes the RFC 7638 thumbprint of the RFC example key', () => {
    // RFC 7638 section 3.1 uses an RSA key; this P-256 vector is RFC 9449's (section 7.1 example).
    const jwk = {
      kty: 'EC' as const,
      crv: 'P-256' as const,
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
    };
    expect(jwkThumbprint(jwk)).toBe('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  });

  it('refuses a proof for another method (htm)', () => {
    expect(problem(device.proof('GET', URL, { nonce: nonce() }))).toEqual({
      kind: 'invalid',
      detail: 'htm does not match the request method',
    });
  });

  it('refuses a proof for another URL (htu): path, host or scheme', () => {
    for (const htu of [
      'https://app.example/auth/login',
      'https://evil.example/auth/refresh',
      'http://app.example/auth/refresh',
      'not a url',
      'ftp://app.example/auth/refresh',
    ]) {
      expect(problem(device.proof('POST', htu, { nonce: nonce() }))).toEqual({
        kind: 'invalid',
        detail: 'htu does not match the request URL',
      });
    }
  });

  it('takes htu without its query, as RFC 9449 compares it', () => {
    const result = problem(device.proof('POST', `${URL}?x=1`, { nonce: nonce() }));
    expect(result).toHaveProperty('jti');
  });

  it('refuses a stale or future iat as a nonce problem (the client retries with a fresh one)', () => {
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 61, now + 61]) {
      expect(problem(device.proof('POST', URL, { iat, nonce: nonce() }))).toEqual({
        kind: 'nonce',
        detail: 'iat is outside the accepted window',
      });
    }
  });

  it('refuses a missing, forged or stale nonce', () => {
    const stale = nonces.issue(Date.now() - 301_000);
    const foreign = new ProofNonces([Buffer.alloc(32, 2)], 300).issue();
    for (const claims of [{}, { nonce: 'x'.repeat(27) }, { nonce: stale }, { nonce: foreign }]) {
      expect(problem(device.proof('POST', URL, claims))).toEqual({
        kind: 'nonce',
        detail: 'nonce is missing or stale',
      });
    }
  });

  it('needs no nonce where none is asked for (a sign-in)', () => {
    expect(problem(device.proof('POST', URL), { nonceIsFresh: undefined })).toHaveProperty('key');
  });

  it('refuses a proof signed by another key than the one in its header', () => {
    const thief = new ProofSigner();
    const forged = thief.proof('POST', URL, { nonce: nonce() }, { jwk: device.jwk });
    expect(problem(forged)).toEqual({ kind: 'invalid', detail: 'signature does not verify' });
  });

  it('refuses alg none, with or without a signature', () => {
    const header = { typ: 'dpop+jwt', alg: 'none', jwk: device.jwk };
    const payload = { htm: 'POST', htu: URL, iat: Date.now() / 1000, jti: 'a'.repeat(16) };
    const unsigned = `${b64(header)}.${b64(payload)}.`;
    expect(problem(unsigned)).toEqual({ kind: 'invalid', detail: 'proof is not a compact JWS' });
    expect(problem(`${b64(header)}.${b64(payload)}.AAAA`)).toEqual({
      kind: 'invalid',
      detail: 'alg must be ES256',
    });
  });

  it('refuses HS256 keyed with the public key (algorithm confusion)', () => {
    const header = { typ: 'dpop+jwt', alg: 'HS256', jwk: device.jwk };
    const payload = {
      htm: 'POST',
      htu: URL,
      iat: Date.now() / 1000,
      jti: 'a'.repeat(16),
      nonce: nonce(),
    };
    for (const secret of [
      JSON.stringify(device.jwk),
      device.publicKey.export({ format: 'pem', type: 'spki' }),
    ]) {
      expect(problem(hs256Jws(header, payload, secret))).toEqual({
        kind: 'invalid',
        detail: 'alg must be ES256',
      });
      // Even claiming ES256, an HMAC is not an ECDSA signature.
      expect(problem(hs256Jws({ ...header, alg: 'ES256' }, payload, secret))).toEqual({
        kind: 'invalid',
        detail: 'signature does not verify',
      });
    }
  });

  it('refuses a wrong typ', () => {
    expect(problem(device.proof('POST', URL, { nonce: nonce() }, { typ: 'JWT' }))).toEqual({
      kind: 'invalid',
      detail: 'typ must be dpop+jwt',
    });
  });

  it('refuses malformed, oversized, private or non-P-256 keys', () => {
    const { x, y } = device.jwk as { x: string; y: string };
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'jwk',
    });
    const cases: [unknown, string][] = [
      [undefined, 'jwk is not an object'],
      ['key', 'jwk is not an object'],
      [[device.jwk], 'jwk is not an object'],
      [rsa, 'jwk must be an EC P-256 key'],
      [{ ...device.jwk, crv: 'P-384' }, 'jwk must be an EC P-256 key'],
      [{ ...device.jwk, d: 'A'.repeat(43) }, 'jwk carries private key material'],
      [{ ...device.jwk, x: x + x }, 'jwk coordinates are malformed'],
      [{ ...device.jwk, y: 'A'.repeat(100) }, 'jwk coordinates are malformed'],
      [{ ...device.jwk, x: 42 }, 'jwk lacks x or y'],
      [{ ...device.jwk, x: y }, 'jwk is not a valid P-256 public key'],
      [{ ...device.jwk, extra: 1 }, 'jwk has unknown members'],
      [{ ...device.jwk, a: 1, b: 2, c: 3, e: 4, f: 5, g: 6 }, 'jwk has too many members'],
    ];
    for (const [jwk, detail] of cases) {
      const raw = device.proof('POST', URL, { nonce: nonce() }, { jwk });
      expect([jwk, problem(raw)]).toEqual([jwk, { kind: 'invalid', detail }]);
    }
  });

  it('refuses a proof over the size limit and anything that is not a JWS', () => {
    const huge = device.proof('POST', URL, { nonce: nonce(), pad: 'x'.repeat(5000) });
    expect(problem(huge)).toEqual({ kind: 'invalid', detail: 'proof is too long' });
    expect(problem(42)).toEqual({ kind: 'invalid', detail: 'proof is not a string' });
    expect(problem('a.b')).toEqual({ kind: 'invalid', detail: 'proof is not a compact JWS' });
    expect(problem('e30.bm90anNvbg.AAAA')).toEqual({
      kind: 'invalid',
      detail: 'proof is header or payload is not a JSON object',
    });
  });

  it('requires ath, the hash of the access token, where one goes along', () => {
    const token = 'header.payload.signature';
    const good = device.proof('POST', URL, { nonce: nonce(), ath: accessTokenHash(token) });
    const bad = device.proof('POST', URL, { nonce: nonce(), ath: accessTokenHash('other') });
    expect(problem(good, { accessToken: token })).toHaveProperty('key');
    expect(problem(bad, { accessToken: token })).toEqual({
      kind: 'invalid',
      detail: 'ath does not match the access token',
    });
  });

  it('refuses a missing or malformed jti', () => {
    for (const jti of [undefined, 'short', 42, 'x'.repeat(129)]) {
      expect(problem(device.proof('POST', URL, { nonce: nonce(), jti }))).toEqual({
        kind: 'invalid',
        detail: 'jti is missing or malformed',
      });
    }
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
