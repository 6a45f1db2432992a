import { createHash } from 'node:crypto';
import { parseCompactJws, verifyEs256 } from './compact-jws.js';
import { type DeviceKey, readDeviceJwk } from './device-jwk.js';

/** The request a proof must be for (RFC 9449 `htm` and `htu`). */
export interface ProofTarget {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path of the request, without the query (e.g. `/auth/refresh`). */
  path: string;
  /** The `Host` the client sent; compared when known. */
  host?: string;
  /** `http` or `https` as the platform resolved it (behind a trusted proxy); compared when known. */
  protocol?: string;
}

/** What a proof must satisfy besides its target. */
export interface ProofExpectations {
  nowMs: number;
  /** Seconds a proof's `iat` may be from now, either way. */
  maxAgeSeconds: number;
  /** Checks the `nonce` claim; `undefined` where no nonce is required (a sign-in). */
  nonceIsFresh?: (nonce: unknown) => boolean;
  /** The access token the proof must name by `ath` (routes that require a proof). */
  accessToken?: string;
}

/** A proof that passed every stateless check (its `jti` is not yet checked for replay). */
export interface VerifiedProof {
  key: DeviceKey;
  jti: string;
  iat: number;
}

/** Why a proof was refused: `invalid` (malformed, wrong signature or target) or a stale `nonce`. */
export interface ProofProblem {
  kind: 'invalid' | 'nonce';
  detail: string;
}

const JTI = /^[\x21-\x7e]{8,128}$/;

/**
 * The stateless checks of a DPoP proof (RFC 9449 section 4.3): header `typ: dpop+jwt`,
 * `alg: ES256` only (so `none` and HS256 keyed with the public key are refused before any key is
 * read), a public P-256 `jwk`, the signature under that key, `htm`, `htu`, `iat` within the
 * window, a `jti`, a fresh `nonce` where one is required and `ath` where an access token goes along.
 */
export function verifyDpopProof(
  raw: unknown,
  target: ProofTarget,
  expect: ProofExpectations,
): VerifiedProof | ProofProblem {
  const jws = parseCompactJws(raw);
  if (typeof jws === 'string') return invalid(`proof is ${jws}`);
  const { header, payload } = jws;
  if (header.typ !== 'dpop+jwt') return invalid('typ must be dpop+jwt');
  if (header.alg !== 'ES256') return invalid('alg must be ES256');
  const key = readDeviceJwk(header.jwk);
  if (typeof key === 'string') return invalid(key);
  if (!verifyEs256(jws, key.key)) return invalid('signature does not verify');
  if (typeof payload.htm !== 'string' || payload.htm !== target.method.toUpperCase())
    return invalid('htm does not match the request method');
  if (!sameTarget(payload.htu, target)) return invalid('htu does not match the request URL');
  const { iat, jti } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return invalid('iat is missing');
  if (Math.abs(expect.nowMs / 1000 - iat) > expect.maxAgeSeconds)
    return { kind: 'nonce', detail: 'iat is outside the accepted window' };
  if (typeof jti !== 'string' || !JTI.test(jti)) return invalid('jti is missing or malformed');
  if (expect.accessToken !== undefined && payload.ath !== accessTokenHash(expect.accessToken))
    return invalid('ath does not match the access token');
  if (expect.nonceIsFresh && !expect.nonceIsFresh(payload.nonce))
    return { kind: 'nonce', detail: 'nonce is missing or stale' };
  return { key, jti, iat };
}

/** `ath`: base64url SHA-256 of the access token's ASCII (RFC 9449 section 4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** `htu` names the request's URL, without query and fragment (RFC 9449 section 4.3, check 9). */
function sameTarget(htu: unknown, target: ProofTarget): boolean {
  if (typeof htu !== 'string' || htu.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (target.protocol && url.protocol !== `${target.protocol.toLowerCase()}:`) return false;
  if (target.host && url.host !== target.host.toLowerCase()) return false;
  return url.pathname === target.path.split('?')[0];
}

function invalid(detail: string): ProofProblem {
  return { kind: 'invalid', detail };
}
