import { generateKeyPairSync } from 'node:crypto';
import { hs256Jws, ProofSigner } from '../test-fakes/proof-signer.js';
import { readDeviceJwk, type DeviceKey } from './device-jwk.js';
import { verifyDbscRefresh, verifyDbscRegistration } from './dbsc-proof.js';

const device = new ProofSigner();
const header = (extra = {}) => ({ alg: 'ES256', typ: 'dbsc+jwt', jwk: device.jwk, ...extra });
const registration = (payload: Record<string, unknown> = { jti: 'challenge' }, extra = {}) =>
  device.jws(header(extra), payload);
const storedKey = readDeviceJwk(device.jwk) as DeviceKey;

describe('verifyDbscRegistration', () => {
  it('takes a dbsc+jwt with the key in its header, signed by it, and the challenge in jti', () => {
    expect(verifyDbscRegistration(registration())).toEqual({
      key: expect.objectContaining({ thumbprint: storedKey.thumbprint }),
      jti: 'challenge',
    });
  });

  it('refuses anything that is not a compact JWS, or too long', () => {
    expect(verifyDbscRegistration(undefined)).toBe('proof is not a string');
    expect(verifyDbscRegistration('a.b')).toBe('proof is not a compact JWS');
    expect(verifyDbscRegistration(registration({ jti: 'c', pad: 'x'.repeat(5000) }))).toBe(
      'proof is too long',
    );
  });

  it('refuses an unsigned JWT: alg none, with or without a signature segment', () => {
    const [h, p] = device.jws(header({ alg: 'none' }), { jti: 'challenge' }).split('.');
    expect(verifyDbscRegistration(`${h}.${p}.`)).toBe('proof is not a compact JWS');
    expect(verifyDbscRegistration(registration({ jti: 'c' }, { alg: 'none' }))).toBe(
      'alg must be ES256',
    );
  });

  it('refuses RS256 (not offered), and HS256 keyed with the public key', () => {
    expect(verifyDbscRegistration(registration({ jti: 'c' }, { alg: 'RS256' }))).toBe(
      'alg must be ES256',
    );
    const secret = JSON.stringify(device.jwk);
    expect(verifyDbscRegistration(hs256Jws(header({ alg: 'HS256' }), { jti: 'c' }, secret))).toBe(
      'alg must be ES256',
    );
    expect(verifyDbscRegistration(hs256Jws(header(), { jti: 'c' }, secret))).toBe(
      'signature does not verify',
    );
  });

  it('refuses a wrong typ, a missing or bad jwk, and a signature by another key', () => {
    expect(verifyDbscRegistration(registration({ jti: 'c' }, { typ: 'dpop+jwt' }))).toBe(
      'typ must be dbsc+jwt',
    );
    expect(verifyDbscRegistration(registration({ jti: 'c' }, { jwk: undefined }))).toBe(
      'jwk is not an object',
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'jwk',
    });
    expect(verifyDbscRegistration(registration({ jti: 'c' }, { jwk: rsa }))).toBe(
      'jwk must be an EC P-256 key',
    );
    expect(
      verifyDbscRegistration(
        registration({ jti: 'c' }, { jwk: { ...device.jwk, d: 'A'.repeat(43) } }),
      ),
    ).toBe('jwk carries private key material');
    const other = new ProofSigner();
    expect(verifyDbscRegistration(other.jws(header(), { jti: 'c' }))).toBe(
      'signature does not verify',
    );
  });

  it('refuses a missing or malformed jti', () => {
    for (const jti of [undefined, 42, '', 'x'.repeat(129), 'has space']) {
      expect(verifyDbscRegistration(registration({ jti }))).toBe('jti is missing or malformed');
    }
  });
});

describe('verifyDbscRefresh', () => {
  const refreshProof = (payload: Record<string, unknown> = { jti: 'challenge' }, extra = {}) =>
    device.jws({ alg: 'ES256', typ: 'dbsc+jwt', ...extra }, payload);

  it('takes a proof signed by the stored key, without a jwk', () => {
    expect(verifyDbscRefresh(refreshProof(), storedKey)).toEqual({ jti: 'challenge' });
  });

  it('refuses a proof by another key as a signature problem (theft)', () => {
    const thief = new ProofSigner();
    const proof = thief.jws({ alg: 'ES256', typ: 'dbsc+jwt' }, { jti: 'challenge' });
    expect(verifyDbscRefresh(proof, storedKey)).toBe('signature does not verify');
  });

  it('refuses a proof that carries a jwk, a wrong typ or alg, or no jti', () => {
    expect(verifyDbscRefresh(refreshProof({ jti: 'c' }, { jwk: device.jwk }), storedKey)).toBe(
      'a refresh proof carries no jwk',
    );
    expect(verifyDbscRefresh(refreshProof({ jti: 'c' }, { typ: 'JWT' }), storedKey)).toBe(
      'typ must be dbsc+jwt',
    );
    expect(verifyDbscRefresh(refreshProof({ jti: 'c' }, { alg: 'none' }), storedKey)).toBe(
      'alg must be ES256',
    );
    expect(verifyDbscRefresh(refreshProof({}), storedKey)).toBe('jti is missing or malformed');
  });
});
