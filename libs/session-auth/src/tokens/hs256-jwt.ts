import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JWTs with node:crypto alone: one HMAC and one JSON.parse per token, where jsonwebtoken
 * (jws, jwa, its option validation) cost about twice as much CPU per sign and per verify. Only
 * what the library issues and accepts: header `{"alg":"HS256","typ":"JWT"}`, the algorithm pinned
 * (any other `alg`, `none` included, is refused before the signature is computed), the signature
 * compared in constant time against its one base64url spelling, then the registered claims that
 * jsonwebtoken checked: `nbf`, `exp`, `iss` and `aud`. Asymmetric algorithms stay on jsonwebtoken.
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Why a token was refused: `expired` only for a valid token past its `exp`. */
export type Hs256Refusal = 'invalid' | 'expired';

/** What a token must satisfy besides its signature. */
export interface Hs256Checks {
  /** Now, in seconds since the epoch (the database's clock). */
  nowSeconds: number;
  /** The `iss` it must carry, when configured. */
  issuer?: string;
  /** An `aud` (string, or one of a list) it must carry, when configured. */
  audience?: string;
}

/** The compact JWT of `payload`, signed with `key`. */
export function signHs256(payload: object, key: KeyObject): string {
  const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The payload of `token` if it is a valid HS256 JWT under `key` that passes `checks`. */
export function verifyHs256(
  token: string,
  key: KeyObject,
  checks: Hs256Checks,
): Record<string, unknown> | Hs256Refusal {
  const parts = token.split('.');
  if (parts.length !== 3) return 'invalid';
  const [encodedHeader, encodedPayload, signature] = parts;
  const header = jsonObjectOf(encodedHeader);
  // The pin: HS256 and nothing else. No critical extension is understood, so none is accepted.
  if (header?.alg !== 'HS256' || header.crit !== undefined) return 'invalid';
  if (header.typ !== undefined && header.typ !== 'JWT') return 'invalid';
  const expected = Buffer.from(
    createHmac('sha256', key).update(`${encodedHeader}.${encodedPayload}`).digest('base64url'),
  );
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
    return 'invalid';
  const payload = jsonObjectOf(encodedPayload);
  if (!payload) return 'invalid';
  return claimsRefusal(payload, checks) ?? payload;
}

/** nbf, exp, iss and aud, as jsonwebtoken checked them (no clock tolerance). */
function claimsRefusal(payload: Record<string, unknown>, checks: Hs256Checks) {
  const { nbf, exp, iss, aud } = payload;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > checks.nowSeconds)) return 'invalid';
  if (exp !== undefined && typeof exp !== 'number') return 'invalid';
  if (typeof exp === 'number' && checks.nowSeconds >= exp) return 'expired';
  if (checks.issuer !== undefined && iss !== checks.issuer) return 'invalid';
  if (
    checks.audience !== undefined &&
    !(Array.isArray(aud) ? aud : [aud]).includes(checks.audience)
  )
    return 'invalid';
  return undefined;
}

/** A base64url segment's JSON, if it is an object (not an array, not null). */
function jsonObjectOf(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
