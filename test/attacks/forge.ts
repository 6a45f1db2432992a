import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { base64url, signingInput } from '../support/jwt.mjs';

// Asymmetric JWTs built by hand for the forgery tests (support/jwt.mjs has the HMAC ones): an
// attacker's own key pair, the token signed with it, and headers that point at the attacker's key.

export interface AttackerKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK, as it would be announced in a `jwk` header or a JWKS document. */
  jwk: Record<string, unknown>;
  kid: string;
}

export function attackerRsaKeys(kid = 'attacker-rsa'): AttackerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    kid,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

export function attackerEcKeys(kid = 'attacker-ec'): AttackerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    kid,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  };
}

/** An RS256 (RSASSA-PKCS1-v1_5 / SHA-256) token; `header` adds to or overrides alg/typ. */
export function signRs256(payload: object, privateKey: KeyObject, header: object = {}): string {
  const input = signingInput({ alg: 'RS256', typ: 'JWT', ...header }, payload);
  return `${input}.${base64url(sign('sha256', Buffer.from(input), privateKey))}`;
}

/** An ES256 token (the JOSE signature is r||s, not DER). */
export function signEs256(payload: object, privateKey: KeyObject, header: object = {}): string {
  const input = signingInput({ alg: 'ES256', typ: 'JWT', ...header }, payload);
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${base64url(signature)}`;
}

/**
 * A token whose header says `alg` but whose signature is an HMAC-SHA256 under `secret`: the
 * classic confusion where a verifier lets the token choose how it is checked.
 */
export function hmacWithClaimedAlg(
  payload: object,
  secret: string | Buffer,
  header: object,
): string {
  const input = signingInput({ typ: 'JWT', ...header }, payload);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
